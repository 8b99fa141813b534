//! Which role each route needs in `TIDINGS_AUTH=token` mode: one table,
//! read by the `authorize` middleware before any handler runs. A route
//! pattern and method missing from the table need a reader for reads and
//! an admin for anything else, so a route added without thought here is
//! closed rather than open.
use actix_web::http::Method;

use crate::domain::Role;

/// What a request needs before its handler may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// No credential: version discovery, and the links in emails (the
    /// signed token in the link is the credential).
    Public,
    /// A token of the request's project (or of `*`) with at least this role.
    Project(Role),
    /// A `*` token with at least this role: server-wide views.
    Server(Role),
}

/// Writes and the role each needs, by route pattern.
const WRITES: &[(&str, &[&str], Role)] = &[
    (
        "/v2/queues/{queue}",
        &["PUT", "PATCH", "DELETE"],
        Role::Admin,
    ),
    ("/v2/queues/{queue}/purge", &["POST"], Role::Admin),
    ("/v2/queues/{queue}/share", &["POST"], Role::Admin),
    // A dry run: says who would receive a message, changes nothing.
    ("/v2/queues/{queue}/routes", &["POST"], Role::Reader),
    // Renders a template set with a sample body, sends nothing. Writing
    // or deleting a set is queue configuration: the admin's (unlisted).
    (
        "/v2/queues/{queue}/templates/{name}/preview",
        &["POST"],
        Role::Reader,
    ),
    (
        "/v2/queues/{queue}/messages",
        &["POST", "DELETE"],
        Role::Publisher,
    ),
    (
        "/v2/queues/{queue}/messages/{message_id}",
        &["DELETE"],
        Role::Publisher,
    ),
    ("/v2/queues/{queue}/claims", &["POST"], Role::Publisher),
    (
        "/v2/queues/{queue}/claims/{claim_id}",
        &["PATCH", "DELETE"],
        Role::Publisher,
    ),
    (
        "/v2/queues/{queue}/subscriptions",
        &["POST"],
        Role::Subscriber,
    ),
    (
        "/v2/queues/{queue}/subscriptions/{subscription_id}",
        &["PATCH", "DELETE"],
        Role::Subscriber,
    ),
    (
        "/v2/queues/{queue}/subscriptions/{subscription_id}/confirm",
        &["PUT"],
        Role::Subscriber,
    ),
    (
        "/v2/queues/{queue}/subscriptions/{subscription_id}/deliveries/{delivery_id}/retry",
        &["POST"],
        Role::Subscriber,
    ),
    // Suppressing an address only stops mail, as deleting a subscription
    // does; lifting one (which may follow a bounce or a complaint) is the
    // admin's (the default for anything not listed).
    ("/v2/suppressions/{address}", &["PUT"], Role::Subscriber),
    // Providence rules are alert subscriptions under another name.
    ("/api/notificationRules", &["POST"], Role::Subscriber),
    (
        "/api/notificationRules/{id}",
        &["PUT", "DELETE"],
        Role::Subscriber,
    ),
];

/// The unsubscribe link's resource: every method is the browser's.
pub const UNSUBSCRIBE_LINK: &str = "/v2/queues/{queue}/subscriptions/{subscription_id}/unsubscribe";
/// A topic subscription's unsubscribe link.
pub const TOPIC_UNSUBSCRIBE_LINK: &str =
    "/v2/topics/{queue}/subscriptions/{subscription_id}/unsubscribe";
pub const METRICS: &str = "/metrics";
/// Server-wide views and actions: a `*` token with the admin role, for
/// every method (the server suppression list, bounce intake).
const SERVER_ADMIN: &[&str] = &[
    "/v2/server/suppressions",
    "/v2/server/suppressions/{address}",
    "/v2/bounces",
    "/v2/bounces/{bounce_id}",
];
/// The bounce audit trail: a project's admin reads its own project's
/// bounces (the handler narrows the list), a `*` admin every one; only a
/// `*` admin posts one (the intake acts on any project).
const BOUNCE_AUDIT: &[&str] = &["/v2/bounces", "/v2/bounces/{bounce_id}"];
const CONSOLE: &str = "/console";
const CONSOLE_SUBPATHS: &str = "/console/";

