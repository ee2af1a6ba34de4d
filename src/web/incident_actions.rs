//! The incident pages' actions, through the same service functions as the API: open a case
//! and classify it (quality), add a report stage and record its submission (quality,
//! regulatory), each CSRF-checked and answered with a redirect to the incident page; and the
//! MIR XML download of a stored report.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::ConsoleUser;
use crate::console::nav::{INCIDENT_CLASSIFIERS, INCIDENT_REPORTERS};
use crate::error::AppError;
use crate::http::AppState;
use crate::service::incident_reports::{
    NewReport, SubmissionRequest, add_report, record_submission, report,
};
use crate::service::incidents::{Classification, NewIncident, classify_incident, create_incident};
use crate::vigilance::stage::{ReportStage, StageFields};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::post().to(post_open))
        .route("/incidents/{id}/classify", web::post().to(post_classify))
        .route("/incidents/{id}/reports", web::post().to(post_report))
        .route(
            "/incidents/{id}/reports/{seq}/submission",
            web::post().to(post_submission),
        )
        .route(
            "/incidents/{id}/reports/{seq}/mir.xml",
            web::get().to(get_mir),
        );
}

fn invalid(field: &str, message: &str) -> ConsoleError {
    AppError::Validation {
        message: format!("{field}: {message}"),
        details: vec![],
    }
    .into()
}

/// A form field: trimmed, empty as none.
fn given(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A `date` input: `YYYY-MM-DD`, empty as none.
fn date(field: &str, raw: Option<String>) -> Result<Option<NaiveDate>, ConsoleError> {
    match given(raw) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(field, "expected a date, YYYY-MM-DD")),
    }
}

fn back_to(id: &str, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/console/incidents/{id}?done={done}")))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    csrf: String,
    alert_id: Option<String>,
    model_id: Option<String>,
    title: Option<String>,
    #[serde(default)]
    description: String,
    awareness_date: Option<String>,
    reporting_country: Option<String>,
}

async fn post_open(
    user: ConsoleUser,
    state: web::Data<AppState>,
    form: web::Form<OpenForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(INCIDENT_CLASSIFIERS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let alert_id = given(f.alert_id);
    let today = state.clock.now().date_naive();
    // Opened by hand, day 0 is the day the form says, else today; from an alert, the alert's.
    let awareness_date =
        date("awareness_date", f.awareness_date)?.or_else(|| alert_id.is_none().then_some(today));
    let req = NewIncident {
        alert_id,
        model_id: given(f.model_id),
        title: given(f.title),
        description: f.description.trim().to_string(),
        awareness_date,
        reporting_country: given(f.reporting_country).map(|c| c.to_uppercase()),
        ..NewIncident::default()
    };
    let (st, who) = (state.clone(), user.actor());
    let view = web::block(move || {
        create_incident(&*st.store, &st.vigilance, &who, req, st.clock.now())
            .map_err(AppError::from)
    })
    .await??;
    Ok(back_to(&view.incident.id, "opened"))
}

#[derive(Debug, Deserialize)]
pub struct ClassifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    reason: String,
    awareness_date: Option<String>,
}

async fn post_classify(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ClassifyForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(INCIDENT_CLASSIFIERS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let req = Classification {
        class: f.class,
        reason: f.reason.trim().to_string(),
        awareness_date: date("awareness_date", f.awareness_date)?,
    };
    let (st, who, id) = (state.clone(), user.actor(), path.into_inner());
    let view = web::block(move || {
        classify_incident(&st.vigilance, &who, &id, req, st.clock.now()).map_err(AppError::from)
    })
    .await??;
    Ok(back_to(&view.incident.id, "classified"))
}

#[derive(Debug, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stage: String,
    fields: Option<String>,
}

/// The stage and the JSON fields of the report form; errors name the form field.
fn report_request(stage: &str, fields: Option<String>) -> Result<NewReport, ConsoleError> {
    let stage =
        ReportStage::parse(stage).ok_or_else(|| invalid("stage", "unknown report stage"))?;
    let fields = match given(fields) {
        None => StageFields::default(),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| invalid("fields", &format!("not valid report fields JSON: {e}")))?,
    };
    Ok(NewReport { stage, fields })
}

async fn post_report(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(INCIDENT_REPORTERS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let req = report_request(&f.stage, f.fields)?;
    let (st, who, id) = (state.clone(), user.actor(), path.into_inner());
    let r = web::block(move || {
        add_report(&*st.store, &st.vigilance, &who, &id, req, st.clock.now())
            .map_err(AppError::from)
    })
    .await??;
    Ok(back_to(&r.incident_id, "report"))
}

#[derive(Debug, Deserialize)]
pub struct SubmissionForm {
    #[serde(default)]
    csrf: String,
    submitted_on: Option<String>,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    reference: String,
}

async fn post_submission(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<SubmissionForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(INCIDENT_REPORTERS)?;
    let f = form.into_inner();
    user.check_csrf(&f.csrf)?;
    let submitted_on = date("submitted_on", f.submitted_on)?
        .ok_or_else(|| invalid("submitted_on", "the submission date is required"))?;
    let req = SubmissionRequest {
        submitted_on,
        authority: f.authority.trim().to_string(),
        reference: f.reference.trim().to_string(),
    };
    let (st, who, (id, seq)) = (state.clone(), user.actor(), path.into_inner());
    let view = web::block(move || {
        record_submission(&st.vigilance, &who, &id, seq, req, st.clock.now())
            .map_err(AppError::from)
    })
    .await??;
    Ok(back_to(&view.incident.id, "submission"))
}

async fn get_mir(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("incidents")?;
    let (st, (id, seq)) = (state.clone(), path.into_inner());
    let r = web::block(move || report(&st.vigilance, &id, seq).map_err(AppError::from)).await??;
    let file = format!(
        "attachment; filename=\"mir-{}-{}-{}.xml\"",
        r.incident_id,
        r.seq,
        r.stage.as_str()
    );
    Ok(HttpResponse::Ok()
        .content_type("application/xml")
        .insert_header(("Content-Disposition", file))
        .insert_header(("X-Content-SHA256", r.sha256.clone()))
        .insert_header(("Cache-Control", "no-store"))
        .body(r.xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_forms_name_the_field_that_is_wrong() {
        let err = report_request("initial", Some("{\"nca_name\": 3}".into())).unwrap_err();
        assert!(err.to_string().starts_with("fields:"), "{err}");
        let err = report_request("draft", None).unwrap_err();
        assert!(err.to_string().starts_with("stage:"), "{err}");
        let ok = report_request("follow_up", Some(" ".into())).unwrap();
        assert_eq!(ok.stage, ReportStage::FollowUp);
        assert!(date("submitted_on", Some("03.12.2026".into())).is_err());
    }
}
