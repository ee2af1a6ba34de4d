//! Incident use cases: open a case (by a quality user, or from an escalated alert, taking the
//! alert's awareness date by default), classify or re-assess it (each appends to the clock
//! history, the due date computed over the reporting country's holidays), and show it with its
//! clock. Every free-text field passes the privacy screen first.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::admin::Actor;
use super::vigilance::{Vigilance, VigilanceError, invalid, screen_free_text};
use crate::domain::site::check_country;
use crate::service::admin::audit_draft as draft;
use crate::storage::Store;
use crate::vigilance::deadline::{
    ClockEvent, ClockEventKind, ClockState, ClockView, Seriousness, clock_view, due_date,
};
use crate::vigilance::incident::{Incident, IncidentView};

/// What a person supplies to open a case.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// Open from this alert: model version, title and awareness date default to the alert's.
    pub alert_id: Option<String>,
    /// Affected software version `name@version` (required without `alert_id`).
    pub model_id: Option<String>,
    pub title: Option<String>,
    pub description: String,
    /// Day 0; default the alert's recorded awareness date.
    pub awareness_date: Option<NaiveDate>,
    #[serde(default)]
    pub site_ids: Vec<String>,
    /// Default: the countries of `site_ids`.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Whose holidays end the clock; default the first country.
    pub reporting_country: Option<String>,
    /// Seriousness chosen now (optional: classify later).
    pub seriousness: Option<Seriousness>,
    pub reason: Option<String>,
}

/// Fill defaults from the alert; refuse an alert that already has an incident.
fn from_alert(
    store: &dyn Store,
    v: &Vigilance,
    req: &mut NewIncident,
) -> Result<(), VigilanceError> {
    let Some(alert_id) = req.alert_id.clone() else {
        return Ok(());
    };
    let alert = store
        .alert(&alert_id)?
        .ok_or(VigilanceError::NotFound("alert"))?;
    if v.incidents.incident_for_alert(&alert_id)?.is_some() {
        return Err(VigilanceError::Conflict(
            "this alert already has an incident".into(),
        ));
    }
    req.model_id.get_or_insert(alert.model);
    req.title.get_or_insert(alert.title);
    if req.awareness_date.is_none() {
        req.awareness_date = alert.awareness_at.map(|t| t.date_naive());
    }
    if req.site_ids.is_empty()
        && let Some(site) = alert.stratum.strip_prefix("site=")
    {
        req.site_ids.push(site.to_string());
    }
    Ok(())
}

/// Countries of the named sites, in order, without repeats.
fn site_countries(store: &dyn Store, ids: &[String]) -> Result<Vec<String>, VigilanceError> {
    let sites = store.list_sites()?;
    let mut out: Vec<String> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let site = sites
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| invalid(&format!("site_ids[{i}]"), "site_ids names an unknown site"))?;
        if !out.contains(&site.country) {
            out.push(site.country.clone());
        }
    }
    Ok(out)
}

/// A screened, checked case not yet stored: the incident, its first clock event (when a
/// seriousness was chosen) and the audit entry.
pub struct PreparedIncident {
    pub incident: Incident,
    first: Option<ClockEvent>,
    audit: crate::domain::audit::AuditDraft,
}

/// Open a case.
pub fn create_incident(
    store: &dyn Store,
    v: &Vigilance,
    actor: &Actor,
    req: NewIncident,
    now: DateTime<Utc>,
) -> Result<IncidentView, VigilanceError> {
    let prepared = prepare_incident(store, v, actor, req, now)?;
    store_incident(v, prepared, now)
}

/// Check and build a case without writing anything (escalation checks it before moving the
/// alert).
pub fn prepare_incident(
    store: &dyn Store,
    v: &Vigilance,
    actor: &Actor,
    mut req: NewIncident,
    now: DateTime<Utc>,
) -> Result<PreparedIncident, VigilanceError> {
    let mut free = vec![("description", req.description.as_str())];
    free.extend(req.title.as_deref().map(|t| ("title", t)));
    free.extend(req.reason.as_deref().map(|t| ("reason", t)));
    screen_free_text(&free)?;
    from_alert(store, v, &mut req)?;
    let incident = build_incident(store, v, actor, &req, now)?;
    let first = match req.seriousness {
        Some(s) => {
            let reason = req.reason.clone().filter(|r| !r.trim().is_empty());
            let reason =
                reason.ok_or_else(|| invalid("reason", "reason is required with seriousness"))?;
            let kind = ClockEventKind::Classified;
            let aware = incident.awareness_date;
            Some(clock_event(
                v,
                &incident,
                kind,
                Some(s),
                aware,
                reason,
                actor,
                now,
            )?)
        }
        None => None,
    };
    let details = json!({"alert": incident.alert_id, "model": incident.model_id, "awareness": incident.awareness_date});
    let audit = draft(actor, "incident.create", &incident.id, details);
    Ok(PreparedIncident {
        incident,
        first,
        audit,
    })
}

