//! Builds the three emails tidings sends (notification, confirmation,
//! unsubscribed) from a subscription and the templates, following
//! product.md "Email": subject from the `mailto:` query, else
//! `options.subject`, else the template; From from `options.from`, else
//! `TIDINGS_MAIL_FROM`; cc/bcc from the URI and the options.
use anyhow::Context;
use serde_json::Value;

use super::mailto::parse_mailto;
use super::outgoing::OutgoingEmail;
use crate::domain::locale::{self, Locale};
use crate::domain::render_context::{
    self, human_utc as format_utc_ms, readable_body, NotificationFacts,
};
use crate::domain::template_set::TemplateSet;
use crate::templates::{
    sandbox, ConfirmEmail, EmailKind, RenderedEmail, SetSources, Templates, UnsubscribedEmail,
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
    pub subscription_id: Option<&'a str>,
    pub event_type: Option<&'a str>,
    /// The queue's template set this subscription resolves to (its
    /// `options.template`, else the queue's `default`); None: the
    /// operator's or built-in notification templates.
    pub template: Option<&'a TemplateSet>,
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
    let rendered = render_notification(templates, request)?;
    let subject = target
        .subject
        .clone()
        .or_else(|| option_string(request.options, "subject"))
        .unwrap_or_else(|| rendered.subject.clone());
    let from = option_string(request.options, "from").unwrap_or_else(|| default_from.to_string());
    let headers = unsubscribe_headers(request.unsubscribe_url);
    Ok(target.into_email(from, subject, rendered, headers, None))
}

/// The notification's subject and parts, from its template set or the
/// operator's or built-in templates (before any subject the subscription
/// sets itself).
pub fn render_notification(
    templates: &Templates,
    request: &NotificationRequest<'_>,
) -> anyhow::Result<RenderedEmail> {
    let locale = locale_of(request.options);
    let chain = locale.as_ref().map(Locale::fallbacks).unwrap_or_default();
    let ctx = render_context::notification(&NotificationFacts {
        locale: locale.as_ref(),
        queue: request.queue,
        project: request.project,
        body: request.body,
        event_type: request.event_type,
        posted_at_ms: request.posted_at_ms,
        subscription_id: request.subscription_id,
        subscriber: Some(request.subscriber),
        unsubscribe_url: request.unsubscribe_url,
        preferences_url: None,
    });
    match request.template {
        Some(set) => Ok(sandbox::render(&sources(set), &ctx)?),
        None => templates.render_email_in(EmailKind::Notification, &chain, &ctx),
    }
}

/// The subscription's `options.locale`.
fn locale_of(options: &Value) -> Option<Locale> {
    options.as_object().and_then(locale::of_options)
}

/// The fallback chain of the subscription's language (empty: English).
fn chain_of(options: &Value) -> Vec<String> {
    locale_of(options)
        .map(|l| l.fallbacks())
        .unwrap_or_default()
}

pub fn sources(set: &TemplateSet) -> SetSources<'_> {
    SetSources {
        subject: &set.subject,
        text: &set.text,
        html: set.html.as_deref(),
    }
}

/// The confirmation email. Always from `TIDINGS_MAIL_FROM`: a From chosen by
/// whoever created the subscription would let them impersonate anyone.
pub fn build_confirmation(
    templates: &Templates,
    default_from: &str,
    request: &ConfirmationRequest<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let target = Recipients::of(request.subscriber, request.options)?;
    let chain = chain_of(request.options);
    let rendered = templates.render_email_in(
        EmailKind::Confirm,
        &chain,
        &ConfirmEmail {
            queue: crate::domain::display_name(request.queue).to_string(),
            project: request.project.to_string(),
            confirm_url: request.confirm_url.to_string(),
            expires_at: request
                .expires_at_ms
                .map(|ms| locale::format_datetime(ms, &chain)),
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
    let rendered = templates.render_email_in(
        EmailKind::Unsubscribed,
        &chain_of(request.options),
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

mod alert;
#[cfg(test)]
mod tests;

pub use alert::{build_alert, AlertRequest};
