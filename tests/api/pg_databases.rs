//! The PostgreSQL and MariaDB suites' databases: one per test, named
//! `tidings_t_<unix seconds>_<uuid>`, dropped when the test ends (pass or
//! fail, by `Drop`), and a sweep at the suite's start of any such database
//! older than an hour (left by a killed run).
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

const PREFIX: &str = "tidings_t_";
/// Older than this, a test database belongs to no running test.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);
/// At most this many per run, oldest first: every DROP DATABASE waits for
/// a checkpoint, and the suite's own drops queue behind the sweep's.
const SWEEP_AT_MOST: usize = 20;

static SWEEP: std::sync::Once = std::sync::Once::new();

/// Starts the sweep once per test binary, on a thread of its own: no test
/// waits for it (a server with many leftovers takes minutes to drop them,
/// and the next run carries on where a finished one stopped).
fn start_sweep(admin_url: &str) {
    SWEEP.call_once(|| {
        let admin_url = admin_url.to_string();
        std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(sweep(&admin_url));
            }
        });
    });
}

/// A test's own database; dropped with this value.
pub struct TestDatabase {
    pub url: String,
    pub name: String,
    admin_url: String,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TestDatabase {
    /// A name and URL for a database that does not exist yet (for tests of
    /// what tidings does then), dropped like the others should it appear.
    pub async fn reserve(admin_url: &str) -> TestDatabase {
        start_sweep(admin_url);
        let name = format!("{PREFIX}{}_{}", now_secs(), uuid::Uuid::new_v4().simple());
        let mut url = url::Url::parse(admin_url).expect("the test database server's URL is a URL");
        url.set_path(&format!("/{name}"));
        TestDatabase {
            url: url.to_string(),
            name,
            admin_url: admin_url.to_string(),
        }
    }

    /// Creates a fresh database on the server behind `admin_url` (after
    /// the once-per-run sweep).
    pub async fn create(admin_url: &str) -> TestDatabase {
        start_sweep(admin_url);
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to the test database server (TIDINGS_TEST_POSTGRES_URL or TIDINGS_TEST_MYSQL_URL)");
        let name = format!("{PREFIX}{}_{}", now_secs(), uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(admin_url).expect("the test database server's URL is a URL");
        url.set_path(&format!("/{name}"));
        TestDatabase {
            url: url.to_string(),
            name,
            admin_url: admin_url.to_string(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside the test's runtime (or while it unwinds), where
        // async work cannot be awaited: a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(drop_database(&admin_url, &name))
        })
        .join();
        if let Ok(Err(why)) = dropped {
            eprintln!("could not drop test database {}: {why}", self.name);
        }
    }
}

/// `DROP DATABASE ... WITH (FORCE)` on PostgreSQL: the test's server may
/// still hold connections (MariaDB drops a database in use as it is).
async fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let admin = Database::connect(admin_url)
        .await
        .map_err(|e| e.to_string())?;
    let sql = if admin.get_database_backend() == DbBackend::MySql {
        format!("DROP DATABASE IF EXISTS {name}")
    } else {
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    };
    let result = admin
        .execute_unprepared(&sql)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    admin.close().await.ok();
    result
}

/// Drops the oldest test databases older than an hour (up to
/// `SWEEP_AT_MOST`). The age is in the name;
/// for older names without it, the database directory's time (when the
/// role may read it).
async fn sweep(admin_url: &str) {
    let Ok(admin) = Database::connect(admin_url).await else {
        return;
    };
    let with_times = "SELECT datname, EXTRACT(EPOCH FROM (pg_stat_file('base/' || oid || '/PG_VERSION')).modification)::bigint \
                      FROM pg_database WHERE datname LIKE 'tidings\\_t\\_%'";
    let names_only =
        "SELECT datname, NULL::bigint FROM pg_database WHERE datname LIKE 'tidings\\_t\\_%'";
    let rows = if admin.get_database_backend() == DbBackend::MySql {
        let names = "SELECT CAST(schema_name AS CHAR), CAST(NULL AS SIGNED) \
                     FROM information_schema.schemata WHERE schema_name LIKE 'tidings\\_t\\_%'";
        admin
            .query_all_raw(Statement::from_string(DbBackend::MySql, names))
            .await
            .unwrap_or_default()
    } else {
        match admin
            .query_all_raw(Statement::from_string(DbBackend::Postgres, with_times))
            .await
        {
            Ok(rows) => rows,
            Err(_) => admin
                .query_all_raw(Statement::from_string(DbBackend::Postgres, names_only))
                .await
                .unwrap_or_default(),
        }
    };
    admin.close().await.ok();
    let cutoff = now_secs().saturating_sub(ABANDONED_AFTER.as_secs());
    let mut abandoned: Vec<(u64, String)> = rows
        .into_iter()
        .filter_map(|row| {
            let name = row.try_get_by_index::<String>(0).ok()?;
            let file_time = row
                .try_get_by_index::<Option<i64>>(1)
                .ok()
                .flatten()
                .and_then(|t| u64::try_from(t).ok());
            let created = created_at(&name).or(file_time)?;
            (created < cutoff).then_some((created, name))
        })
        .collect();
    abandoned.sort_unstable();
    let mut dropped = 0;
    for (_, name) in abandoned.iter().take(SWEEP_AT_MOST) {
        if drop_database(admin_url, name).await.is_ok() {
            dropped += 1;
        }
    }
    if dropped > 0 {
        eprintln!("dropped {dropped} test databases older than an hour ({PREFIX}*)");
    }
}

/// The creation time in a `tidings_t_<unix seconds>_<uuid>` name.
fn created_at(name: &str) -> Option<u64> {
    let (secs, uuid) = name.strip_prefix(PREFIX)?.split_once('_')?;
    (uuid.len() == 32).then_some(())?;
    secs.parse().ok()
}

#[test]
fn creation_times_come_from_the_name() {
    assert_eq!(
        created_at("tidings_t_1764656000_0123456789abcdef0123456789abcdef"),
        Some(1_764_656_000)
    );
    assert_eq!(
        created_at("tidings_t_0123456789abcdef0123456789abcdef"),
        None
    );
    assert_eq!(created_at("tidings_prod"), None);
}
