use serde_json::{json, Value};

use super::*;

fn filter(v: Value) -> Filter {
    Filter::from_json(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Each case: a filter, then bodies it must match and bodies it must not.
fn check(f: Value, yes: &[Value], no: &[Value]) {
    let compiled = filter(f.clone());
    for body in yes {
        assert!(compiled.matches(body), "{f} should match {body}");
    }
    for body in no {
        assert!(!compiled.matches(body), "{f} should not match {body}");
    }
}

#[test]
fn exact_values() {
    check(
        json!({"object.type": ["Document", "Post"]}),
        &[
            json!({"object": {"type": "Document"}}),
            json!({"object": {"type": "Post"}}),
            json!({"object": {"type": ["Folder", "Post"]}}),
        ],
        &[
            json!({"object": {"type": "Folder"}}),
            json!({"object": {"type": "document"}}),
            json!({"object": "Document"}),
            json!({}),
        ],
    );
    check(
        json!({"n": [5]}),
        &[json!({"n": 5}), json!({"n": 5.0}), json!({"n": [1, 5]})],
        &[json!({"n": "5"}), json!({"n": 6})],
    );
    check(
        json!({"ok": [true]}),
        &[json!({"ok": true})],
        &[json!({"ok": "true"}), json!({"ok": false})],
    );
    check(
        json!({"v": [null]}),
        &[json!({"v": null})],
        &[json!({}), json!({"v": 0}), json!({"v": "null"})],
    );
}

#[test]
fn nested_objects_are_dotted_paths() {
    let nested = filter(json!({"object": {"type": ["Document"]}}));
    let dotted = filter(json!({"object.type": ["Document"]}));
    for body in [
        json!({"object": {"type": "Document"}}),
        json!({"object": {"type": "Post"}}),
    ] {
        assert_eq!(nested.matches(&body), dotted.matches(&body), "{body}");
    }
    check(
        json!({"a": {"b.c": ["x"]}}),
        &[json!({"a": {"b": {"c": "x"}}})],
        &[json!({"a": {"b.c": "x"}})],
    );
}

#[test]
fn lists_in_the_body_match_by_any_element() {
    check(
        json!({"items.kind": ["Pod"]}),
        &[json!({"items": [{"kind": "Node"}, {"kind": "Pod"}]})],
        &[json!({"items": [{"kind": "Node"}]}), json!({"items": []})],
    );
}

#[test]
fn prefix_suffix_and_case() {
    check(
        json!({"repo_id": [{"prefix": "pulp"}]}),
        &[
            json!({"repo_id": "pulp2"}),
            json!({"repo_id": ["x", "pulp"]}),
        ],
        &[
            json!({"repo_id": "apulp"}),
            json!({"repo_id": 5}),
            json!({}),
        ],
    );
    check(
        json!({"file": [{"suffix": ".rpm"}]}),
        &[json!({"file": "a.rpm"})],
        &[json!({"file": "a.rpm.sig"}), json!({"file": null})],
    );
    check(
        json!({"state": [{"equals-ignore-case": "FAILED"}]}),
        &[json!({"state": "failed"}), json!({"state": "Failed"})],
        &[json!({"state": "fail"})],
    );
}

#[test]
fn anything_but() {
    check(
        json!({"severity": [{"anything-but": ["debug", "trace"]}]}),
        &[json!({"severity": "error"}), json!({"severity": 3})],
        &[
            json!({"severity": "debug"}),
            json!({"severity": "trace"}),
            json!({}),
        ],
    );
    check(
        json!({"severity": [{"anything-but": "debug"}]}),
        &[json!({"severity": "info"})],
        &[json!({"severity": "debug"})],
    );
    check(
        json!({"code": [{"anything-but": [200, 204]}]}),
        &[json!({"code": 500}), json!({"code": "200"})],
        &[json!({"code": 200}), json!({"code": 204.0})],
    );
    check(
        json!({"repo": [{"anything-but": {"prefix": "test-"}}]}),
        &[json!({"repo": "prod-1"})],
        &[json!({"repo": "test-1"}), json!({"repo": 5})],
    );
    check(
        json!({"file": [{"anything-but": {"suffix": ".tmp"}}]}),
        &[json!({"file": "a.rpm"})],
        &[json!({"file": "a.tmp"})],
    );
    // A list matches when any element is not excluded.
    check(
        json!({"tags": [{"anything-but": "debug"}]}),
        &[json!({"tags": ["debug", "prod"]})],
        &[json!({"tags": ["debug"]})],
    );
}

#[test]
fn numeric_comparisons() {
    check(
        json!({"size": [{"numeric": [">=", 100, "<", 1000]}]}),
        &[
            json!({"size": 100}),
            json!({"size": 999.5}),
            json!({"size": [5, 500]}),
        ],
        &[
            json!({"size": 99}),
            json!({"size": 1000}),
            json!({"size": "500"}),
            json!({}),
        ],
    );
    let single = [
        ("=", 5.0, true, false, false),
        ("<", 5.0, false, true, false),
        ("<=", 5.0, true, true, false),
        (">", 5.0, false, false, true),
        (">=", 5.0, true, false, true),
    ];
    for (op, bound, at, below, above) in single {
        let f = filter(json!({"n": [{"numeric": [op, bound]}]}));
        assert_eq!(f.matches(&json!({"n": 5})), at, "{op} at");
        assert_eq!(f.matches(&json!({"n": 4})), below, "{op} below");
        assert_eq!(f.matches(&json!({"n": 6})), above, "{op} above");
    }
    check(
        json!({"n": [{"numeric": [">", 0, "<=", 1]}]}),
        &[json!({"n": 1}), json!({"n": 0.5})],
        &[json!({"n": 0})],
    );
    check(
        json!({"n": [{"numeric": [">=", 3, "<=", 3]}]}),
        &[json!({"n": 3})],
        &[json!({"n": 3.1})],
    );
}

#[test]
fn exists() {
    check(
        json!({"user": [{"exists": true}]}),
        &[
            json!({"user": "admin"}),
            json!({"user": null}),
            json!({"user": []}),
        ],
        &[json!({}), json!({"other": 1})],
    );
    check(
        json!({"user": [{"exists": false}]}),
        &[json!({}), json!("not an object")],
        &[json!({"user": "admin"})],
    );
}

#[test]
fn every_key_must_match_and_any_condition_may() {
    let f = json!({
        "object.type": ["Document", "Post"],
        "severity": [{"anything-but": ["debug"]}],
        "size": [{"numeric": [">=", 100, "<", 1000]}],
        "repo_id": [{"prefix": "pulp"}],
        "user": [{"exists": true}],
    });
    let good = json!({"object": {"type": "Post"}, "severity": "error", "size": 120, "repo_id": "pulp2", "user": "admin"});
    let mut missing_user = good.clone();
    missing_user.as_object_mut().unwrap().remove("user");
    let mut small = good.clone();
    small["size"] = json!(10);
    check(f, &[good], &[missing_user, small]);
    check(
        json!({"v": ["a", {"prefix": "b"}, {"numeric": [">", 10]}]}),
        &[json!({"v": "a"}), json!({"v": "bee"}), json!({"v": 11})],
        &[json!({"v": "c"}), json!({"v": 10})],
    );
}

#[test]
fn refusals_name_the_key() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([]), "", "must be an object"),
        (json!("x"), "", "must be an object"),
        (json!({}), "", "at least one key"),
        (json!({"a": "x"}), "a", "must be a list"),
        (json!({"a": 5}), "a", "must be a list"),
        (json!({"a": []}), "a", "is empty"),
        (json!({"a": {}}), "a", "at least one key"),
        (json!({"a..b": ["x"]}), "a..b", "empty segment"),
        (json!({"": ["x"]}), "", "empty"),
        (json!({"a": [["x"]]}), "a", "not a list"),
        (json!({"a": [{}]}), "a", "exactly one operator"),
        (
            json!({"a": [{"prefix": "x", "suffix": "y"}]}),
            "a",
            "exactly one operator",
        ),
        (
            json!({"sev": [{"anythingbut": ["x"]}]}),
            "sev",
            "unknown operator \\\"anythingbut\\\"",
        ),
        (
            json!({"sev": [{"wildcard": "x*"}]}),
            "sev",
            "unknown operator",
        ),
        (json!({"a": [{"prefix": 5}]}), "a", "non-empty string"),
        (json!({"a": [{"prefix": ""}]}), "a", "non-empty string"),
        (json!({"a": [{"suffix": null}]}), "a", "non-empty string"),
        (
            json!({"a": [{"equals-ignore-case": []}]}),
            "a",
            "non-empty string",
        ),
        (
            json!({"a": [{"anything-but": []}]}),
            "a",
            "at least one value",
        ),
        (
            json!({"a": [{"anything-but": [["x"]]}]}),
            "a",
            "anything-but takes",
        ),
        (
            json!({"a": [{"anything-but": {"numeric": [">", 1]}}]}),
            "a",
            "anything-but takes",
        ),
        (
            json!({"a": [{"anything-but": {"prefix": 1}}]}),
            "a",
            "non-empty string",
        ),
        (json!({"a": [{"numeric": 5}]}), "a", "numeric takes"),
        (
            json!({"a": [{"numeric": [">", 1, "<"]}]}),
            "a",
            "numeric takes",
        ),
        (
            json!({"a": [{"numeric": ["~", 1]}]}),
            "a",
            "not a comparison",
        ),
        (json!({"a": [{"numeric": [">", "1"]}]}), "a", "not a number"),
        (
            json!({"a": [{"numeric": ["<", 1, ">", 0]}]}),
            "a",
            "lower bound then an upper",
        ),
        (
            json!({"a": [{"numeric": ["=", 1, "<", 2]}]}),
            "a",
            "lower bound then an upper",
        ),
        (
            json!({"a": [{"numeric": [">", 5, "<", 1]}]}),
            "a",
            "matches no number",
        ),
        (
            json!({"a": [{"numeric": [">", 1, "<=", 1]}]}),
            "a",
            "matches no number",
        ),
        (json!({"a": [{"exists": "yes"}]}), "a", "true or false"),
        (
            json!({"a.b.c.d.e.f": ["x"]}),
            "a.b.c.d.e.f",
            "6 levels deep",
        ),
        (
            json!({"a": {"b": {"c": {"d": {"e": {"f": ["x"]}}}}}}),
            "a.b.c.d.e.f",
            "6 levels deep",
        ),
    ];
    for (value, key, expect) in cases {
        let err = Filter::from_json(&value).unwrap_err();
        let quoted = format!("key {key:?}");
        assert!(err.contains("Option filter"), "{value}: {err}");
        if !key.is_empty() {
            assert!(err.contains(&quoted), "{value}: {err} should name {quoted}");
        }
        let expect = expect.replace("\\\"", "\"");
        assert!(err.contains(&expect), "{value}: {err} should say {expect}");
    }
}