/// Store a prepared case; answers it with its clock.
pub fn store_incident(
    v: &Vigilance,
    p: PreparedIncident,
    now: DateTime<Utc>,
) -> Result<IncidentView, VigilanceError> {
    v.incidents
        .insert_incident(&p.incident, p.first.as_ref(), &p.audit)?;
    show_incident(v, &p.incident.id, now.date_naive())
}

/// The case from a screened request: model version registered, awareness date known,
/// countries checked, and the reporting country covered by the holiday calendar that year.
fn build_incident(
    store: &dyn Store,
    v: &Vigilance,
    actor: &Actor,
    req: &NewIncident,
    now: DateTime<Utc>,
) -> Result<Incident, VigilanceError> {
    let model_id = req
        .model_id
        .clone()
        .ok_or_else(|| invalid("model_id", "model_id is required without alert_id"))?;
    let (name, version) = model_id.split_once('@').unwrap_or((&model_id, ""));
    if store.find_model(name, version)?.is_none() {
        return Err(invalid(
            "model_id",
            "model_id names no registered model version",
        ));
    }
    let awareness = req.awareness_date.ok_or_else(|| {
        invalid(
            "awareness_date",
            "awareness_date is required (the alert records none)",
        )
    })?;
    if req.description.trim().is_empty() {
        return Err(invalid("description", "description is required"));
    }
    let mut countries = site_countries(store, &req.site_ids)?;
    for c in &req.countries {
        check_country(c).map_err(|m| invalid("countries", m))?;
        if !countries.contains(c) {
            countries.push(c.clone());
        }
    }
    let reporting = req
        .reporting_country
        .clone()
        .or_else(|| countries.first().cloned());
    let reporting = reporting.ok_or_else(|| {
        invalid(
            "reporting_country",
            "reporting_country is required when no site or country is given",
        )
    })?;
    v.calendar
        .check_covered(&reporting, chrono::Datelike::year(&awareness))?;
    Ok(Incident {
        id: uuid::Uuid::new_v4().to_string(),
        alert_id: req.alert_id.clone(),
        model_id,
        title: req.title.clone().unwrap_or_else(|| "Incident".into()),
        description: req.description.clone(),
        awareness_date: awareness,
        site_ids: req.site_ids.clone(),
        countries,
        reporting_country: reporting,
        created_by: actor.0.clone(),
        created_at: now,
    })
}

#[allow(clippy::too_many_arguments)]
fn clock_event(
    v: &Vigilance,
    incident: &Incident,
    kind: ClockEventKind,
    seriousness: Option<Seriousness>,
    awareness: NaiveDate,
    reason: String,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ClockEvent, VigilanceError> {
    let due = match seriousness {
        Some(s) => Some(due_date(
            &v.calendar,
            &incident.reporting_country,
            awareness,
            s.days(),
        )?),
        None => None,
    };
    Ok(ClockEvent {
        at: now,
        kind,
        seriousness,
        awareness_date: awareness,
        due,
        reason,
        by: actor.0.clone(),
    })
}

/// A classification decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    /// A seriousness class, or `not_reportable`.
    pub class: String,
    /// Why (required; screened free text).
    pub reason: String,
    /// Re-assessment as reportable only: when the new information arrived (default today).
    pub awareness_date: Option<NaiveDate>,
}

