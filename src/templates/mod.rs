//! Email and page templates (minijinja). The defaults under `templates/` are
//! compiled into the binary; an operator directory (`TIDINGS_TEMPLATES_DIR`)
//! with the same layout replaces any of them, file by file. Templates are
//! read once at start-up: a syntax error stops the start, not a delivery.
//!
//! `.html` templates are HTML-escaped automatically; `.txt` ones are not.
mod context;
mod embedded;
mod filters;
mod locales;
pub mod sandbox;

use std::path::Path;

use anyhow::{bail, Context};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

pub use context::{
    AlertEmail, ConfirmEmail, ConfirmPage, ConfirmedPage, ErrorPage, UnsubscribePage,
    UnsubscribedEmail, UnsubscribedPage,
};
pub use sandbox::{SetSources, TemplateError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailKind {
    /// Context: [`ConfirmEmail`].
    Confirm,
    /// Context: [`UnsubscribedEmail`].
    Unsubscribed,
    /// Context: `domain::render_context::NotificationContext` (built below
    /// this layer, so only named here).
    Notification,
    /// Context: [`AlertEmail`].
    Alert,
}

impl EmailKind {
    pub const ALL: [EmailKind; 4] = [
        EmailKind::Confirm,
        EmailKind::Unsubscribed,
        EmailKind::Notification,
        EmailKind::Alert,
    ];

    fn dir(self) -> &'static str {
        match self {
            EmailKind::Confirm => "email/confirm",
            EmailKind::Unsubscribed => "email/unsubscribed",
            EmailKind::Notification => "email/notification",
            EmailKind::Alert => "email/alert",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Context: [`ConfirmPage`].
    Confirm,
    /// Context: [`ConfirmedPage`].
    Confirmed,
    /// Context: [`UnsubscribePage`].
    Unsubscribe,
    /// Context: [`UnsubscribedPage`].
    Unsubscribed,
    /// Context: [`ErrorPage`].
    Error,
}

impl Page {
    pub const ALL: [Page; 5] = [
        Page::Confirm,
        Page::Confirmed,
        Page::Unsubscribe,
        Page::Unsubscribed,
        Page::Error,
    ];

    fn name(self) -> &'static str {
        match self {
            Page::Confirm => "page/confirm.html",
            Page::Confirmed => "page/confirmed.html",
            Page::Unsubscribe => "page/unsubscribe.html",
            Page::Unsubscribed => "page/unsubscribed.html",
            Page::Error => "page/error.html",
        }
    }
}

/// A rendered email: one-line subject, text body, HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
    /// Every template name loaded, translations included.
    names: std::collections::HashSet<String>,
}

impl Templates {
    /// Loads the embedded defaults, each replaced by `dir/<same path>` when
    /// that file exists.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Templates> {
        if let Some(dir) = dir {
            if !dir.is_dir() {
                bail!("TIDINGS_TEMPLATES_DIR {} is not a directory", dir.display());
            }
        }
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Printing a name the context lacks is a bug worth an error;
        // `{% if name %}` on a missing name stays allowed.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .context("configuring the template syntax")?,
        );
        filters::register(&mut env);
        let mut names = std::collections::HashSet::new();
        for (name, default) in embedded::TEMPLATES {
            let source = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => read(&path)?,
                None => default.to_string(),
            };
            env.add_template_owned(*name, source)
                .with_context(|| format!("compiling template {name}"))?;
            names.insert(name.to_string());
        }
        // The operator's translations into languages tidings does not ship.
        if let Some(dir) = dir {
            for (name, _) in embedded::TEMPLATES {
                for (localized, path) in locales::operator_variants(dir, name) {
                    if names.contains(&localized) {
                        continue;
                    }
                    env.add_template_owned(localized.clone(), read(&path)?)
                        .with_context(|| format!("compiling template {localized}"))?;
                    names.insert(localized);
                }
            }
        }
        Ok(Templates { env, names })
    }

    /// The first translation of `name` along `chain` (`["fr-ca", "fr"]`),
    /// else `name` itself (English).
    fn pick(&self, name: &str, chain: &[String]) -> String {
        chain
            .iter()
            .map(|tag| locales::localized(name, tag))
            .find(|localized| self.names.contains(localized))
            .unwrap_or_else(|| name.to_string())
    }

    /// An email in the first language of `chain` it exists in; each part
    /// (subject, text, html) falls back on its own.
    pub fn render_email_in<C: Serialize>(
        &self,
        kind: EmailKind,
        chain: &[String],
        ctx: &C,
    ) -> anyhow::Result<RenderedEmail> {
        let dir = kind.dir();
        let part = |file: &str| self.render(&self.pick(&format!("{dir}/{file}"), chain), ctx);
        Ok(RenderedEmail {
            subject: one_line(&part("subject.txt")?),
            text: part("body.txt")?,
            html: part("body.html")?,
        })
    }

    pub fn render_page_in<C: Serialize>(
        &self,
        page: Page,
        chain: &[String],
        ctx: &C,
    ) -> anyhow::Result<String> {
        self.render(&self.pick(page.name(), chain), ctx)
    }

    /// The English email.
    pub fn render_email<C: Serialize>(
        &self,
        kind: EmailKind,
        ctx: &C,
    ) -> anyhow::Result<RenderedEmail> {
        self.render_email_in(kind, &[], ctx)
    }

    /// The English page.
    pub fn render_page<C: Serialize>(&self, page: Page, ctx: &C) -> anyhow::Result<String> {
        self.render_page_in(page, &[], ctx)
    }

    /// A console page or asset: `name` is a path under `templates/`
    /// starting with `console/`.
    pub fn render_console<C: Serialize>(&self, name: &str, ctx: &C) -> anyhow::Result<String> {
        if !name.starts_with("console/") {
            bail!("{name} is not a console template");
        }
        self.render(name, ctx)
    }

    fn render<C: Serialize>(&self, name: &str, ctx: &C) -> anyhow::Result<String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(Serde(ctx)))
            .with_context(|| format!("rendering template {name}"))
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading template {}", path.display()))
}

/// Subjects are header values: any run of whitespace, line breaks included,
/// becomes one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
