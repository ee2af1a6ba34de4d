//! The role-to-route matrix, in one place: every route template with its method and who may
//! call it. A middleware enforces it before any extractor reads the request, so a refused role
//! gets 403 whatever its body, a known path with another method gets 405 with `Allow` (HEAD is
//! served wherever GET is), and a
//! route registered without a row here answers 500 (loudly, so its tests fail until the row is
//! added). README's role table is generated from it (`markdown_table`; a test compares).
//! Handlers still check their principal; the walking test keeps the two in agreement.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, ResponseError};

use super::auth::Caller;
use crate::domain::Role;
use crate::error::AppError;
use crate::service::admin::Principal;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No credential (health, OpenAPI; `/metrics` checks its own token).
    Anyone,
    /// A site key.
    Site,
    /// A user with one of these roles.
    Users(&'static [Role]),
}

/// One row of the matrix: `path` is the template as registered (`/api/v1/alerts/{id}`).
#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
}

const fn rule(method: &'static str, path: &'static str, who: Who) -> RouteRule {
    RouteRule { method, path, who }
}

use Role::{Admin, Ml, Quality, Regulatory};
const ANY_USER: Who = Who::Users(&[Admin, Regulatory, Quality, Ml]);
const READERS: Who = Who::Users(&[Admin, Quality, Regulatory]);
const VIGILANCE_READERS: Who = Who::Users(&[Admin, Quality, Regulatory]);
const VIGILANCE_WRITERS: Who = Who::Users(&[Quality, Regulatory]);

