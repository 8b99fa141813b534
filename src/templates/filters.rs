//! The filters tidings adds to minijinja's own, for every template
//! (built-in, operator and stored sets alike):
//!
//! - `pretty`: the value as indented JSON;
//! - `date`: a timestamp (ISO 8601 text, or a number of Unix seconds) as
//!   `2026-11-23 15:00:00 UTC`, or in a `time` format description given
//!   as argument (`date("[year]-[month]-[day]")`). A value that is not a
//!   timestamp is shown as it is.
//!
//! `default` is minijinja's (`{{ x | default("none") }}`).
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("pretty", pretty);
    env.add_filter("date", date);
}

fn pretty(value: Value) -> Result<String, Error> {
    serde_json::to_string_pretty(&value)
        .map_err(|err| Error::new(ErrorKind::InvalidOperation, err.to_string()))
}

fn date(value: Value, format: Option<String>) -> Result<String, Error> {
    let Some(at) = timestamp(&value) else {
        return Ok(value.to_string());
    };
    let formatted = match format {
        None => at.format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        )),
        Some(spec) => {
            let description =
                time::format_description::parse_borrowed::<2>(&spec).map_err(|err| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("date format {spec:?}: {err}"),
                    )
                })?;
            at.format(&description)
        }
    };
    formatted.map_err(|err| Error::new(ErrorKind::InvalidOperation, err.to_string()))
}

fn timestamp(value: &Value) -> Option<OffsetDateTime> {
    let at = if let Some(text) = value.as_str() {
        OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?
    } else {
        let secs = i64::try_from(value.clone()).ok()?;
        OffsetDateTime::from_unix_timestamp(secs).ok()?
    };
    Some(at.to_offset(time::UtcOffset::UTC))
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    use super::*;

    fn render(source: &str, ctx: Value) -> String {
        let mut env = Environment::new();
        register(&mut env);
        env.render_str(source, ctx).unwrap()
    }

    #[test]
    fn pretty_indents_json() {
        let out = render(
            "{{ v | pretty }}",
            context! { v => Value::from(minijinja::value::Serde(serde_json::json!({"a": [1, 2]}))) },
        );
        assert_eq!(out, "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
    }

    #[test]
    fn date_reads_iso_text_and_unix_seconds() {
        let ctx =
            context! { iso => "2012-10-19T19:09:16Z", secs => 1_350_673_756, other => "soon" };
        assert_eq!(
            render("{{ iso | date }}", ctx.clone()),
            "2012-10-19 19:09:16 UTC"
        );
        assert_eq!(
            render("{{ secs | date }}", ctx.clone()),
            "2012-10-19 19:09:16 UTC"
        );
        assert_eq!(
            render("{{ iso | date(\"[day].[month].[year]\") }}", ctx.clone()),
            "19.10.2012"
        );
        assert_eq!(render("{{ other | date }}", ctx), "soon");
    }

    #[test]
    fn default_is_minijinjas() {
        assert_eq!(render("{{ missing | default(\"-\") }}", context! {}), "-");
    }
}
