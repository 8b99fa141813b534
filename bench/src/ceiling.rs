//! The loopback ceiling: an actix-web server that reads the request and
//! answers `201 Created` with an empty body. Whatever the load generator gets
//! from it is the most any HTTP server can get on this machine with this
//! client; tidings is compared with that figure.
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{Context, Result};

async fn created(_body: web::Bytes) -> HttpResponse {
    // Taking the body makes actix read it, as a real handler would.
    HttpResponse::Created().finish()
}

pub async fn serve(bind: &str, workers: usize) -> Result<()> {
    crate::note!("ceiling listening on {bind}");
    HttpServer::new(|| App::new().default_service(web::to(created)))
        .workers(workers.max(1))
        .backlog(4096)
        .bind(bind)
        .with_context(|| format!("binding {bind}"))?
        .run()
        .await
        .context("ceiling server")
}
