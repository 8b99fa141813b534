//! Stored template sets (per queue, written through the API) are compiled
//! and rendered here, in an environment of their own: the set's three
//! templates and nothing else (no loader, so no file is ever read and an
//! include can name only `subject`, `text` or `html`), a fuel limit that
//! bounds rendering time, an output cap per part, and HTML escaping in
//! `html`. The operator's and built-in templates never run here.
use std::io::{self, Write};

use minijinja::machinery::{self, Instruction, Instructions};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::filters;
use super::RenderedEmail;

/// Instructions one render may run (all three parts share it). A typical
/// notification takes a few thousand; a loop that would not end is cut
/// off here, in tens of milliseconds.
pub const FUEL: u64 = 2_000_000;
/// Largest output of one part, in bytes.
pub const MAX_OUTPUT: usize = 512 * 1024;

/// The three parts of a set, as their owner wrote them.
#[derive(Debug, Clone, Copy)]
pub struct SetSources<'a> {
    pub subject: &'a str,
    pub text: &'a str,
    /// None: the HTML part is the text, escaped, in a plain layout.
    pub html: Option<&'a str>,
}

/// Why a set cannot be stored or rendered, said for its owner: the part
/// and, when known, the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// `subject`, `text` or `html`.
    pub part: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}, line {line}: {}", self.part, self.message),
            None => write!(f, "{}: {}", self.part, self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

const PARTS: [&str; 3] = ["subject", "text", "html"];

fn environment(sources: &SetSources<'_>) -> Result<Environment<'static>, TemplateError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name == "html" {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // Event bodies differ from message to message: a missing field
    // renders as nothing, even deep in a path.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // A null field (an event without a type) prints as nothing, not `none`.
    env.set_formatter(|out, state, value| {
        if value.is_none() {
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.set_fuel(Some(FUEL));
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|err| error("subject", &err))?;
    env.set_syntax(syntax);
    filters::register(&mut env);
    for (part, source) in parts(sources) {
        env.add_template_owned(part, source.to_string())
            .map_err(|err| error(part, &err))?;
    }
    Ok(env)
}

fn parts<'a>(sources: &SetSources<'a>) -> Vec<(&'static str, &'a str)> {
    let mut out = vec![("subject", sources.subject), ("text", sources.text)];
    if let Some(html) = sources.html {
        out.push(("html", html));
    }
    out
}

fn error(part: &str, err: &Error) -> TemplateError {
    let message = match err.kind() {
        ErrorKind::OutOfFuel => {
            "rendering took too long (the template ran out of fuel; is there a loop that does not end?)"
                .to_string()
        }
        ErrorKind::WriteFailure => format!("the output is larger than {MAX_OUTPUT} bytes"),
        _ => match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        },
    };
    TemplateError {
        // An error inside an included part is reported where it is.
        part: err.name().unwrap_or(part).to_string(),
        line: err.line(),
        message,
    }
}

/// Compiles every part and checks what compiling alone does not: that
/// each filter and test it names exists, and that an include names a part
/// of the set. A set that passes is safe to store.
pub fn check(sources: &SetSources<'_>) -> Result<(), TemplateError> {
    let env = environment(sources)?;
    for (part, _) in parts(sources) {
        let template = env.get_template(part).map_err(|err| error(part, &err))?;
        let compiled = machinery::get_compiled_template(&template);
        check_instructions(&env, part, &compiled.instructions)?;
        for block in compiled.blocks.values() {
            check_instructions(&env, part, block)?;
        }
    }
    Ok(())
}

fn check_instructions(
    env: &Environment<'_>,
    part: &str,
    instructions: &Instructions<'_>,
) -> Result<(), TemplateError> {
    let refuse = |idx: u32, message: String| TemplateError {
        part: part.to_string(),
        line: instructions.get_line(idx),
        message,
    };
    let mut previous: Option<&Instruction<'_>> = None;
    let mut idx = 0u32;
    while let Some(instruction) = instructions.get(idx) {
        match instruction {
            Instruction::ApplyFilter(name, _, _) if !known(env, "filter", name) => {
                return Err(refuse(idx, format!("unknown filter {name:?}")));
            }
            Instruction::PerformTest(name, _, _) if !known(env, "test", name) => {
                return Err(refuse(idx, format!("unknown test {name:?}")));
            }
            Instruction::Include(_) | Instruction::LoadBlocks => {
                let target = match previous {
                    Some(Instruction::LoadConst(value)) => value.as_str().map(String::from),
                    _ => None,
                };
                match target {
                    Some(name) if PARTS.contains(&name.as_str()) => {}
                    Some(name) => {
                        return Err(refuse(
                            idx,
                            format!("{name:?} is not part of this set (a set may include only subject, text or html)"),
                        ))
                    }
                    None => {
                        return Err(refuse(
                            idx,
                            "an include or extends must name subject, text or html literally"
                                .to_string(),
                        ))
                    }
                }
            }
            _ => {}
        }
        previous = Some(instruction);
        idx += 1;
    }
    Ok(())
}

/// Whether the environment has a filter (or test) of that name, asked
/// through the template language itself (`name is filter`).
fn known(env: &Environment<'_>, kind: &str, name: &str) -> bool {
    let probe = format!("{{% if name is {kind} %}}yes{{% endif %}}");
    env.render_str(&probe, minijinja::context! { name => name })
        .map(|out| out == "yes")
        .unwrap_or(false)
}

/// Renders a set with `ctx`. The subject becomes one line; a set without
/// `html` gets the text, escaped, in a plain HTML layout.
pub fn render<C: Serialize>(
    sources: &SetSources<'_>,
    ctx: &C,
) -> Result<RenderedEmail, TemplateError> {
    let env = environment(sources)?;
    let ctx = Value::from(Serde(ctx));
    let subject = render_part(&env, "subject", &ctx)?;
    let text = render_part(&env, "text", &ctx)?;
    let html = match sources.html {
        Some(_) => render_part(&env, "html", &ctx)?,
        None => html_from_text(&text),
    };
    Ok(RenderedEmail {
        subject: super::one_line(&subject),
        text,
        html,
    })
}

fn render_part(
    env: &Environment<'_>,
    part: &'static str,
    ctx: &Value,
) -> Result<String, TemplateError> {
    let template = env.get_template(part).map_err(|err| error(part, &err))?;
    let mut out = Capped::default();
    template
        .render_captured_to(ctx.clone(), &mut out)
        .map_err(|err| error(part, &err))?;
    String::from_utf8(out.bytes).map_err(|_| TemplateError {
        part: part.to_string(),
        line: None,
        message: "the output is not UTF-8".to_string(),
    })
}

/// The text part as HTML: escaped, line breaks kept.
fn html_from_text(text: &str) -> String {
    let escaped = minijinja::HtmlEscape(text).to_string();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\n<body><div style=\"white-space:pre-wrap;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;\">{escaped}</div></body></html>\n"
    )
}

/// A writer that refuses to grow past [`MAX_OUTPUT`].
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT {
            return Err(io::Error::other("output cap reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "sandbox_tests.rs"]
mod tests;
