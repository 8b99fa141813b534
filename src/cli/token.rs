//! `tidings token create|list|revoke`: API tokens for `TIDINGS_AUTH=token`.
//! Unlike every other client command these talk to the database directly
//! (the server's own configuration), so the first token can be made before
//! anyone can call the API.
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Value};
use tidings::clock::{iso8601, Clock, SystemClock};
use tidings::config::Settings;
use tidings::domain::{Role, TokenScope};
use tidings::service::api_tokens;
use tidings::store::entities::api_token;

use super::error::{CliError, CliResult};
use super::output::{notice, text_of, Column, Out, OutputArgs};

#[derive(Args)]
#[command(
    after_help = "These commands open the database named by TIDINGS_DATABASE_URL (or TIDINGS_CONFIG), as `tidings serve` does."
)]
pub struct TokenArgs {
    #[command(flatten)]
    out: OutputArgs,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand)]
enum Verb {
    /// Create a token and print it; it is shown only this once
    Create {
        /// The project the token acts in, or `*` for every project
        #[arg(long, value_name = "PROJECT")]
        project: String,
        /// reader (GETs), publisher (+ post messages), subscriber
        /// (+ manage subscriptions) or admin (everything)
        #[arg(long, value_name = "ROLE", value_parser = parse_role)]
        role: Role,
        /// Lifetime such as 90d, 12h or 30m; without it the token never expires
        #[arg(long, value_name = "DURATION", value_parser = parse_lifetime)]
        expires: Option<Duration>,
        /// A note shown by `token list` (who or what uses the token)
        #[arg(long, value_name = "TEXT", default_value = "")]
        description: String,
    },
    /// List tokens (prefixes only; a token itself is never stored)
    List {
        /// Only the tokens of this project (or `*`)
        #[arg(long, value_name = "PROJECT")]
        project: Option<String>,
    },
    /// Revoke a token by its prefix (tdg_xxxxxxxx) or the whole token
    Revoke {
        #[arg(value_name = "PREFIX")]
        prefix: String,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| "must be reader, publisher, subscriber or admin".into())
}

fn parse_lifetime(raw: &str) -> Result<Duration, String> {
    let lifetime = humantime::parse_duration(raw.trim())
        .map_err(|e| format!("{e} (write it as 90d, 12h or 30m)"))?;
    if lifetime < Duration::from_secs(60) {
        return Err("must be at least a minute".into());
    }
    if lifetime > Duration::from_secs(100 * 365 * 86_400) {
        return Err("must be less than a hundred years".into());
    }
    Ok(lifetime)
}

pub fn run(args: TokenArgs, settings: Settings) -> ExitCode {
    let result = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(dispatch(args, settings)),
        Err(e) => Err(CliError::other(format!(
            "cannot start the async runtime: {e}"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::StdoutClosed) => ExitCode::SUCCESS,
        Err(err) => {
            notice(&format!("error: {err}"));
            err.exit_code()
        }
    }
}

fn db_error(err: impl std::fmt::Display) -> CliError {
    CliError::other(format!("database: {err}"))
}

async fn dispatch(args: TokenArgs, settings: Settings) -> CliResult<()> {
    let out = Out::new(&args.out);
    let db = tidings::store::db::connect(&settings.database_url)
        .await
        .map_err(|e| CliError::other(format!("{e:#}")))?;
    tidings::store::db::migrate(&db)
        .await
        .map_err(|e| CliError::other(format!("{e:#}")))?;
    let now = SystemClock.now_ms();
    let result = match args.verb {
        Verb::Create {
            project,
            role,
            expires,
            description,
        } => {
            let scope = TokenScope::parse(&project).ok_or_else(|| {
                CliError::usage("--project must be a project id (1 to 256 characters) or *")
            })?;
            let expires_at = expires.map(|d| now + d.as_millis() as i64);
            let issued = api_tokens::create(&db, &scope, role, expires_at, &description, now)
                .await
                .map_err(db_error)?;
            let mut body = token_json(&issued.row, now);
            body["token"] = json!(issued.secret);
            if !out.json() {
                notice(&format!(
                    "Created token {} (project {}, role {}, expires {}). It is shown only now: keep it somewhere safe.",
                    issued.row.prefix,
                    issued.row.project,
                    issued.row.role,
                    text_of(body.get("expires")).if_empty("never"),
                ));
            }
            out.done(&body, &issued.secret, &issued.secret)
        }
        Verb::List { project } => {
            let rows = api_tokens::list(&db, project.as_deref())
                .await
                .map_err(db_error)?;
            let rows: Vec<Value> = rows.iter().map(|r| token_json(r, now)).collect();
            out.list(&Value::Array(rows.clone()), &rows, COLUMNS)
        }
        Verb::Revoke { prefix } => {
            let shown = api_tokens::prefix_of(&prefix).to_string();
            if !api_tokens::revoke(&db, &prefix, now)
                .await
                .map_err(db_error)?
            {
                return Err(CliError::not_found(format!(
                    "no active token with prefix {shown}"
                )));
            }
            out.done(
                &json!({"prefix": shown, "revoked": true}),
                &shown,
                &format!("Revoked token {shown}."),
            )
        }
    };
    db.close().await.ok();
    result
}

trait IfEmpty {
    fn if_empty(self, default: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, default: &str) -> String {
        if self.is_empty() {
            default.to_string()
        } else {
            self
        }
    }
}

fn status(row: &api_token::Model, now: i64) -> &'static str {
    if row.revoked_at.is_some() {
        "revoked"
    } else if row.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    }
}

/// The stable `-o json` shape of a token (never its secret or hash).
fn token_json(row: &api_token::Model, now: i64) -> Value {
    json!({
        "prefix": row.prefix,
        "project": row.project,
        "role": row.role,
        "status": status(row, now),
        "created": iso8601(row.created_at),
        "expires": row.expires_at.map(iso8601),
        "revoked": row.revoked_at.map(iso8601),
        "description": row.description,
    })
}

const COLUMNS: &[Column] = &[
    Column::new("prefix", "Prefix", |v| text_of(v.get("prefix"))).whole(),
    Column::new("project", "Project", |v| text_of(v.get("project"))),
    Column::new("role", "Role", |v| text_of(v.get("role"))),
    Column::new("status", "Status", |v| text_of(v.get("status"))),
    Column::new("created", "Created", |v| text_of(v.get("created"))),
    Column::new("expires", "Expires", |v| {
        text_of(v.get("expires")).if_empty("never")
    }),
    Column::new("description", "Description", |v| {
        text_of(v.get("description"))
    }),
];