/// Every route. Segregation of duties: admin manages sites, users, keys and configuration
/// (and operations: cancelling a stuck job, overriding a failed promotion gate); it reads
/// everything the other roles read, but acting on plans, baselines, evaluations, alerts,
/// retraining, shadow runs, devices and incidents belongs to the roles named for them.
pub const ROUTES: &[RouteRule] = &[
    rule("GET", "/healthz", Who::Anyone),
    rule("GET", "/readyz", Who::Anyone),
    rule("GET", "/metrics", Who::Anyone),
    rule("GET", "/api/v1/openapi.json", Who::Anyone),
    rule("POST", "/api/v1/events", Who::Site),
    rule("POST", "/api/v1/reviews", Who::Site),
    rule("POST", "/api/v1/reviews/{review_id}/masks", Who::Site),
    rule("GET", "/api/v1/ingest/held", Who::Site),
    rule("GET", "/api/v1/sites", READERS),
    rule("POST", "/api/v1/sites", Who::Users(&[Admin])),
    rule("POST", "/api/v1/sites/{id}/key", Who::Users(&[Admin])),
    rule("GET", "/api/v1/models", ANY_USER),
    rule("POST", "/api/v1/models", Who::Users(&[Ml])),
    rule("GET", "/api/v1/counts", ANY_USER),
    rule(
        "PUT",
        "/api/v1/models/{model}/plan",
        Who::Users(&[Quality, Regulatory]),
    ),
    rule("GET", "/api/v1/models/{model}/plan", ANY_USER),
    rule("GET", "/api/v1/models/{model}/plan/history", ANY_USER),
    rule(
        "POST",
        "/api/v1/models/{model}/plan/backtest",
        Who::Users(&[Quality]),
    ),
    rule("GET", "/api/v1/models/{model}/plan/backtests", ANY_USER),
    rule("POST", "/api/v1/retraining-requests", Who::Users(&[Ml])),
    rule("GET", "/api/v1/retraining-requests/{id}", ANY_USER),
    rule(
        "POST",
        "/api/v1/retraining-requests/{id}/status",
        Who::Users(&[Ml]),
    ),
    rule(
        "PUT",
        "/api/v1/models/{model}/versions/{version}/baseline",
        Who::Users(&[Ml, Quality]),
    ),
    rule(
        "GET",
        "/api/v1/models/{model}/versions/{version}/baseline",
        ANY_USER,
    ),
    rule(
        "POST",
        "/api/v1/models/{model}/versions/{version}/baseline/freeze",
        Who::Users(&[Ml, Quality]),
    ),
    rule("POST", "/api/v1/evaluations", Who::Users(&[Quality, Ml])),
    rule("GET", "/api/v1/evaluations", ANY_USER),
    rule("GET", "/api/v1/evaluations/{id}", ANY_USER),
    rule("GET", "/api/v1/findings", ANY_USER),
    rule("GET", "/api/v1/alerts", READERS),
    rule("GET", "/api/v1/alerts/{id}", READERS),
    rule(
        "POST",
        "/api/v1/alerts/{id}/{action}",
        Who::Users(&[Quality]),
    ),
    rule("GET", "/api/v1/audit/checkpoint", READERS),
    rule("GET", "/api/v1/jobs", ANY_USER),
    rule("GET", "/api/v1/jobs/{id}", ANY_USER),
    // Admin, or the user who requested the job (the handler checks the requester).
    rule("POST", "/api/v1/jobs/{id}/cancel", ANY_USER),
    rule(
        "PUT",
        "/api/v1/models/{model}/versions/{version}/artifact",
        Who::Users(&[Ml]),
    ),
    // ml promotes after a passing shadow run; admin may override a failed gate (audited).
    rule(
        "POST",
        "/api/v1/models/{model}/versions/{version}/promote",
        Who::Users(&[Ml, Admin]),
    ),
    rule("POST", "/api/v1/archive/cases", Who::Users(&[Ml])),
    rule("GET", "/api/v1/archive/cases", ANY_USER),
    rule("GET", "/api/v1/archive/cases/{case_ref}", ANY_USER),
    rule(
        "DELETE",
        "/api/v1/archive/cases/{case_ref}",
        Who::Users(&[Ml]),
    ),
    rule("POST", "/api/v1/shadow-runs", Who::Users(&[Ml])),
    rule("GET", "/api/v1/shadow-runs/{id}", ANY_USER),
    rule("POST", "/api/v1/devices", Who::Users(&[Regulatory])),
    rule("GET", "/api/v1/devices", VIGILANCE_READERS),
    rule("GET", "/api/v1/devices/{basic}", VIGILANCE_READERS),
    rule(
        "PATCH",
        "/api/v1/devices/{basic}",
        Who::Users(&[Regulatory]),
    ),
    rule(
        "POST",
        "/api/v1/devices/{basic}/retire",
        Who::Users(&[Regulatory]),
    ),
    rule(
        "POST",
        "/api/v1/devices/{basic}/software",
        Who::Users(&[Regulatory]),
    ),
    rule("GET", "/api/v1/devices/{basic}/exposure", VIGILANCE_READERS),
    rule("POST", "/api/v1/incidents", Who::Users(&[Quality])),
    rule("GET", "/api/v1/incidents", VIGILANCE_READERS),
    rule("GET", "/api/v1/incidents/{id}", VIGILANCE_READERS),
    rule(
        "POST",
        "/api/v1/incidents/{id}/classify",
        Who::Users(&[Quality]),
    ),
    rule("POST", "/api/v1/incidents/{id}/reports", VIGILANCE_WRITERS),
    rule(
        "GET",
        "/api/v1/incidents/{id}/reports/{seq}/mir.xml",
        VIGILANCE_READERS,
    ),
    rule(
        "GET",
        "/api/v1/incidents/{id}/reports/{seq}/eudamed.xml",
        VIGILANCE_READERS,
    ),
    rule(
        "POST",
        "/api/v1/incidents/{id}/reports/{seq}/submission",
        VIGILANCE_WRITERS,
    ),
    rule("POST", "/api/v1/reports", Who::Users(&[Regulatory])),
    rule("GET", "/api/v1/reports/{id}", VIGILANCE_READERS),
    rule("GET", "/api/v1/reports/{id}/pdf", VIGILANCE_READERS),
    rule("GET", "/api/v1/reports/{id}/json", VIGILANCE_READERS),
    rule(
        "POST",
        "/api/v1/reports/{id}/approve",
        Who::Users(&[Regulatory]),
    ),
    rule(
        "GET",
        "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}",
        VIGILANCE_READERS,
    ),
    rule(
        "PUT",
        "/api/v1/reports/narratives/{device}/{kind}/{from}/{to}",
        Who::Users(&[Regulatory]),
    ),
    rule(
        "POST",
        "/api/v1/models/{model}/trend-evaluations",
        VIGILANCE_WRITERS,
    ),
    rule("GET", "/api/v1/trend-reports", VIGILANCE_READERS),
    rule("GET", "/api/v1/trend-reports/{id}", VIGILANCE_READERS),
    rule(
        "GET",
        "/api/v1/trend-reports/{id}/mtr.xml",
        VIGILANCE_READERS,
    ),
    rule("GET", "/api/v1/trend-reports/{id}/pdf", VIGILANCE_READERS),
    rule("GET", "/api/v1/device-groups", VIGILANCE_READERS),
    rule("GET", "/api/v1/device-groups/{leading}", VIGILANCE_READERS),
    rule(
        "PUT",
        "/api/v1/device-groups/{leading}",
        Who::Users(&[Regulatory]),
    ),
];

