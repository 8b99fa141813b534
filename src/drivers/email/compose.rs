//! Builds the three emails tidings sends (notification, confirmation,
//! unsubscribed) from a subscription and the templates, following
//! product.md "Email": subject from the `mailto:` query, else
//! `options.subject`, else the template; From from `options.from`, else
//! `TIDINGS_MAIL_FROM`; cc/bcc from the URI and the options.
use anyhow::Context;
use serde_json::Value;

use super::mailto::parse_mailto;
use super::outgoing::OutgoingEmail;
use crate::templates::{
    ConfirmEmail, EmailKind, NotificationEmail, RenderedEmail, Templates, UnsubscribedEmail,
};

/// One message posted to a queue, for one `mailto:` subscription.
#[derive(Debug, Clone)]
pub struct NotificationRequest<'a> {
    /// The subscription's `mailto:` URI.
    pub subscriber: &'a str,
    /// The subscription's `options` object (`from`, `subject`, `cc`, `bcc`).
    pub options: &'a Value,
    pub queue: &'a str,
    pub project: &'a str,
    /// The message body as posted.
    pub body: &'a Value,
    /// When the message was posted, in Unix milliseconds.
    pub posted_at_ms: Option<i64>,
    /// The one-click unsubscribe URL (also sent as RFC 8058 headers).
    pub unsubscribe_url: Option<&'a str>,
}

/// The confirmation (or, for `build_unsubscribed`, the re-subscription)
/// email of one `mailto:` subscription.
#[derive(Debug, Clone)]
pub struct ConfirmationRequest<'a> {
    pub subscriber: &'a str,
    pub options: &'a Value,
    pub queue: &'a str,
    pub project: &'a str,
    /// The link that confirms (or re-confirms) the subscription.
    pub confirm_url: &'a str,
    /// When the link stops working, in Unix milliseconds.
    pub expires_at_ms: Option<i64>,
}

pub fn build_notification(
    templates: &Templates,
    default_from: &str,
    request: &NotificationRequest<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let target = Recipients::of(request.subscriber, request.options)?;
    let rendered = templates.render_email(
        EmailKind::Notification,
        &NotificationEmail {
            queue: crate::domain::display_name(request.queue).to_string(),
            project: request.project.to_string(),
            body: readable_body(request.body),
            posted_at: request.posted_at_ms.map(format_utc_ms),
            unsubscribe_url: request.unsubscribe_url.map(String::from),
        },
    )?;
    let subject = target
        .subject
        .clone()
        .or_else(|| option_string(request.options, "subject"))
        .unwrap_or_else(|| rendered.subject.clone());
    let from = option_string(request.options, "from").unwrap_or_else(|| default_from.to_string());
    let headers = unsubscribe_headers(request.unsubscribe_url);
    Ok(target.into_email(from, subject, rendered, headers, None))
}

/// The confirmation email. Always from `TIDINGS_MAIL_FROM`: a From chosen by
/// whoever created the subscription would let them impersonate anyone.
pub fn build_confirmation(
    templates: &Templates,
    default_from: &str,
    request: &ConfirmationRequest<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let target = Recipients::of(request.subscriber, request.options)?;
    let rendered = templates.render_email(
        EmailKind::Confirm,
        &ConfirmEmail {
            queue: crate::domain::display_name(request.queue).to_string(),
            project: request.project.to_string(),
            confirm_url: request.confirm_url.to_string(),
            expires_at: request.expires_at_ms.map(format_utc_ms),
        },
    )?;
    let subject = rendered.subject.clone();
    Ok(target.into_email(
        default_from.to_string(),
        subject,
        rendered,
        Vec::new(),
        Some(request.confirm_url.to_string()),
    ))
}