#[test]
fn limits_at_and_over() {
    // Keys: 10 fine, 11 refused naming the eleventh.
    let keys = |n: usize| -> Value {
        Value::Object((0..n).map(|i| (format!("k{i}"), json!(["v"]))).collect())
    };
    assert!(Filter::from_json(&keys(MAX_KEYS)).is_ok());
    let err = Filter::from_json(&keys(MAX_KEYS + 1)).unwrap_err();
    assert!(
        err.contains("key \"k10\"") && err.contains("at most 10 keys"),
        "{err}"
    );

    // Conditions: 100 fine (over several keys), 101 refused.
    let conditions = |n: usize| -> Value {
        let list: Vec<Value> = (0..n).map(|i| json!(i)).collect();
        json!({"a": list[..n / 2].to_vec(), "b": list[n / 2..].to_vec()})
    };
    assert!(Filter::from_json(&conditions(MAX_CONDITIONS)).is_ok());
    let err = Filter::from_json(&conditions(MAX_CONDITIONS + 1)).unwrap_err();
    assert!(
        err.contains("key \"b\"") && err.contains("at most 100 conditions"),
        "{err}"
    );

    // Depth: 5 segments fine.
    assert!(Filter::from_json(&json!({"a.b.c.d.e": ["x"]})).is_ok());
    assert!(Filter::from_json(&json!({"a": {"b": {"c": {"d": {"e": ["x"]}}}}})).is_ok());

    // Size: 4 KiB fine, one byte more refused.
    let sized = |bytes: usize| -> Value {
        let overhead = json!({"k": [""]}).to_string().len();
        json!({"k": ["x".repeat(bytes - overhead)]})
    };
    assert_eq!(sized(MAX_FILTER_BYTES).to_string().len(), MAX_FILTER_BYTES);
    assert!(Filter::from_json(&sized(MAX_FILTER_BYTES)).is_ok());
    let err = Filter::from_json(&sized(MAX_FILTER_BYTES + 1)).unwrap_err();
    assert!(
        err.contains("4097 bytes") && err.contains("at most 4096"),
        "{err}"
    );
}
