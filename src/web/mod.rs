//! The console: server-rendered pages (maud templates compiled into the binary, one
//! vendored stylesheet and one small script, nothing from a CDN) for the people who act on
//! Vigil's findings. Every page goes through the same service functions and store queries as
//! the API, behind a cookie session (`session.rs`) with a CSRF token on every form. Each page
//! module registers its own routes; the navigation comes from `console::nav::PAGES`.

mod admin;
mod alert_actions;
mod alerts;
mod audit;
mod error;
mod fleet;
mod form_guard;
mod incident_actions;
mod incidents;
mod login;
mod models;
mod page;
mod report_actions;
mod reports;
mod session;
mod shadow;
mod shadow_actions;
mod shadow_dossier;

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use crate::storage::sessions::SessionStore;

/// What the console needs beyond the API's `AppState`: its own session store.
#[derive(Clone)]
pub struct Console {
    pub sessions: Arc<dyn SessionStore>,
}

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

/// Register every console route under `/console` (called from `http::routes`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    // A person who opens the bare address lands on the console, not on a JSON 404.
    cfg.route("/", web::get().to(root)).service(
        web::scope("/console")
            .wrap(actix_web::middleware::from_fn(
                form_guard::refuse_bad_form_text,
            ))
            .route("/static/console.css", web::get().to(css))
            .route("/static/console.js", web::get().to(js))
            .configure(login::configure)
            .configure(fleet::configure)
            .configure(alerts::configure)
            .configure(alert_actions::configure)
            .configure(incidents::configure)
            .configure(incident_actions::configure)
            .configure(reports::configure)
            .configure(report_actions::configure)
            .configure(models::configure)
            .configure(shadow::configure)
            .configure(shadow_actions::configure)
            .configure(audit::configure)
            .configure(admin::configure),
    );
}

async fn root() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/console"))
        .finish()
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}
