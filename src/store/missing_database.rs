//! A PostgreSQL database named by `TIDINGS_DATABASE_URL` that does not
//! exist yet: created when the role may create databases (with a log line
//! saying so), otherwise refused with one message that says how to create
//! it.
use anyhow::{anyhow, bail, Context};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, DbErr, RuntimeErr, Statement};

use crate::domain::masking::mask_password;

/// PostgreSQL's `invalid_catalog_name`: the database does not exist.
const INVALID_CATALOG_NAME: &str = "3D000";
/// `duplicate_database`: another process created it meanwhile.
const DUPLICATE_DATABASE: &str = "42P04";

/// The SQLSTATE of a database error, if `err` is one.
pub fn sql_state(err: &DbErr) -> Option<String> {
    let (DbErr::Conn(RuntimeErr::SqlxError(e))
    | DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    e.as_database_error()
        .and_then(|db| db.code())
        .map(|code| code.into_owned())
}

/// True when connecting failed because the database does not exist.
pub fn is_missing(err: &DbErr) -> bool {
    sql_state(err).as_deref() == Some(INVALID_CATALOG_NAME)
}

/// Creates the database `url` names, through the server's maintenance
/// database, if the role may; otherwise an error that says how to.
pub async fn create(url: &str) -> anyhow::Result<()> {
    let target = Target::parse(url)?;
    let admin = target.maintenance_connection().await?;
    let may_create = admin
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user",
        ))
        .await
        .context("asking PostgreSQL whether the role may create databases")?
        .and_then(|row| row.try_get_by_index::<bool>(0).ok())
        .unwrap_or(false);
    if !may_create {
        admin.close().await.ok();
        bail!("{}", target.how_to_create());
    }
    let created = admin
        .execute_unprepared(&format!(
            "CREATE DATABASE {}",
            quote_ident(&target.database)
        ))
        .await;
    admin.close().await.ok();
    match created {
        Ok(_) => tracing::info!(
            database = %target.database,
            server = %target.server,
            role = %target.role,
            "created the PostgreSQL database {:?}: it did not exist and role {:?} may create databases",
            target.database,
            target.role
        ),
        Err(err) if sql_state(&err).as_deref() == Some(DUPLICATE_DATABASE) => {}
        Err(err) => {
            return Err(anyhow!(
                "creating the missing database failed: {}. {}",
                root_cause(&err),
                target.how_to_create()
            ))
        }
    }
    Ok(())
}

/// The innermost error's text: sea-orm and sqlx each repeat their source
/// in their own message, so printing the chain says the same thing thrice.
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `"name"` with embedded quotes doubled: a safe identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The parts of the URL the messages and the maintenance connection need.
struct Target {
    url: url::Url,
    database: String,
    role: String,
    server: String,
}

impl Target {
    fn parse(raw: &str) -> anyhow::Result<Target> {
        let url = url::Url::parse(raw).map_err(|e| {
            anyhow!(
                "TIDINGS_DATABASE_URL is not a URL ({e}): {}",
                mask_password(raw)
            )
        })?;
        let database = percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
            .decode_utf8_lossy()
            .into_owned();
        let role = match url.username() {
            "" => std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".into()),
            name => percent_encoding::percent_decode_str(name)
                .decode_utf8_lossy()
                .into_owned(),
        };
        let server = format!(
            "{}:{}",
            url.host_str().unwrap_or("localhost"),
            url.port().unwrap_or(5432)
        );
        Ok(Target {
            url,
            database,
            role,
            server,
        })
    }

    /// The same server and credentials on the `postgres` database (else
    /// `template1`), which every cluster has.
    async fn maintenance_connection(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
        let mut last = None;
        for name in ["postgres", "template1"] {
            let mut url = self.url.clone();
            url.set_path(&format!("/{name}"));
            let mut options = ConnectOptions::new(url.to_string());
            options
                .max_connections(1)
                .sqlx_logging(false)
                .map_sqlx_postgres_opts(|o| o.options([("client_min_messages", "warning")]));
            match Database::connect(options).await {
                Ok(db) => return Ok(db),
                Err(err) => last = Some(err),
            }
        }
        let reason = last.map(|e| root_cause(&e)).unwrap_or_default();
        Err(anyhow!(
            "{} (connecting to the server's postgres database to create it failed: {reason})",
            self.how_to_create()
        ))
    }

    fn how_to_create(&self) -> String {
        let (host, port) = self
            .server
            .rsplit_once(':')
            .unwrap_or((&self.server, "5432"));
        format!(
            "PostgreSQL database {db:?} does not exist on {server}, and role {role:?} may not create it. \
             Create it as a role that may, e.g. `createdb -h {host} -p {port} -U postgres -O {role} {db}` \
             (or in psql: CREATE DATABASE {qdb} OWNER {qrole};), or allow the role to (ALTER ROLE {qrole} CREATEDB;), \
             then start tidings again",
            db = self.database,
            server = self.server,
            role = self.role,
            qdb = quote_ident(&self.database),
            qrole = quote_ident(&self.role),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_database_and_how_to_create_it() {
        let target =
            Target::parse("postgres://app:s3cret@db.example.com:6432/tidings_prod").unwrap();
        let message = target.how_to_create();
        assert!(message.starts_with(
            "PostgreSQL database \"tidings_prod\" does not exist on db.example.com:6432, and role \"app\" may not create it."
        ), "{message}");
        assert!(
            message.contains("createdb -h db.example.com -p 6432 -U postgres -O app tidings_prod"),
            "{message}"
        );
        assert!(
            message.contains("CREATE DATABASE \"tidings_prod\" OWNER \"app\";"),
            "{message}"
        );
        assert!(!message.contains("s3cret"));
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
