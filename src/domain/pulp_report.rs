//! Pulp event reports (seed 003): `{"event_type": "repo.sync.finish",
//! "payload": {...}, "call_report": {...}}`. Pulp's own email listener
//! sends them as a JSON dump; the built-in notification email shows this
//! summary first (event type, repository, state, times, errors) and the
//! full report below it.
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PulpSummary {
    pub event_type: String,
    /// `repo.sync.finish` reads as `repository sync finished`.
    pub headline: String,
    pub repo: Option<String>,
    /// `running`, `finished`, `success`, `failed` ... as Pulp says it.
    pub state: Option<String>,
    pub started: Option<String>,
    pub finished: Option<String>,
    pub task_id: Option<String>,
    /// `added 3, updated 0, removed 1` when the payload counts units.
    pub counts: Option<String>,
    /// Error message, exception and traceback, when not null.
    pub errors: Vec<String>,
}

/// The summary of a Pulp event report, or None when `body` is not one.
pub fn summary(body: &Value) -> Option<PulpSummary> {
    let event_type = body.get("event_type")?.as_str()?;
    if !event_type.starts_with("repo.") {
        return None;
    }
    let payload = body.get("payload").filter(|v| v.is_object());
    let call = body.get("call_report").filter(|v| v.is_object());
    if payload.is_none() && call.is_none() {
        return None;
    }
    let text = |v: Option<&Value>, key: &str| -> Option<String> {
        match v?.get(key)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    };
    let repo = text(payload, "repo_id").or_else(|| {
        call?
            .get("tags")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .find_map(|t| t.strip_prefix("pulp:repository:").map(String::from))
    });
    let counts: Vec<String> = ["added", "updated", "removed"]
        .iter()
        .filter_map(|k| {
            let n = payload?.get(format!("{k}_count"))?.as_i64()?;
            Some(format!("{k} {n}"))
        })
        .collect();
    let mut errors = Vec::new();
    for (source, key) in [
        (payload, "error_message"),
        (payload, "exception"),
        (call, "exception"),
        (payload, "traceback"),
        (call, "traceback"),
    ] {
        if let Some(e) = text(source, key) {
            if !errors.contains(&e) {
                errors.push(e);
            }
        }
    }
    Some(PulpSummary {
        event_type: event_type.to_string(),
        headline: headline(event_type),
        repo,
        state: text(payload, "result").or_else(|| text(call, "state")),
        started: text(call, "start_time").or_else(|| text(payload, "started")),
        finished: text(call, "finish_time").or_else(|| text(payload, "completed")),
        task_id: text(call, "task_id"),
        counts: (!counts.is_empty()).then(|| counts.join(", ")),
        errors,
    })
}

fn headline(event_type: &str) -> String {
    let words: Vec<&str> = event_type.split('.').collect();
    match words.as_slice() {
        ["repo", action, phase] => {
            let phase = match *phase {
                "start" => "started",
                "finish" => "finished",
                other => other,
            };
            format!("repository {action} {phase}")
        }
        _ => event_type.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sync_start_from_the_seed() {
        let body = json!({
            "call_report": {
                "task_id": "79be77a8-1a20-11e2-aeb9-1803731e94c4",
                "exception": null,
                "tags": ["pulp:repository:pulp2", "pulp:action:sync"],
                "start_time": "2012-10-19T19:09:16Z",
                "traceback": null,
                "finish_time": null,
                "state": "running"
            },
            "event_type": "repo.sync.start",
            "payload": {"repo_id": "pulp2"}
        });
        let s = summary(&body).unwrap();
        assert_eq!(s.headline, "repository sync started");
        assert_eq!(s.repo.as_deref(), Some("pulp2"));
        assert_eq!(s.state.as_deref(), Some("running"));
        assert_eq!(s.started.as_deref(), Some("2012-10-19T19:09:16Z"));
        assert_eq!(s.finished, None);
        assert!(s.errors.is_empty());
    }

    #[test]
    fn sync_finish_with_counts_and_an_error() {
        let body = json!({
            "event_type": "repo.sync.finish",
            "payload": {"repo_id": "zoo", "result": "failed", "started": "2012-10-19T19:09:16Z",
                        "completed": "2012-10-19T19:10:02Z", "added_count": 3, "updated_count": 0,
                        "removed_count": 1, "error_message": "feed unreachable", "exception": null}
        });
        let s = summary(&body).unwrap();
        assert_eq!(s.state.as_deref(), Some("failed"));
        assert_eq!(s.counts.as_deref(), Some("added 3, updated 0, removed 1"));
        assert_eq!(s.errors, ["feed unreachable"]);
    }

    #[test]
    fn other_bodies_are_not_reports() {
        for body in [
            json!({"event_type": "repo.sync.start"}),
            json!({"event_type": "build.done", "payload": {}}),
            json!("text"),
            json!({"payload": {}}),
        ] {
            assert_eq!(summary(&body), None, "{body}");
        }
    }
}
