//! The operator console at `/console`: server-rendered HTML from the
//! `templates/console/` minijinja templates, usable without JavaScript.
//!
//! The console does its own sign-in (an API token kept in a cookie), so the
//! API's `authorize` middleware lets `/console` through and every handler
//! here asks `Viewer` instead. Every response carries the security headers
//! of `respond`; every form that changes something carries a CSRF token.
mod actions;
mod csrf;
mod form;
mod respond;
mod session;
mod views;

use actix_web::web;

/// Every console path starts with this.
pub const PREFIX: &str = "/console";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .route("", web::get().to(views::home))
            .route("/", web::get().to(views::home))
            .route("/console.css", web::get().to(respond::stylesheet))
            .route("/sign-in", web::get().to(session::show_sign_in))
            .route("/sign-in", web::post().to(session::sign_in))
            .route("/sign-out", web::post().to(session::sign_out))
            .route("/{project}", web::get().to(views::queues))
            .route("/{project}/queues/{queue}", web::get().to(views::queue))
            .route(
                "/{project}/queues/{queue}/subscriptions/{id}",
                web::get().to(views::subscription),
            )
            .route(
                "/{project}/queues/{queue}/subscriptions/{id}/deliveries/{delivery}/redeliver",
                web::post().to(actions::redeliver),
            )
            .default_service(web::to(respond::not_found)),
    );
}