/// The "you have been unsubscribed" email; `confirm_url` re-subscribes.
pub fn build_unsubscribed(
    templates: &Templates,
    default_from: &str,
    request: &ConfirmationRequest<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let target = Recipients::of(request.subscriber, request.options)?;
    let rendered = templates.render_email(
        EmailKind::Unsubscribed,
        &UnsubscribedEmail {
            queue: crate::domain::display_name(request.queue).to_string(),
            project: request.project.to_string(),
            resubscribe_url: Some(request.confirm_url.to_string()),
        },
    )?;
    let subject = rendered.subject.clone();
    Ok(target.into_email(
        default_from.to_string(),
        subject,
        rendered,
        Vec::new(),
        Some(request.confirm_url.to_string()),
    ))
}

/// Every address a mailto subscription's emails go to (To, Cc and Bcc,
/// without `options.blocked_recipients`).
pub fn recipients(subscriber: &str, options: &Value) -> anyhow::Result<Vec<String>> {
    let r = Recipients::of(subscriber, options)?;
    Ok(r.to.into_iter().chain(r.cc).chain(r.bcc).collect())
}

struct Recipients {
    to: Vec<String>,
    cc: Vec<String>,
    bcc: Vec<String>,
    subject: Option<String>,
}

impl Recipients {
    fn of(subscriber: &str, options: &Value) -> anyhow::Result<Recipients> {
        let mailto = parse_mailto(subscriber).context("composing email")?;
        let mut cc = mailto.cc;
        cc.extend(option_addresses(options, "cc"));
        let mut bcc = mailto.bcc;
        bcc.extend(option_addresses(options, "bcc"));
        let mut to = mailto.to;
        // CPS's black list: these addresses are dropped from every send,
        // whichever field names them (compared in lower case).
        let blocked: Vec<String> = option_addresses(options, "blocked_recipients")
            .iter()
            .map(|a| a.to_lowercase())
            .collect();
        for list in [&mut to, &mut cc, &mut bcc] {
            list.retain(|a| !blocked.contains(&a.to_lowercase()));
        }
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            anyhow::bail!("every recipient is in options.blocked_recipients");
        }
        Ok(Recipients {
            to,
            cc,
            bcc,
            subject: mailto.subject,
        })
    }

    fn into_email(
        self,
        from: String,
        subject: String,
        rendered: RenderedEmail,
        headers: Vec<(String, String)>,
        dev_log_link: Option<String>,
    ) -> OutgoingEmail {
        OutgoingEmail {
            from,
            to: self.to,
            cc: self.cc,
            bcc: self.bcc,
            subject,
            text: rendered.text,
            html: Some(rendered.html),
            headers,
            message_id: None,
            dev_log_link,
            envelope_from: None,
        }
    }
}

/// RFC 8058 one-click unsubscribe, when there is a link.
fn unsubscribe_headers(url: Option<&str>) -> Vec<(String, String)> {
    let Some(url) = url else {
        return Vec::new();
    };
    vec![
        ("List-Unsubscribe".to_string(), format!("<{url}>")),
        (
            "List-Unsubscribe-Post".to_string(),
            "List-Unsubscribe=One-Click".to_string(),
        ),
    ]
}

/// A non-blank string option.
fn option_string(options: &Value, key: &str) -> Option<String> {
    options
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(String::from)
}

/// `"a@x, b@x"` or `["a@x", "b@x"]`; anything else is ignored.
fn option_addresses(options: &Value, key: &str) -> Vec<String> {
    let values: Vec<&str> = match options.get(key) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    values
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect()
}

/// `2026-11-23 15:00:00 UTC`: the API's ISO 8601, made easier to read.
fn format_utc_ms(ms: i64) -> String {
    crate::clock::iso8601(ms)
        .replace('T', " ")
        .replace('Z', " UTC")
}

/// Text bodies read best as themselves; anything else as indented JSON.
fn readable_body(body: &Value) -> String {
    match body {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string()),
    }
}

mod alert;
#[cfg(test)]
mod tests;

pub use alert::{build_alert, AlertRequest};
