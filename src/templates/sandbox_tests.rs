use serde_json::json;

use super::*;

fn set<'a>(subject: &'a str, text: &'a str, html: Option<&'a str>) -> SetSources<'a> {
    SetSources {
        subject,
        text,
        html,
    }
}

#[test]
fn renders_the_three_parts_with_escaping_in_html_only() {
    let sources = set(
        "New {{ event_type }}\n on {{ queue }}",
        "{{ message.body.title }} by {{ message.body.who | default(\"someone\") }}",
        Some("<p>{{ message.body.title }}</p>"),
    );
    check(&sources).unwrap();
    let ctx = json!({"queue": "q", "event_type": "doc.published",
                     "message": {"body": {"title": "<script>x</script> & co"}}});
    let mail = render(&sources, &ctx).unwrap();
    assert_eq!(mail.subject, "New doc.published on q");
    assert_eq!(mail.text, "<script>x</script> & co by someone");
    assert_eq!(
        mail.html,
        "<p>&lt;script&gt;x&lt;&#x2f;script&gt; &amp; co</p>"
    );
}

#[test]
fn without_html_the_text_is_escaped_into_a_plain_layout() {
    let sources = set("s", "{{ message.body }}", None);
    let mail = render(&sources, &json!({"message": {"body": "<b>hi</b>\nthere"}})).unwrap();
    assert!(
        mail.html.contains("&lt;b&gt;hi&lt;&#x2f;b&gt;\nthere"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<b>"));
}

#[test]
fn syntax_errors_name_the_part_and_line() {
    let err = check(&set("s", "line one\n{% if %}\n", None)).unwrap_err();
    assert_eq!((err.part.as_str(), err.line), ("text", Some(2)), "{err}");
    assert!(
        err.to_string().starts_with("text, line 2: syntax error"),
        "{err}"
    );
}

#[test]
fn unknown_filters_and_tests_are_refused_with_their_line() {
    let err = check(&set("s", "ok\n\n{{ x | shout }}", None)).unwrap_err();
    assert_eq!((err.part.as_str(), err.line), ("text", Some(3)), "{err}");
    assert!(err.message.contains("unknown filter \"shout\""), "{err}");
    let err = check(&set("s", "t", Some("{% if x is loud %}y{% endif %}"))).unwrap_err();
    assert_eq!(err.part, "html");
    assert!(err.message.contains("unknown test \"loud\""), "{err}");
    // Ours and minijinja's are known, inside blocks and filter sections too.
    check(&set(
        "{{ x | upper }}",
        "{{ x | pretty }} {{ x | date }} {{ x | default(1) }}{% filter upper %}a{% endfilter %}",
        Some("{% if x is defined %}{{ x | length }}{% endif %}"),
    ))
    .unwrap();
}

#[test]
fn includes_stay_inside_the_set() {
    check(&set("s", "t", Some("<pre>{% include \"text\" %}</pre>"))).unwrap();
    let mail = render(
        &set("s", "a < b", Some("<pre>{% include \"text\" %}</pre>")),
        &json!({}),
    )
    .unwrap();
    assert_eq!(mail.html, "<pre>a < b</pre>");
    for bad in [
        "{% include \"/etc/passwd\" %}",
        "{% include \"../../templates/email/layout.html\" %}",
        "{% extends \"email/layout.html\" %}",
        "{% import \"page/layout.html\" as x %}",
        "{% include name %}",
    ] {
        let err = check(&set("s", bad, None)).unwrap_err();
        assert_eq!(err.part, "text", "{bad}");
        assert!(
            err.message.contains("subject, text or html"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_loop_that_does_not_end_runs_out_of_fuel() {
    let sources = set(
        "s",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        None,
    );
    check(&sources).unwrap();
    let started = std::time::Instant::now();
    let err = render(&sources, &json!({})).unwrap_err();
    assert!(err.message.contains("took too long"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn output_is_capped() {
    // 600 KiB from a short loop: cut off at the cap, not by fuel.
    let sources = set(
        "s",
        "{% for i in range(600) %}{{ chunk }}{% endfor %}",
        None,
    );
    let err = render(&sources, &json!({"chunk": "x".repeat(1024)})).unwrap_err();
    assert!(err.message.contains("larger than"), "{err}");
}

#[test]
fn null_prints_as_nothing() {
    let mail = render(
        &set("[{{ a }}]", "{{ a | default(\"-\") }}", None),
        &json!({"a": null}),
    )
    .unwrap();
    assert_eq!(mail.subject, "[]");
}

#[test]
fn the_subject_is_one_line() {
    let mail = render(
        &set("{{ a }}", "t", None),
        &json!({"a": "x\r\nBcc: evil@example.net"}),
    )
    .unwrap();
    assert_eq!(mail.subject, "x Bcc: evil@example.net");
}
