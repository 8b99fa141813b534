//! The alert email: `ERROR occurred: shop/api/pay` / `ERROR resolved:
//! shop/api/pay` from `templates/email/alert/`. The subject is always the
//! template's (it is the alert); From, cc and bcc follow the other
//! notifications.
use serde_json::Value;

use super::{
    format_utc_ms, option_string, readable_body, unsubscribe_headers, OutgoingEmail, Recipients,
};
use crate::templates::{AlertEmail, EmailKind, Templates};

#[derive(Debug, Clone)]
pub struct AlertRequest<'a> {
    pub subscriber: &'a str,
    pub options: &'a Value,
    pub queue: &'a str,
    pub project: &'a str,
    /// `{"kind", "state", "element", "level", "since"}`.
    pub alert: &'a Value,
    /// The state report as posted.
    pub report: &'a Value,
    pub unsubscribe_url: Option<&'a str>,
}

pub fn build_alert(
    templates: &Templates,
    default_from: &str,
    request: &AlertRequest<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let target = Recipients::of(request.subscriber, request.options)?;
    let text = |key: &str| {
        request
            .alert
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let since = request
        .alert
        .get("since")
        .and_then(Value::as_str)
        .and_then(crate::domain::iso_time::parse_iso8601)
        .map(format_utc_ms);
    let rendered = templates.render_email(
        EmailKind::Alert,
        &AlertEmail {
            queue: crate::domain::display_name(request.queue).to_string(),
            project: request.project.to_string(),
            kind: text("kind"),
            state: text("state"),
            state_label: text("state").to_ascii_uppercase(),
            element: text("element"),
            level: Some(text("level")).filter(|l| !l.is_empty()),
            since,
            report: readable_body(request.report),
            unsubscribe_url: request.unsubscribe_url.map(String::from),
        },
    )?;
    let from = option_string(request.options, "from").unwrap_or_else(|| default_from.to_string());
    let headers = unsubscribe_headers(request.unsubscribe_url);
    let subject = rendered.subject.clone();
    Ok(target.into_email(from, subject, rendered, headers, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(alert: Value) -> OutgoingEmail {
        let templates = Templates::load(None).unwrap();
        let options = json!({});
        let report = json!({"element": "shop/api/pay", "state": "ERROR", "note": "<b>"});
        build_alert(
            &templates,
            "tidings@example.com",
            &AlertRequest {
                subscriber: "mailto:ops@example.com?subject=ignored",
                options: &options,
                queue: "shop",
                project: "p",
                alert: &alert,
                report: &report,
                unsubscribe_url: Some("https://t.example.com/u"),
            },
        )
        .unwrap()
    }

    #[test]
    fn occurred_and_resolved_subjects_and_bodies() {
        let occurred = render(json!({"kind": "occurred", "state": "error",
            "element": "shop/api/pay", "level": "action", "since": "2026-12-02T06:00:00Z"}));
        assert_eq!(occurred.subject, "ERROR occurred: shop/api/pay");
        assert!(
            occurred.text.contains("Element: shop/api/pay"),
            "{}",
            occurred.text
        );
        assert!(
            occurred.text.contains("Level:   action"),
            "{}",
            occurred.text
        );
        assert!(
            occurred.text.contains("Since:   2026-12-02 06:00:00 UTC"),
            "{}",
            occurred.text
        );
        assert!(
            occurred.text.contains("\"note\": \"<b>\""),
            "{}",
            occurred.text
        );
        let html = occurred.html.unwrap();
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<b>"),
            "{html}"
        );
        assert!(occurred
            .headers
            .iter()
            .any(|(n, v)| n == "List-Unsubscribe" && v == "<https://t.example.com/u>"));
        let resolved = render(json!({"kind": "resolved", "state": "warning",
            "element": "shop/api/pay", "level": null, "since": "2026-12-02T06:05:00Z"}));
        assert_eq!(resolved.subject, "WARNING resolved: shop/api/pay");
        assert!(!resolved.text.contains("Level:"), "{}", resolved.text);
    }
}
