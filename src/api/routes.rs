//! The route table. Each resource lists its methods; any other method gets
//! 405 with `Allow`, as falcon answers, and OPTIONS gets 200 with `Allow`.
use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};

use super::context::{check_content_negotiation, name_in, RequestContext};
use super::{
    bounces, claims, deliveries, links, message_routes, messages, misc, notification_policy,
    notification_rules, queues, share, subscriptions, suppressions, template_sets,
};
use crate::domain::Namespace;
use crate::error::ApiError;

type Refusal = std::future::Ready<Result<HttpResponse, ApiError>>;

/// A Zaqar resource's answer to a method it does not serve. Falcon runs
/// Zaqar's before-hooks for every routed request, so a missing `Client-ID`
/// or a bad queue name is reported before the 405.
fn not_allowed(allow: &'static str) -> impl Fn(HttpRequest) -> Refusal + Clone {
    move |req: HttpRequest| std::future::ready(refuse_method(&req, allow, true))
}

/// The same for the routes that take no Zaqar headers (the unsubscribe
/// link a browser opens, `/metrics`).
fn plain_not_allowed(allow: &'static str) -> impl Fn(HttpRequest) -> Refusal + Clone {
    move |req: HttpRequest| std::future::ready(refuse_method(&req, allow, false))
}

fn refuse_method(
    req: &HttpRequest,
    allow: &'static str,
    zaqar_hooks: bool,
) -> Result<HttpResponse, ApiError> {
    // Falcon's default OPTIONS responder: 200, the allowed methods, no body.
    if req.method() == Method::OPTIONS {
        return Ok(HttpResponse::Ok()
            .insert_header((header::ALLOW, allow))
            .finish());
    }
    if zaqar_hooks {
        if req.path() == "/" {
            check_content_negotiation(req)?;
        } else {
            RequestContext::from_http(req)?;
            if let Some(raw) = req.match_info().get("queue") {
                name_in(Namespace::of_path(req.path()), raw)?;
            }
        }
    }
    Err(ApiError::MethodNotAllowed { allow })
}

