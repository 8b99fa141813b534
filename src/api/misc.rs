//! Version discovery, JSON home, ping and health.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::context::RequestContext;
use super::state::AppState;
use crate::error::{ApiError, ApiResult};

pub async fn versions(req: HttpRequest) -> ApiResult<HttpResponse> {
    super::context::check_content_negotiation(&req)?;
    Ok(HttpResponse::MultipleChoices().json(json!({
        "versions": [{
            "id": "2",
            "status": "CURRENT",
            "updated": "2014-9-24T04:06:47Z",
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.messaging-v2+json"}],
            "links": [{"href": "/v2/", "rel": "self"}],
        }]
    })))
}

pub async fn ping(state: web::Data<AppState>, _ctx: RequestContext) -> ApiResult<HttpResponse> {
    match state.db.ping().await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(_) => Err(ApiError::unavailable(
            "Storage is not reachable. Please try again in a few seconds.",
        )),
    }
}

pub async fn ping_head(state: web::Data<AppState>, ctx: RequestContext) -> ApiResult<HttpResponse> {
    ping(state, ctx).await
}

pub async fn health(state: web::Data<AppState>, ctx: RequestContext) -> ApiResult<HttpResponse> {
    let started = std::time::Instant::now();
    let reachable = state.db.ping().await.is_ok();
    let seconds = started.elapsed().as_secs_f64();
    let now = state.now();
    let (free, claimed, total) = if reachable {
        let stats = crate::store::messages::project_volume(&state.db, &ctx.project, now).await?;
        (stats.0, stats.1, stats.0 + stats.1)
    } else {
        (0, 0, 0)
    };
    Ok(HttpResponse::Ok().json(json!({
        "storage_reachable": reachable,
        "operation_status": {
            "ping": {"succeeded": reachable, "seconds": seconds, "ref": Value::Null},
        },
        "message_volume": {"free": free, "claimed": claimed, "total": total},
    })))
}

/// The JSON home document (`GET /v2/`), listing every resource python-
/// zaqarclient looks up by relation.
pub async fn homedoc(_ctx: RequestContext) -> ApiResult<HttpResponse> {
    let q = json!({"queue_name": "param/queue_name"});
    let qm = json!({"queue_name": "param/queue_name", "message_id": "param/message_id"});
    let qc = json!({"queue_name": "param/queue_name", "claim_id": "param/claim_id"});
    let qs = json!({"queue_name": "param/queue_name", "subscription_id": "param/subscription_id"});
    let res = |tpl: &str, vars: &Value, allow: &[&str]| json!({"href-template": tpl, "href-vars": vars, "hints": {"allow": allow, "formats": {"application/json": {}}}});
    let res_post = |tpl: &str, vars: &Value, allow: &[&str]| {
        let mut r = res(tpl, vars, allow);
        r["hints"]["accept-post"] = json!(["application/json"]);
        r
    };
    let doc = json!({"resources": {
        "rel/queues": res("/v2/queues{?marker,limit,detailed}", &json!({"marker": "param/marker", "limit": "param/queue_limit", "detailed": "param/detailed"}), &["GET"]),
        "rel/queue": res("/v2/queues/{queue_name}", &q, &["PUT", "DELETE", "GET", "PATCH"]),
        "rel/queue_stats": res("/v2/queues/{queue_name}/stats", &q, &["GET"]),
        "rel/queue_share": res_post("/v2/queues/{queue_name}/share", &q, &["POST"]),
        "rel/queue_purge": res_post("/v2/queues/{queue_name}/purge", &q, &["POST"]),
        "rel/messages": res("/v2/queues/{queue_name}/messages{?marker,limit,echo,include_claimed}", &json!({"queue_name": "param/queue_name", "marker": "param/marker", "limit": "param/messages_limit", "echo": "param/echo", "include_claimed": "param/include_claimed"}), &["GET"]),
        "rel/post_messages": res_post("/v2/queues/{queue_name}/messages", &q, &["POST"]),
        "rel/messages_delete": res("/v2/queues/{queue_name}/messages{?ids,pop}", &json!({"queue_name": "param/queue_name", "ids": "param/ids", "pop": "param/pop"}), &["DELETE"]),
        "rel/message_delete": res("/v2/queues/{queue_name}/messages/{message_id}{?claim}", &qm, &["DELETE"]),
        "rel/message_get": res("/v2/queues/{queue_name}/messages/{message_id}", &qm, &["GET"]),
        "rel/claim": res("/v2/queues/{queue_name}/claims/{claim_id}", &qc, &["GET"]),
        "rel/post_claim": res_post("/v2/queues/{queue_name}/claims{?limit}", &json!({"queue_name": "param/queue_name", "limit": "param/claim_limit"}), &["POST"]),
        "rel/patch_claim": res("/v2/queues/{queue_name}/claims/{claim_id}", &qc, &["PATCH"]),
        "rel/delete_claim": res("/v2/queues/{queue_name}/claims/{claim_id}", &qc, &["DELETE"]),
        "rel/subscriptions_get": res("/v2/queues/{queue_name}/subscriptions{?marker,limit}", &json!({"queue_name": "param/queue_name", "marker": "param/marker", "limit": "param/subscription_limit"}), &["GET"]),
        "rel/subscriptions_post": res_post("/v2/queues/{queue_name}/subscriptions", &q, &["POST"]),
        "rel/subscription": res("/v2/queues/{queue_name}/subscriptions/{subscription_id}", &qs, &["GET", "DELETE"]),
        "rel/subscription_patch": res("/v2/queues/{queue_name}/subscriptions/{subscription_id}", &qs, &["PATCH"]),
        "rel/ping": res("/v2/ping", &json!({}), &["GET", "HEAD"]),
        "rel/health": res("/v2/health", &json!({}), &["GET"]),
    }});
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json-home"))
        .insert_header((header::CACHE_CONTROL, "max-age=86400"))
        .body(doc.to_string()))
}
