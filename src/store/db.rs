//! Opening the database and applying migrations.
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use super::missing_database;
use crate::domain::masking::mask_password;

/// Connects to SQLite (WAL, busy timeout), PostgreSQL or MariaDB/MySQL.
///
/// SQLite gets a single pooled connection: SQLite serialises writers anyway,
/// and one connection rules out the "database is locked" errors that deferred
/// transactions racing to upgrade their locks would otherwise produce.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        ensure_sqlite_parent_dir(url)?;
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if is_sqlite {
        options.max_connections(1).min_connections(1);
        options.map_sqlx_sqlite_opts(|opts| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            // WAL + FULL: every commit is on disk before it is
            // acknowledged, so not even a power loss takes back a "201".
            // Group commit (store::group_commit) pays one fsync per batch.
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // store::checkpointer does this off the write path; this
                // is the safety net should it fall behind (80 MiB of WAL).
                .pragma("wal_autocheckpoint", "20000")
        });
    } else if is_mysql(url) {
        options.max_connections(16).min_connections(1);
        // PostgreSQL's default: a plain read sees what committed before it,
        // and InnoDB takes no gap locks, so concurrent fan-outs that insert
        // delivery rows do not deadlock on each other's ranges.
        options.map_sqlx_mysql_pool_opts(|pool| {
            pool.after_connect(|conn, _| {
                Box::pin(async move {
                    use sea_orm::sqlx::Executor;
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                        .await
                        .map(|_| ())
                })
            })
        });
    } else {
        options.max_connections(16).min_connections(1);
        // NOTICEs such as `relation "seaql_migrations" already exists,
        // skipping` tell an operator nothing they can act on.
        options.map_sqlx_postgres_opts(|o| o.options([("client_min_messages", "warning")]));
    }
    match Database::connect(options.clone()).await {
        Ok(db) => Ok(db),
        Err(err) if !is_sqlite && !is_mysql(url) && missing_database::is_missing(&err) => {
            missing_database::create(url).await?;
            match Database::connect(options).await {
                Ok(db) => Ok(db),
                Err(err) => Err(connect_error(url, &err).await),
            }
        }
        Err(err) => Err(connect_error(url, &err).await),
    }
}

/// One line: where, and the driver's own reason (once, not once per layer).
/// The pool only says it timed out when nothing answers, so the server's
/// address is tried once more to say why.
async fn connect_error(url: &str, err: &sea_orm::DbErr) -> anyhow::Error {
    let mut reason = missing_database::root_cause(err);
    if !url.starts_with("sqlite:") {
        if let Some(why) = unreachable(url).await {
            reason = why;
        }
    }
    anyhow::anyhow!(
        "cannot connect to the database {} (TIDINGS_DATABASE_URL): {reason}",
        mask_password(url)
    )
}

/// Why nothing answers at the URL's host and port, if that is the case.
async fn unreachable(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str().filter(|h| !h.is_empty())?.to_string();
    let (server, default_port) = if is_mysql(url) {
        ("MariaDB/MySQL", 3306)
    } else {
        ("PostgreSQL", 5432)
    };
    let port = parsed.port().unwrap_or(default_port);
    let attempt = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(3), attempt).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(format!("nothing answers at {host}:{port} ({e}); is {server} running there?")),
        Err(_) => Some(format!("no answer from {host}:{port} within 3 s; is {server} running there, and not behind a firewall?")),
    }
}

/// A MariaDB or MySQL URL.
pub fn is_mysql(url: &str) -> bool {
    url.starts_with("mysql://")
}

/// `sqlite://var/x.db?mode=rwc` fails if `var/` does not exist; create it so a
/// first run just works.
fn ensure_sqlite_parent_dir(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).with_context(|| {
                format!(
                    "creating the directory for the SQLite database {}",
                    parent.display()
                )
            })?;
        }
    }
    Ok(())
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations")
}