async fn unknown_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    super::context::check_content_negotiation(&req)?;
    Err(ApiError::plain_not_found())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(misc::versions))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource(["/v2", "/v2/"])
            .route(web::get().to(misc::homedoc))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/openapi.json")
            .route(web::get().to(super::openapi::document))
            .default_service(web::to(plain_not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/ping")
            .route(web::get().to(misc::ping))
            .route(web::head().to(misc::ping_head))
            .default_service(web::to(not_allowed("GET, HEAD"))),
    )
    .service(
        web::resource("/v2/health")
            .route(web::get().to(misc::health))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/notification_types")
            .route(web::get().to(notification_policy::notification_types))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/queues")
            .route(web::get().to(queues::list))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/queues/{queue}")
            .route(web::put().to(queues::create))
            .route(web::get().to(queues::get))
            .route(web::patch().to(queues::patch))
            .route(web::delete().to(queues::delete))
            .default_service(web::to(not_allowed("DELETE, GET, PATCH, PUT"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/stats")
            .route(web::get().to(queues::stats))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/notification_policy")
            .route(web::get().to(notification_policy::queue_policy))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/routes")
            .route(web::post().to(message_routes::for_body))
            .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/purge")
            .route(web::post().to(queues::purge))
            .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/share")
            .route(web::post().to(share::share))
            .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/templates")
            .route(web::get().to(template_sets::list))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/templates/{name}")
            .route(web::get().to(template_sets::get))
            .route(web::put().to(template_sets::put))
            .route(web::delete().to(template_sets::delete))
            .default_service(web::to(not_allowed("DELETE, GET, PUT"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/templates/{name}/preview")
            .route(web::post().to(template_sets::preview))
            .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/subscriptions")
            .route(web::get().to(subscriptions::collection_get))
            .route(web::post().to(subscriptions::collection_post))
            .default_service(web::to(not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/subscriptions/{subscription_id}")
            .route(web::get().to(subscriptions::get))
            .route(web::patch().to(subscriptions::patch))
            .route(web::delete().to(subscriptions::delete))
            .default_service(web::to(not_allowed("DELETE, GET, PATCH"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/subscriptions/{subscription_id}/confirm")
            .route(web::put().to(subscriptions::confirm))
            .default_service(web::to(not_allowed("PUT"))),
    )
    .service(
        // Browser links: no API headers, the token is the credential.
        web::resource("/v2/queues/{queue}/subscriptions/{subscription_id}/unsubscribe")
            .route(web::get().to(links::show_unsubscribe))
            .route(web::post().to(links::do_unsubscribe))
            .default_service(web::to(plain_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/messages")
            .route(web::post().to(messages::post))
            .route(web::get().to(messages::list))
            .route(web::delete().to(messages::delete_many))
            .default_service(web::to(not_allowed("DELETE, GET, POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/messages/{message_id}")
            .route(web::get().to(messages::get))
            .route(web::delete().to(messages::delete))
            .default_service(web::to(not_allowed("DELETE, GET"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/messages/{message_id}/routes")
            .route(web::get().to(message_routes::for_message))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/claims")
            .route(web::post().to(claims::create))
            .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/claims/{claim_id}")
            .route(web::get().to(claims::get))
            .route(web::patch().to(claims::update))
            .route(web::delete().to(claims::release))
            .default_service(web::to(not_allowed("DELETE, GET, PATCH"))),
    )
    .service(
        web::resource("/v2/queues/{queue}/subscriptions/{subscription_id}/deliveries")
            .route(web::get().to(deliveries::list))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource(
            "/v2/queues/{queue}/subscriptions/{subscription_id}/deliveries/{delivery_id}/retry",
        )
        .route(web::post().to(deliveries::retry))
        .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/metrics")
            .route(web::get().to(deliveries::metrics))
            .default_service(web::to(plain_not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/suppressions")
            .route(web::get().to(suppressions::list))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/suppressions/{address}")
            .route(web::get().to(suppressions::get))
            .route(web::put().to(suppressions::put))
            .route(web::delete().to(suppressions::delete))
            .default_service(web::to(not_allowed("DELETE, GET, PUT"))),
    )
    .service(
        web::resource("/v2/server/suppressions")
            .route(web::get().to(suppressions::server_list))
            .default_service(web::to(plain_not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/server/suppressions/{address}")
            .route(web::get().to(suppressions::server_get))
            .route(web::put().to(suppressions::server_put))
            .route(web::delete().to(suppressions::server_delete))
            .default_service(web::to(plain_not_allowed("DELETE, GET, PUT"))),
    )
    .service(
        web::resource("/v2/bounces")
            .route(web::get().to(bounces::list))
            .route(web::post().to(bounces::post))
            .default_service(web::to(plain_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/v2/bounces/{bounce_id}")
            .route(web::get().to(bounces::get))
            .default_service(web::to(plain_not_allowed("GET"))),
    )
    .configure(topic_routes)
    .configure(notification_rules::configure)
    .configure(super::console::configure)
    .default_service(web::to(unknown_route));
}

/// Zaqar's `/v2/topics` routes: the queue handlers in the topic namespace
/// (they read it from the path). Topics have no claims, shares or routing
/// previews, as in Zaqar.
fn topic_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v2/topics")
            .route(web::get().to(queues::list))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/topics/{queue}")
            .route(web::put().to(queues::create))
            .route(web::get().to(queues::get))
            .route(web::patch().to(queues::patch))
            .route(web::delete().to(queues::delete))
            .default_service(web::to(not_allowed("DELETE, GET, PATCH, PUT"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/stats")
            .route(web::get().to(queues::stats))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/purge")
            .route(web::post().to(queues::purge))
            .default_service(web::to(not_allowed("POST"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/messages")
            .route(web::post().to(messages::post))
            .route(web::get().to(messages::list))
            .route(web::delete().to(messages::delete_many))
            .default_service(web::to(not_allowed("DELETE, GET, POST"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/messages/{message_id}")
            .route(web::get().to(messages::get))
            .route(web::delete().to(messages::delete))
            .default_service(web::to(not_allowed("DELETE, GET"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/subscriptions")
            .route(web::get().to(subscriptions::collection_get))
            .route(web::post().to(subscriptions::collection_post))
            .default_service(web::to(not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/subscriptions/{subscription_id}")
            .route(web::get().to(subscriptions::get))
            .route(web::patch().to(subscriptions::patch))
            .route(web::delete().to(subscriptions::delete))
            .default_service(web::to(not_allowed("DELETE, GET, PATCH"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/subscriptions/{subscription_id}/confirm")
            .route(web::put().to(subscriptions::confirm))
            .default_service(web::to(not_allowed("PUT"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/subscriptions/{subscription_id}/unsubscribe")
            .route(web::get().to(links::show_unsubscribe))
            .route(web::post().to(links::do_unsubscribe))
            .default_service(web::to(plain_not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/v2/topics/{queue}/subscriptions/{subscription_id}/deliveries")
            .route(web::get().to(deliveries::list))
            .default_service(web::to(not_allowed("GET"))),
    )
    .service(
        web::resource(
            "/v2/topics/{queue}/subscriptions/{subscription_id}/deliveries/{delivery_id}/retry",
        )
        .route(web::post().to(deliveries::retry))
        .default_service(web::to(not_allowed("POST"))),
    );
}