/// Classify, re-classify, assess as not reportable, or re-assess as reportable.
pub fn classify_incident(
    v: &Vigilance,
    actor: &Actor,
    id: &str,
    req: Classification,
    now: DateTime<Utc>,
) -> Result<IncidentView, VigilanceError> {
    screen_free_text(&[("reason", req.reason.as_str())])?;
    if req.reason.trim().is_empty() {
        return Err(invalid("reason", "reason is required"));
    }
    let incident = v
        .incidents
        .incident(id)?
        .ok_or(VigilanceError::NotFound("incident"))?;
    let events = v.incidents.clock_events(id)?;
    let current = clock_view(incident.awareness_date, &events, &[], now.date_naive());
    let (kind, seriousness, aware) = decide(&req, &current, now.date_naive())?;
    let event = clock_event(
        v,
        &incident,
        kind,
        seriousness,
        aware,
        req.reason.clone(),
        actor,
        now,
    )?;
    let details = json!({"kind": event.kind, "class": req.class, "due": event.due});
    v.incidents
        .append_clock_event(id, &event, &draft(actor, "incident.classify", id, details))?;
    show_incident(v, id, now.date_naive())
}

/// What a classification does to the clock: stop it, re-assess from a new awareness date (after
/// "not reportable"), or (re-)classify within the current period.
fn decide(
    req: &Classification,
    current: &ClockView,
    today: NaiveDate,
) -> Result<(ClockEventKind, Option<Seriousness>, NaiveDate), VigilanceError> {
    if req.class == "not_reportable" {
        return Ok((ClockEventKind::NotReportable, None, current.awareness_date));
    }
    let s = Seriousness::parse(&req.class).ok_or_else(|| invalid("class", "class must be serious_public_health_threat, death, unanticipated_serious_deterioration, other_reportable or not_reportable"))?;
    if current.state != ClockState::NotReportable {
        return Ok((ClockEventKind::Classified, Some(s), current.awareness_date));
    }
    let aware = req.awareness_date.unwrap_or(today);
    if aware < current.awareness_date {
        return Err(invalid(
            "awareness_date",
            "a re-assessment cannot start before the current awareness date",
        ));
    }
    Ok((ClockEventKind::Reassessed, Some(s), aware))
}

/// The case with its clock, clock history and reports.
pub fn show_incident(
    v: &Vigilance,
    id: &str,
    today: NaiveDate,
) -> Result<IncidentView, VigilanceError> {
    let incident = v
        .incidents
        .incident(id)?
        .ok_or(VigilanceError::NotFound("incident"))?;
    view_of(v, incident, today)
}

pub fn view_of(
    v: &Vigilance,
    incident: Incident,
    today: NaiveDate,
) -> Result<IncidentView, VigilanceError> {
    let events = v.incidents.clock_events(&incident.id)?;
    let reports = v.incidents.reports(&incident.id)?;
    let submissions: Vec<NaiveDate> = reports
        .iter()
        .filter(|r| r.stage.is_first())
        .filter_map(|r| r.submission.as_ref().map(|s| s.submitted_on))
        .collect();
    let clock = clock_view(incident.awareness_date, &events, &submissions, today);
    Ok(IncidentView {
        basic_udi_di: v.devices.device_for_model(&incident.model_id)?,
        clock,
        clock_history: events,
        reports,
        incident,
    })
}

/// Filter of the incident list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    /// Clock state: awaiting_classification, due, overdue, reported, not_reportable.
    pub state: Option<String>,
    /// Only clocks due on or before this day.
    pub due_before: Option<NaiveDate>,
    /// Only the incident opened from this alert.
    pub alert_id: Option<String>,
}

/// Incidents with their clocks, newest first.
pub fn list_incidents(
    v: &Vigilance,
    q: &IncidentQuery,
    today: NaiveDate,
) -> Result<Vec<IncidentView>, VigilanceError> {
    let state = match q.state.as_deref() {
        Some(s) => Some(serde_json::from_value::<ClockState>(json!(s)).map_err(|_| {
            invalid(
                "state",
                "state must be awaiting_classification, due, overdue, reported or not_reportable",
            )
        })?),
        None => None,
    };
    let mut out = Vec::new();
    for i in v.incidents.incidents()? {
        if q.alert_id
            .as_ref()
            .is_some_and(|a| i.alert_id.as_ref() != Some(a))
        {
            continue;
        }
        let view = view_of(v, i, today)?;
        let due_ok = q
            .due_before
            .is_none_or(|d| view.clock.due.is_some_and(|due| due <= d));
        if state.is_none_or(|s| view.clock.state == s) && due_ok {
            out.push(view);
        }
    }
    Ok(out)
}
