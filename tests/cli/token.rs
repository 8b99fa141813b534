//! `tidings token create|list|revoke`, run against a test server's own
//! database, and what the service then makes of the tokens.
use sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens::{self, TokenProblem};

use super::run::{app, tidings_at, Run};
use crate::helpers::TestApp;

async fn token(app: &TestApp, args: &[&str]) -> Run {
    let mut all = vec!["token"];
    all.extend_from_slice(args);
    tidings_at(
        &app.address,
        &all,
        None,
        &[("TIDINGS_DATABASE_URL", &app.database_url)],
    )
    .await
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_prints_the_token_once_and_stores_only_its_hash() {
    let app = app().await;
    let run = token(&app, &["create", "--project", "p1", "--role", "publisher"])
        .await
        .ok();
    let secret = run.stdout.trim().to_string();
    assert_eq!(
        run.stdout,
        format!("{secret}\n"),
        "stdout is the token alone"
    );
    assert!(secret.starts_with("tdg_"), "{secret}");
    // tdg_ + 8 public characters + _ + 43 characters of 32 random bytes.
    assert_eq!(secret.len(), 4 + 8 + 1 + 43, "{secret}");
    let prefix = &secret[..12];
    assert!(run.stderr.contains(prefix), "{}", run.stderr);
    assert!(run.stderr.contains("shown only now"), "{}", run.stderr);
    assert!(!run.stderr.contains(&secret[13..]), "{}", run.stderr);

    // The database holds the prefix and the SHA-256, never the token.
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT prefix, token_hash, project, role FROM api_tokens",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let hash: String = rows[0].try_get("", "token_hash").unwrap();
    assert_eq!(hash, hex_sha256(&secret));
    assert_eq!(rows[0].try_get::<String>("", "prefix").unwrap(), prefix);
    assert_eq!(rows[0].try_get::<String>("", "role").unwrap(), "publisher");

    let principal = api_tokens::authenticate(&app.state.db, &secret, app.state.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.role, Role::Publisher);
    assert_eq!(principal.scope, TokenScope::parse("p1").unwrap());
    for wrong in [
        "",
        "tdg_",
        &secret[..secret.len() - 1],
        &format!("{secret}x"),
    ] {
        assert_eq!(
            api_tokens::authenticate(&app.state.db, wrong, app.state.now())
                .await
                .unwrap(),
            Err(TokenProblem::Unknown),
            "{wrong:?}"
        );
    }
    // Two tokens are never alike.
    let other = token(&app, &["create", "--project", "p1", "--role", "publisher"])
        .await
        .ok();
    assert_ne!(other.stdout.trim(), secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_prefixes_and_revoke_ends_a_token() {
    let app = app().await;
    let first = token(
        &app,
        &[
            "create",
            "--project",
            "p1",
            "--role",
            "reader",
            "--expires",
            "90d",
            "--description",
            "grafana",
        ],
    )
    .await
    .ok();
    let secret = first.stdout.trim().to_string();
    let prefix = secret[..12].to_string();
    let json = token(
        &app,
        &["create", "--project", "*", "--role", "admin", "-o", "json"],
    )
    .await
    .ok()
    .json();
    assert_eq!(json["project"], "*");
    assert_eq!(json["role"], "admin");
    assert_eq!(json["expires"], serde_json::Value::Null);
    let admin_secret = json["token"].as_str().unwrap().to_string();

    let list = token(&app, &["list"]).await.ok();
    let row = list.row(&prefix);
    assert_eq!(&row[1..4], ["p1", "reader", "active"]);
    assert!(row.contains(&"grafana".to_string()), "{row:?}");
    assert!(!list.stdout.contains(&secret[13..]), "{}", list.stdout);
    assert!(
        !list.stdout.contains(&admin_secret[13..]),
        "{}",
        list.stdout
    );
    let listed = token(&app, &["list", "--project", "p1", "-o", "json"])
        .await
        .ok()
        .json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["prefix"], prefix.as_str());
    assert!(listed[0].get("token").is_none());
    // 90 days from now, to the day.
    let expires = listed[0]["expires"].as_str().unwrap();
    let days =
        (tidings::domain::iso_time::parse_iso8601(expires).unwrap() - app.state.now()) / 86_400_000;
    assert!((89..=90).contains(&days), "{expires}");

    let revoked = token(&app, &["revoke", &prefix]).await.ok();
    assert!(revoked.stdout.contains(&prefix), "{}", revoked.stdout);
    assert_eq!(
        api_tokens::authenticate(&app.state.db, &secret, app.state.now())
            .await
            .unwrap(),
        Err(TokenProblem::Revoked)
    );
    assert_eq!(token(&app, &["list"]).await.ok().row(&prefix)[3], "revoked");
    let again = token(&app, &["revoke", &prefix]).await;
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("no active token"), "{}", again.stderr);
    // A whole (leaked) token can be pasted to revoke it.
    token(&app, &["revoke", &admin_secret]).await.ok();
    assert_eq!(
        api_tokens::authenticate(&app.state.db, &admin_secret, app.state.now())
            .await
            .unwrap(),
        Err(TokenProblem::Revoked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_and_bad_arguments() {
    let app = app().await;
    let run = token(
        &app,
        &[
            "create",
            "--project",
            "p",
            "--role",
            "admin",
            "--expires",
            "1h",
        ],
    )
    .await
    .ok();
    let secret = run.stdout.trim();
    let state = &app.state;
    assert!(api_tokens::authenticate(&state.db, secret, state.now())
        .await
        .unwrap()
        .is_ok());
    // The CLI stamps the expiry with the real clock when it runs, which may
    // be a while after the app's manual clock started (a loaded machine);
    // five minutes either side of the hour absorbs that.
    app.clock.advance_secs(3600 - 300);
    assert!(api_tokens::authenticate(&state.db, secret, state.now())
        .await
        .unwrap()
        .is_ok());
    app.clock.advance_secs(600);
    assert_eq!(
        api_tokens::authenticate(&state.db, secret, state.now())
            .await
            .unwrap(),
        Err(TokenProblem::Expired)
    );

    for (args, expect) in [
        (
            &["create", "--project", "p", "--role", "root"][..],
            "reader, publisher",
        ),
        (
            &[
                "create",
                "--project",
                "p",
                "--role",
                "admin",
                "--expires",
                "soon",
            ],
            "90d",
        ),
        (
            &[
                "create",
                "--project",
                "p",
                "--role",
                "admin",
                "--expires",
                "5s",
            ],
            "at least a minute",
        ),
        (&["create", "--project", "", "--role", "admin"], "--project"),
        (&["create", "--role", "admin"], "--project"),
    ] {
        let run = token(&app, args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expect), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}
