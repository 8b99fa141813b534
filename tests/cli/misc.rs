//! What every client command shares: connection, headers, errors, output
//! formats, completions and the man page.
use super::run::{app, tidings, tidings_at};
use crate::sink::{HttpSink, Mode};

fn closed_port() -> u16 {
    // Bound and dropped: nothing listens there now.
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_names_the_url() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    for args in [
        &["queue", "list"][..],
        &["message", "post", "q", "1"],
        &["subscription", "list", "q"],
        &["delivery", "list", "q", "s"],
        &["routes", "q", "{}"],
        &["listener", "list"],
    ] {
        let run = tidings_at(&url, args, None, &[]).await;
        assert_eq!(run.code, 1, "{args:?}");
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr
                .starts_with(&format!("error: cannot reach tidings at {url}/v2/")),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
    }
    // The flag wins over TIDINGS_URL.
    let app = app().await;
    let flag = tidings_at(
        &url,
        &["queue", "list", "--api-url", &app.address],
        None,
        &[],
    )
    .await;
    assert_eq!(flag.code, 0, "{}", flag.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_project_token_and_client_id() {
    let sink = HttpSink::start().await;
    sink.set_mode(Mode::Status(204));
    let run = tidings_at(
        &sink.url(""),
        &["queue", "delete", "orders", "--project", "from-flag"],
        None,
        &[("TIDINGS_TOKEN", "tok-123")],
    )
    .await
    .ok();
    assert_eq!(run.stdout, "Deleted queue orders and its messages.\n");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/v2/queues/orders");
    assert_eq!(got[0].header("x-project-id"), Some("from-flag"));
    assert_eq!(got[0].header("x-auth-token"), Some("tok-123"));
    let client_id = got[0].header("client-id").unwrap();
    assert_eq!(client_id.len(), 32, "{client_id}");
    assert!(
        client_id.chars().all(|c| c.is_ascii_hexdigit()),
        "{client_id}"
    );

    let no_project = tidings_at(
        &sink.url(""),
        &["queue", "list"],
        None,
        &[("TIDINGS_PROJECT", "")],
    )
    .await;
    assert_eq!(no_project.code, 2);
    assert!(
        no_project.stderr.contains("TIDINGS_PROJECT"),
        "{}",
        no_project.stderr
    );
    assert_eq!(sink.received().len(), 1, "nothing sent without a project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_options_and_usage_errors() {
    let app = app().await;
    app.create_queue("orders").await;
    let piped = tidings(&app, &["queue", "list"]).await.ok();
    assert!(!piped.stdout.contains('\u{1b}'), "no colour on a pipe");
    let column = tidings(&app, &["queue", "list", "-o", "value", "-c", "colour"]).await;
    assert_eq!(column.code, 2);
    assert!(
        column.stderr.contains("-c takes one of: name"),
        "{}",
        column.stderr
    );
    let format = tidings(&app, &["queue", "list", "-o", "yaml"]).await;
    assert_eq!(format.code, 2);
    assert!(
        format
            .stderr
            .contains("possible values: table, json, value"),
        "{}",
        format.stderr
    );
    let verb = tidings(&app, &["queue", "rename", "orders"]).await;
    assert_eq!(verb.code, 2);
    let help = tidings(&app, &["listener", "email", "create", "--help"])
        .await
        .ok();
    assert!(
        help.stdout.contains("--addresses <ADDRESSES>"),
        "{}",
        help.stdout
    );
    let bad_url = tidings_at("not a url", &["queue", "list"], None, &[]).await;
    assert_eq!(bad_url.code, 2);
    assert!(bad_url.stderr.contains("TIDINGS_URL"), "{}", bad_url.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_man_pages() {
    let bash = tidings_at("http://unused", &["completions", "bash"], None, &[])
        .await
        .ok();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tidings.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    // Ask bash itself what it would offer after `tidings listener email `
    // and after `-o`.
    let complete = |words: &str, cword: usize| {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words} ''); COMP_CWORD={cword}; _tidings tidings '' {prev}; echo \"${{COMPREPLY[@]}}\"",
                script.display(),
                prev = words.rsplit(' ').next().unwrap_or_default()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let verbs = complete("tidings listener email", 3);
    assert!(verbs.contains(&"create".to_string()), "{verbs:?}");
    let groups = complete("tidings", 1);
    for group in [
        "queue",
        "message",
        "subscription",
        "delivery",
        "routes",
        "listener",
        "serve",
    ] {
        assert!(groups.contains(&group.to_string()), "{group}: {groups:?}");
    }
    assert_eq!(
        complete("tidings queue list -o", 4),
        ["table", "json", "value"]
    );
    for shell in ["zsh", "fish"] {
        let run = tidings_at("http://unused", &["completions", shell], None, &[])
            .await
            .ok();
        assert!(run.stdout.contains("subscription"), "{shell}");
    }
    let bad = tidings_at("http://unused", &["completions", "tcsh"], None, &[]).await;
    assert_eq!(bad.code, 2);

    let man = tidings_at("http://unused", &["man"], None, &[]).await.ok();
    assert!(
        man.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "roff: {}",
        &man.stdout[..80]
    );
    assert!(
        man.stdout.contains(".TH tidings 1"),
        "{}",
        &man.stdout[..300]
    );
    let pages = dir.path().join("man1");
    let run = tidings_at(
        "http://unused",
        &["man", "--dir", pages.to_str().unwrap()],
        None,
        &[],
    )
    .await
    .ok();
    assert!(run.stdout.starts_with("Wrote the man pages to "));
    for page in [
        "tidings.1",
        "tidings-queue.1",
        "tidings-listener-email-create.1",
        "tidings-serve.1",
    ] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap_or_else(|_| panic!("{page}"));
        assert!(text.contains(".SH NAME"), "{page}");
    }
    let create = std::fs::read_to_string(pages.join("tidings-listener-email-create.1")).unwrap();
    assert!(create.contains("addresses"), "options documented");
}
