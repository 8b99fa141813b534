//! `TIDINGS_DATABASE_URL` naming a PostgreSQL database that does not
//! exist: created when the role may, else one message saying how; and no
//! NOTICE chatter from the server.
use std::collections::HashMap;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use tidings::config::Settings;
use tidings::startup::{Application, BuildOptions};

use crate::helpers::pg_databases::TestDatabase;
use crate::helpers::{spawn_on, Backend};

fn admin_url() -> Option<String> {
    std::env::var("TIDINGS_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

async fn exists(admin_url: &str, name: &str) -> bool {
    let admin = Database::connect(admin_url).await.unwrap();
    let row = admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    admin.close().await.ok();
    row.try_get_by_index::<i64>(0).unwrap() == 1
}

#[tokio::test]
async fn a_missing_database_is_created_when_the_role_may() {
    let Some(admin) = admin_url() else {
        return; // The harness prints the PostgreSQL skip notice.
    };
    let db = TestDatabase::reserve(&admin).await;
    assert!(!exists(&admin, &db.name).await);
    let app = spawn_on(Backend::Postgres, &db.url, HashMap::new()).await;
    assert!(exists(&admin, &db.name).await);
    let resp = app
        .req(Method::PUT, "/v2/queues/created")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
}

/// A role of its own without CREATEDB, dropped when the test ends.
struct Role {
    name: String,
    admin_url: String,
}

impl Drop for Role {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.unwrap();
                let _ = admin
                    .execute_unprepared(&format!("DROP ROLE IF EXISTS {name}"))
                    .await;
                admin.close().await.ok();
            });
        })
        .join();
    }
}

#[tokio::test]
async fn a_role_that_may_not_create_it_is_told_once_how_to() {
    let Some(admin) = admin_url() else {
        return;
    };
    let role = Role {
        name: format!("tidings_t_role_{}", uuid::Uuid::new_v4().simple()),
        admin_url: admin.clone(),
    };
    let conn = Database::connect(&admin).await.unwrap();
    conn.execute_unprepared(&format!("CREATE ROLE {} LOGIN NOCREATEDB", role.name))
        .await
        .unwrap();
    conn.close().await.ok();
    let db = TestDatabase::reserve(&admin).await;
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(&role.name).unwrap();
    url.set_password(Some("not-shown")).unwrap();
    let env: HashMap<String, String> = [
        ("TIDINGS_BIND", "127.0.0.1:0"),
        ("TIDINGS_DATABASE_URL", url.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let settings = Settings::from_env_map(&env).unwrap();
    let Err(err) = Application::build(settings, BuildOptions::default()).await else {
        panic!("started on a database that does not exist");
    };
    let message = format!("{err:#}");
    assert_eq!(message.matches("does not exist").count(), 1, "{message}");
    assert!(
        message.contains(&format!(
            "PostgreSQL database \"{}\" does not exist on 127.0.0.1:5432, and role \"{}\" may not create it",
            db.name, role.name
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "createdb -h 127.0.0.1 -p 5432 -U postgres -O {} {}",
            role.name, db.name
        )),
        "{message}"
    );
    assert!(!message.contains("not-shown"), "{message}");
    assert!(!exists(&admin, &db.name).await);
}

/// The server's NOTICEs (`relation "seaql_migrations" already exists,
/// skipping` on every start) are not asked for.
#[tokio::test]
async fn connections_ask_for_warnings_only() {
    let Some(admin) = admin_url() else {
        return;
    };
    let db = TestDatabase::create(&admin).await;
    let conn = tidings::store::db::connect(&db.url).await.unwrap();
    tidings::store::db::migrate(&conn).await.unwrap();
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SHOW client_min_messages",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "warning");
    conn.close().await.ok();
}