/// `pattern` is the matched route pattern (None: no route matched);
/// `is_link` says the request is the emailed confirmation link.
pub fn requirement(method: &Method, pattern: Option<&str>, is_link: bool) -> Requirement {
    let Some(pattern) = pattern else {
        // Unknown paths: a token first, then the 404.
        return Requirement::Project(Role::Reader);
    };
    // A topic's routes need what the same queue route needs.
    let as_queue = pattern
        .strip_prefix("/v2/topics")
        .map(|rest| format!("/v2/queues{rest}"));
    let pattern = as_queue.as_deref().unwrap_or(pattern);
    // The console signs its viewers in itself (a token in a cookie).
    let console = pattern == CONSOLE || pattern.starts_with(CONSOLE_SUBPATHS);
    if pattern == "/" || pattern == UNSUBSCRIBE_LINK || is_link || console {
        return Requirement::Public;
    }
    if pattern == METRICS {
        return Requirement::Server(Role::Reader);
    }
    if BOUNCE_AUDIT.contains(&pattern) && matches!(*method, Method::GET | Method::HEAD) {
        return Requirement::Project(Role::Admin);
    }
    if SERVER_ADMIN.contains(&pattern) {
        return Requirement::Server(Role::Admin);
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Requirement::Project(Role::Reader);
    }
    let role = WRITES
        .iter()
        .find(|(p, methods, _)| *p == pattern && methods.contains(&method.as_str()))
        .map_or(Role::Admin, |(_, _, role)| *role);
    Requirement::Project(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_links() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(requirement(&get, Some("/"), false), Requirement::Public);
        assert_eq!(
            requirement(&get, Some("/v2/queues"), false),
            Requirement::Project(Role::Reader)
        );
        assert_eq!(
            requirement(&post, Some("/v2/queues/{queue}/messages"), false),
            Requirement::Project(Role::Publisher)
        );
        assert_eq!(
            requirement(&post, Some("/v2/queues/{queue}/subscriptions"), false),
            Requirement::Project(Role::Subscriber)
        );
        assert_eq!(
            requirement(&post, Some("/v2/queues/{queue}/subscriptions"), true),
            Requirement::Public
        );
        assert_eq!(
            requirement(&post, Some(UNSUBSCRIBE_LINK), false),
            Requirement::Public
        );
        assert_eq!(
            requirement(&post, Some("/v2/topics/{queue}/messages"), false),
            Requirement::Project(Role::Publisher)
        );
        assert_eq!(
            requirement(&Method::PUT, Some("/v2/topics/{queue}"), false),
            Requirement::Project(Role::Admin)
        );
        assert_eq!(
            requirement(
                &get,
                Some("/v2/topics/{queue}/subscriptions/{subscription_id}/unsubscribe"),
                false
            ),
            Requirement::Public
        );
        assert_eq!(
            requirement(&get, Some(METRICS), false),
            Requirement::Server(Role::Reader)
        );
        assert_eq!(
            requirement(&get, Some("/v2/server/suppressions"), false),
            Requirement::Server(Role::Admin)
        );
        assert_eq!(
            requirement(&post, Some("/v2/bounces"), false),
            Requirement::Server(Role::Admin)
        );
        assert_eq!(
            requirement(&get, Some("/v2/bounces"), false),
            Requirement::Project(Role::Admin)
        );
        assert_eq!(
            requirement(&get, Some("/v2/bounces/{bounce_id}"), false),
            Requirement::Project(Role::Admin)
        );
        assert_eq!(
            requirement(&Method::DELETE, Some("/v2/bounces/{bounce_id}"), false),
            Requirement::Server(Role::Admin)
        );
        assert_eq!(
            requirement(&Method::PUT, Some("/v2/suppressions/{address}"), false),
            Requirement::Project(Role::Subscriber)
        );
        assert_eq!(
            requirement(&Method::DELETE, Some("/v2/suppressions/{address}"), false),
            Requirement::Project(Role::Admin)
        );
        assert_eq!(
            requirement(&post, Some("/console/{project}/queues/{queue}"), false),
            Requirement::Public
        );
        assert_eq!(
            requirement(&get, Some("/consoles"), false),
            Requirement::Project(Role::Reader)
        );
        // Not in the table: closed.
        assert_eq!(
            requirement(&Method::PUT, Some("/v2/queues"), false),
            Requirement::Project(Role::Admin)
        );
        assert_eq!(
            requirement(&get, None, false),
            Requirement::Project(Role::Reader)
        );
    }
}
