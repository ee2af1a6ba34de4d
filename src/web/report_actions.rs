//! The report pages' actions, through the same service functions as the API, each for
//! regulatory affairs, CSRF-checked and answered with a redirect: request a report
//! (`reports::request_report`), approve it (`reports::approve`), and the narrative drafts of a
//! device, kind and period (`/console/reports/narratives/{device}/{kind}/{from}/{to}`: read by
//! quality and admin too, written through `report_narratives::put_narratives`).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use maud::html;
use serde::Deserialize;

use super::error::ConsoleError;
use super::page;
use super::session::ConsoleUser;
use crate::console::nav::REPORT_ACTORS;
use crate::error::AppError;
use crate::http::AppState;
use crate::reports::{Period, ReportKind, narrative_fields};
use crate::service::report_narratives::put_narratives;
use crate::service::reports::{ReportRequest, approve, request_report};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::post().to(post_request))
        .route("/reports/{id}/approve", web::post().to(post_approve))
        .route(NARRATIVES, web::get().to(narratives_page))
        .route(NARRATIVES, web::post().to(post_narratives));
}

const NARRATIVES: &str = "/reports/narratives/{device}/{kind}/{from}/{to}";

fn invalid(field: &str, message: &str) -> ConsoleError {
    AppError::Validation {
        message: format!("{field}: {message}"),
        details: vec![],
    }
    .into()
}

fn day(field: &str, raw: &str) -> Result<NaiveDate, ConsoleError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(field, "expected a date, YYYY-MM-DD"))
}

fn kind_of(raw: &str) -> Result<ReportKind, ConsoleError> {
    match ReportKind::parse(raw.trim()) {
        Some(k @ (ReportKind::Psur | ReportKind::Pms)) => Ok(k),
        _ => Err(invalid("kind", "choose psur or pms")),
    }
}

fn to_report(id: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/console/reports/{id}")))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    device: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn post_request(
    user: ConsoleUser,
    state: web::Data<AppState>,
    form: web::Form<RequestForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(REPORT_ACTORS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let request = ReportRequest {
        kind: kind_of(&f.kind)?,
        device: f.device.trim().to_string(),
        period: Period {
            from: day("from", &f.from)?,
            to: day("to", &f.to)?,
        },
    };
    let (st, actor) = (state.clone(), user.actor());
    let job = web::block(move || {
        request_report(&*st.store, &st.jobs, &request, (&actor, st.clock.now()))
            .map_err(AppError::from)
    })
    .await??;
    Ok(to_report(&job.id))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn post_approve(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(REPORT_ACTORS)?;
    user.check_csrf(&form.csrf)?;
    let (st, actor, id) = (state.clone(), user.actor(), path.into_inner());
    let record = web::block(move || {
        approve(&*st.store, &*st.blobs, &actor, &id, st.clock.now()).map_err(AppError::from)
    })
    .await??;
    Ok(to_report(&record.id))
}

type NarrativePath = (String, String, String, String);

/// The device, kind and period named by the path.
fn target(p: NarrativePath) -> Result<(String, ReportKind, Period), ConsoleError> {
    let (device, kind, from, to) = p;
    let period = Period {
        from: day("from", &from)?,
        to: day("to", &to)?,
    };
    Ok((device, kind_of(&kind)?, period))
}

async fn narratives_page(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<NarrativePath>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("reports")?;
    let (device, kind, period) = target(path.into_inner())?;
    let (st, d) = (state.clone(), device.clone());
    let drafts = web::block(move || st.store.narratives(&d, kind, period)).await??;
    let text_of = |field: &str| {
        drafts
            .iter()
            .find(|n| n.field == field)
            .map(|n| n.text.as_str())
    };
    let editable = user.may(REPORT_ACTORS);
    let body = html! {
        p { "Device " span.id { (device) } ", " (kind.as_str().to_uppercase()) ", "
            (period.from.to_string()) " – " (period.to.to_string())
            ". A field left empty appears as MISSING in the report." }
        form.card method="post" {
            (page::csrf_field(&user))
            @for (field, label) in narrative_fields(kind) {
                label for={ "n-" (field) } { (label) }
                textarea id={ "n-" (field) } name={ "field." (field) } rows="4" readonly[!editable] {
                    (text_of(field).unwrap_or_default())
                }
            }
            @if editable { div.buttons { button id="save-narratives" type="submit" { "Save drafts" } } }
        }
        p { a href="/console/reports" { "Back to the reports" } }
    };
    Ok(page::ok("Narrative drafts", &user, "reports", body))
}

async fn post_narratives(
    user: ConsoleUser,
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<NarrativePath>,
    form: web::Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(REPORT_ACTORS)?;
    let mut form = form.into_inner();
    user.check_csrf(&form.remove("csrf").unwrap_or_default())?;
    let (device, kind, period) = target(path.into_inner())?;
    let fields: BTreeMap<String, String> = form
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("field.")?.to_string(), v)))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let (st, actor) = (state.clone(), user.actor());
    web::block(move || {
        put_narratives(
            &*st.store,
            &actor,
            (&device, kind, period),
            &fields,
            st.clock.now(),
        )
        .map_err(AppError::from)
    })
    .await??;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", req.uri().path().to_string()))
        .finish())
}
