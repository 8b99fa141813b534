//! The HTML pages a browser sees when it follows a link from an email.
//! One seam: `render` is all the handlers call, so switching to the
//! operator-editable minijinja templates (templates/page/*.html) later means
//! changing this file only. Contexts stay flat strings for that reason.
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use super::page_texts::{t, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Confirm,
    Confirmed,
    Unsubscribe,
    Unsubscribed,
    Error,
}

impl Page {
    /// The template name this page will map to.
    pub fn template(self) -> &'static str {
        match self {
            Page::Confirm => "page/confirm.html",
            Page::Confirmed => "page/confirmed.html",
            Page::Unsubscribe => "page/unsubscribe.html",
            Page::Unsubscribed => "page/unsubscribed.html",
            Page::Error => "page/error.html",
        }
    }
}

/// What every page may show. `address` is always masked; `token` and
/// `action_url` are only set on pages with a button.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    /// `en`, `de` or `fr` (`page_texts::language`); empty is English.
    pub lang: &'static str,
    pub title: String,
    pub queue: String,
    pub address: String,
    pub action_url: String,
    pub token: String,
    pub message: String,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

fn form(ctx: &PageContext, token_field: &str, button: &str) -> String {
    format!(
        r#"<form method="post" action="{action}"><input type="hidden" name="{field}" value="{token}"><button type="submit">{button}</button></form>"#,
        action = escape(&ctx.action_url),
        field = token_field,
        token = escape(&ctx.token),
        button = escape(button),
    )
}

fn body(page: Page, ctx: &PageContext) -> String {
    let queue = escape(&ctx.queue);
    let address = escape(&ctx.address);
    let message = escape(&ctx.message);
    let lang = if ctx.lang.is_empty() { "en" } else { ctx.lang };
    let sentence = |text: Text| {
        t(lang, text)
            .replace("{address}", &format!("<strong>{address}</strong>"))
            .replace("{queue}", &format!("<strong>{queue}</strong>"))
    };
    let main = match page {
        Page::Confirm => format!(
            "<p>{}</p>{}",
            sentence(Text::ConfirmSentence),
            form(ctx, "confirm_token", t(lang, Text::ConfirmButton))
        ),
        Page::Unsubscribe => format!(
            "<p>{}</p>{}",
            sentence(Text::UnsubscribeSentence),
            form(ctx, "token", t(lang, Text::UnsubscribeButton))
        ),
        Page::Confirmed | Page::Unsubscribed | Page::Error => format!("<p>{message}</p>"),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>{title}</title></head><body><h1>{title}</h1>{main}</body></html>\n",
        title = escape(&ctx.title),
    )
}

pub fn render(page: Page, status: StatusCode, ctx: &PageContext) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        // The URL carries a credential: keep it out of caches and referrers.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ))
        .body(body(page, ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything() {
        let ctx = PageContext {
            lang: "de",
            title: "<t>".into(),
            queue: "q\"".into(),
            address: "a***@x".into(),
            action_url: "/p?a=1&b=\"".into(),
            token: "tok".into(),
            message: "<script>".into(),
        };
        let html = body(Page::Confirm, &ctx);
        assert!(html.contains("&lt;t&gt;"));
        assert!(html.contains("action=\"/p?a=1&amp;b=&quot;\""));
        assert!(!body(Page::Error, &ctx).contains("<script>"));
        assert!(html.contains("<html lang=\"de\">"), "{html}");
        assert!(html.contains("Bestätigen Sie, dass <strong>a***@x</strong> die Nachrichten der Queue <strong>q&quot;</strong> erhalten soll."), "{html}");
        assert!(html.contains(">Abonnement bestätigen</button>"));
    }
}
