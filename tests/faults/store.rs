//! The database an experiment runs on: a fresh SQLite file, or a fresh
//! PostgreSQL or MariaDB database (dropped at the end) when configured.
use std::io::Write;

use crate::pg_databases::TestDatabase;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mariadb",
        }
    }
}

pub struct Store {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

impl Store {
    /// None (after saying so) when the backend's server is not configured.
    pub async fn create(backend: Backend) -> Option<Store> {
        let dir = tempfile::tempdir().expect("temp dir");
        let variable = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}/tidings.db?mode=rwc", dir.path().display());
                return Some(Store {
                    backend,
                    url,
                    dir,
                    _database: None,
                });
            }
            Backend::Postgres => "TIDINGS_TEST_POSTGRES_URL",
            Backend::Mysql => "TIDINGS_TEST_MYSQL_URL",
        };
        let Some(admin) = std::env::var(variable).ok().filter(|s| !s.is_empty()) else {
            let _ = writeln!(
                std::io::stderr(),
                "skipped: no {} (set {variable})",
                backend.name()
            );
            return None;
        };
        let database = TestDatabase::create(&admin).await;
        Some(Store {
            backend,
            url: database.url.clone(),
            dir,
            _database: Some(database),
        })
    }
}

/// One experiment at a time: each measures times, and a neighbour's load
/// would be part of its figures.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `fault_test!(name)`: `async fn name(store: Store)` on each backend.
#[macro_export]
macro_rules! fault_test {
    ($name:ident) => {
        mod $name {
            use $crate::store::{Backend, Store};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let _one_at_a_time = $crate::store::SERIAL.lock().await;
                if let Some(store) = Store::create(Backend::Sqlite).await {
                    super::$name(store).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let _one_at_a_time = $crate::store::SERIAL.lock().await;
                if let Some(store) = Store::create(Backend::Postgres).await {
                    super::$name(store).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                let _one_at_a_time = $crate::store::SERIAL.lock().await;
                if let Some(store) = Store::create(Backend::Mysql).await {
                    super::$name(store).await;
                }
            }
        }
    };
}