/// The rows of one route template.
pub fn rules_for(path: &str) -> impl Iterator<Item = &'static RouteRule> + '_ {
    ROUTES.iter().filter(move |r| r.path == path)
}

/// Whether `principal` may call a route of `who`.
pub fn allows(who: Who, principal: &Principal) -> bool {
    match (who, principal) {
        (Who::Anyone, _) | (Who::Site, Principal::Site(_)) => true,
        (Who::Users(roles), Principal::User(u)) => roles.contains(&u.role),
        _ => false,
    }
}

/// README's table, one line per route.
pub fn markdown_table() -> String {
    let mut out = String::from("| method | route | who |\n|---|---|---|\n");
    for r in ROUTES {
        let who = match r.who {
            Who::Anyone => "anyone".to_string(),
            Who::Site => "site".to_string(),
            Who::Users(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.push_str(&format!("| {} | `{}` | {who} |\n", r.method, r.path));
    }
    out
}

/// Middleware: find the matched route's row, answer 405/500/401/403 from it, and hand the
/// authenticated principal to the handler's `Caller` (authenticated and rate-limited once).
pub async fn enforce(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(pattern) = req.match_pattern() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if pattern == "/" || pattern.starts_with("/console") {
        // The console's pages check their session, role and CSRF token themselves
        // (`web::session`); the matrix is the API's.
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let rows: Vec<&RouteRule> = rules_for(&pattern).collect();
    let has_get = rows.iter().any(|r| r.method == "GET");
    if req.method() == Method::HEAD && has_get {
        // HEAD works wherever GET does: routed as GET; the HTTP codec, which saw the HEAD
        // request, sends the headers (with the length) and drops the body.
        req.head_mut().method = Method::GET;
    }
    let method = req.method().as_str().to_string();
    let refuse = |req: ServiceRequest, e: AppError| {
        let res = e.error_response();
        Ok(req.into_response(res).map_into_right_body())
    };
    if rows.is_empty() {
        return refuse(
            req,
            AppError::Internal(format!("route {pattern} has no row in the roles table")),
        );
    }
    let Some(row) = rows.iter().find(|r| r.method == method) else {
        let head = has_get.then_some("HEAD");
        let allow = rows
            .iter()
            .map(|r| r.method)
            .chain(head)
            .collect::<Vec<_>>()
            .join(", ");
        return refuse(req, AppError::MethodNotAllowed { allow });
    };
    if row.who == Who::Anyone {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let (http, mut payload) = req.into_parts();
    let caller = match Caller::from_request(&http, &mut payload).await {
        Ok(c) => c,
        Err(e) => return refuse(ServiceRequest::from_parts(http, payload), e),
    };
    let req = ServiceRequest::from_parts(http, payload);
    if !allows(row.who, &caller.0) {
        return refuse(req, AppError::Forbidden);
    }
    req.extensions_mut().insert(caller.0);
    Ok(next.call(req).await?.map_into_left_body())
}
