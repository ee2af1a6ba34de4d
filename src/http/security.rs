//! Browser-facing hardening: security headers on every response, and CORS only when
//! `cors_allowed_origins` names origins (without it browsers refuse cross-origin calls,
//! which is what an API holding surveillance data wants by default).

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, DefaultHeaders};

/// Headers for every response. The API serves JSON, so the content policy forbids
/// everything a page could load; HSTS only when this listener itself speaks TLS.
pub fn headers(tls: bool) -> DefaultHeaders {
    let h = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ));
    if tls {
        h.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        h
    }
}

/// CORS for the configured origins only; disabled (no CORS headers at all) when empty.
pub fn cors(origins: &[String]) -> Condition<Cors> {
    let mut c = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(3600);
    for o in origins {
        c = c.allowed_origin(o);
    }
    Condition::new(!origins.is_empty(), c)
}
