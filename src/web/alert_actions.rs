//! The alert page's moves and picture: `POST /console/alerts/{id}/{acknowledge|resolve|
//! escalate}` through the same services as the API (`move_alert`; escalation through
//! `escalate_alert`, which opens the incident) (quality managers; CSRF-checked; comment and,
//! for escalation, the awareness date and reporting country), answered with a redirect to the
//! alert page; and the stream's chart as PNG: the e-mail's chart, with the evidence of the
//! alert's latest history entry.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::ConsoleUser;
use crate::alerting::alert_chart::render_alert_png;
use crate::alerting::rules::Transition;
use crate::console::alert_view::chart as alert_chart;
use crate::console::nav::ALERT_ACTORS;
use crate::error::AppError;
use crate::http::AppState;
use crate::service::alerts::{AlertMoveError, MAX_NOTE_CHARS, MoveRequest, move_alert};
use crate::service::escalation::{EscalationError, IncidentOptions, escalate_alert};
use crate::storage::FindingQuery;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alerts/{id}/chart.png", web::get().to(chart))
        .route("/alerts/{id}/{action}", web::post().to(post_move));
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    note: Option<String>,
    awareness_at: Option<String>,
    reporting_country: Option<String>,
}

fn invalid(field: &str, message: &str) -> ConsoleError {
    AppError::Validation {
        message: format!("{field}: {message}"),
        details: vec![],
    }
    .into()
}

/// The form's comment: trimmed, empty as none, at most `MAX_NOTE_CHARS` characters (the
/// API's limit).
fn note(raw: Option<String>) -> Result<Option<String>, ConsoleError> {
    let n = raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    match n {
        Some(s) if s.chars().count() > MAX_NOTE_CHARS => Err(invalid(
            "note",
            &format!("at most {MAX_NOTE_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// A `datetime-local` value read as UTC; empty as none.
fn awareness(raw: Option<String>) -> Result<Option<DateTime<Utc>>, ConsoleError> {
    let Some(s) = raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            invalid(
                "awareness_at",
                "expected a date and time, YYYY-MM-DDTHH:MM (UTC)",
            )
        })
}

async fn post_move(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, ConsoleError> {
    user.require(ALERT_ACTORS)?;
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    let (id, action) = path.into_inner();
    let t = match action.as_str() {
        "acknowledge" => Transition::Acknowledge,
        "resolve" => Transition::Resolve,
        "escalate" => Transition::Escalate,
        _ => return Err(AppError::NotFound("no such alert action".into()).into()),
    };
    let note = note(form.note)?;
    let awareness_at = awareness(form.awareness_at)?;
    let reporting_country = form
        .reporting_country
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    let (st, actor, alert_id) = (state.clone(), user.actor(), id.clone());
    let moved = web::block(move || {
        let now = st.clock.now();
        let request = MoveRequest {
            transition: t,
            note,
            awareness_at,
            now,
        };
        if t == Transition::Escalate {
            let options = IncidentOptions { reporting_country };
            return escalate_alert(
                &*st.store,
                &st.vigilance,
                &actor,
                &alert_id,
                request,
                options,
            )
            .map(|e| e.alert);
        }
        move_alert(&*st.store, &actor, &alert_id, request).map_err(EscalationError::Move)
    })
    .await?;
    match moved {
        Ok(a) => Ok(HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!("/console/alerts/{}?moved={}", a.id, a.state.as_str()),
            ))
            .finish()),
        Err(EscalationError::Incident(e)) => Err(AppError::from(e).into()),
        Err(EscalationError::Move(e)) => Err(move_refused(e)),
    }
}

fn move_refused(e: AlertMoveError) -> ConsoleError {
    match e {
        e @ AlertMoveError::NotFound(_) => AppError::NotFound(e.to_string()).into(),
        e @ AlertMoveError::NotAllowed { .. } => AppError::Conflict(e.to_string()).into(),
        AlertMoveError::Invalid(issue) => AppError::Validation {
            message: "the alert move is invalid; nothing was changed".into(),
            details: vec![issue],
        }
        .into(),
        AlertMoveError::Store(e) => AppError::from(e).into(),
    }
}

async fn chart(
    user: ConsoleUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    user.require_page("alerts")?;
    let (st, id) = (state.clone(), path.into_inner());
    let png = web::block(move || -> Result<Option<Vec<u8>>, AppError> {
        let Some(alert) = st.store.alert(&id)? else {
            return Ok(None);
        };
        let findings = st.store.findings(&FindingQuery {
            model_id: Some(alert.model.clone()),
            rule: Some(alert.rule.clone()),
            stratum: Some(alert.stratum.clone()),
            limit: 2_000,
            ..FindingQuery::default()
        })?;
        let history = st.store.alert_events(&id)?;
        match alert_chart(&alert, &history, &findings) {
            Some(c) => render_alert_png(&c)
                .map(Some)
                .map_err(|e| AppError::Internal(e.to_string())),
            None => Ok(None),
        }
    })
    .await??;
    let png = png.ok_or_else(|| AppError::NotFound("no chart for this alert".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "no-store"))
        .body(png))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awareness_dates_are_read_as_utc_and_bad_ones_name_the_field() {
        let t = awareness(Some("2026-11-20T09:15".into())).unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T09:15:00+00:00");
        assert_eq!(awareness(Some("  ".into())).unwrap(), None);
        let err = awareness(Some("20/11/2026".into())).unwrap_err();
        assert!(err.to_string().contains("awareness_at"), "{err}");
        assert_eq!(note(Some("  ".into())).unwrap(), None);
        assert!(note(Some("x".repeat(MAX_NOTE_CHARS + 1))).is_err());
        assert!(note(Some("x".repeat(MAX_NOTE_CHARS))).is_ok());
    }
}
