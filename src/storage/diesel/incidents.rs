//! Incidents in SQL: cases (site ids and countries as JSON text), the clock history and the
//! reports. Reports are never updated except to record their submission once; every write
//! carries its audit entry in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::audited_tx;
use super::devices::{day, json_err};
use super::rows::{naive, utc};
use super::schema::{incident_clock_events, incident_reports, incidents};
use super::{DieselStore, map_err, with_conn};
use crate::domain::audit::AuditDraft;
use crate::storage::StoreError;
use crate::storage::incidents::IncidentStore;
use crate::vigilance::deadline::{ClockEvent, Seriousness};
use crate::vigilance::incident::{Incident, IncidentReport, Submission};
use crate::vigilance::stage::ReportStage;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = incidents)]
struct IncidentRow {
    id: String,
    alert_id: Option<String>,
    model_id: String,
    title: String,
    description: String,
    awareness_day: String,
    site_ids: String,
    countries: String,
    reporting_country: String,
    created_by: String,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = incident_clock_events)]
struct ClockRow {
    incident_id: String,
    seq: i64,
    at: NaiveDateTime,
    kind: String,
    seriousness: Option<String>,
    awareness_day: String,
    due_day: Option<String>,
    reason: String,
    by_actor: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = incident_reports)]
struct ReportRow {
    incident_id: String,
    seq: i64,
    stage: String,
    imdrf_release: String,
    fields: String,
    xml: String,
    sha256: String,
    created_by: String,
    created_at: NaiveDateTime,
    submission: Option<String>,
}

fn bad(what: &str) -> StoreError {
    StoreError::Other(format!("stored {what} unreadable"))
}

impl IncidentRow {
    fn from_incident(i: &Incident) -> Result<Self, StoreError> {
        Ok(Self {
            id: i.id.clone(),
            alert_id: i.alert_id.clone(),
            model_id: i.model_id.clone(),
            title: i.title.clone(),
            description: i.description.clone(),
            awareness_day: i.awareness_date.to_string(),
            site_ids: serde_json::to_string(&i.site_ids).map_err(json_err)?,
            countries: serde_json::to_string(&i.countries).map_err(json_err)?,
            reporting_country: i.reporting_country.clone(),
            created_by: i.created_by.clone(),
            created_at: naive(i.created_at),
        })
    }

    fn into_incident(self) -> Result<Incident, StoreError> {
        Ok(Incident {
            awareness_date: day(&self.awareness_day)?,
            site_ids: serde_json::from_str(&self.site_ids).map_err(json_err)?,
            countries: serde_json::from_str(&self.countries).map_err(json_err)?,
            created_at: utc(self.created_at),
            id: self.id,
            alert_id: self.alert_id,
            model_id: self.model_id,
            title: self.title,
            description: self.description,
            reporting_country: self.reporting_country,
            created_by: self.created_by,
        })
    }
}

fn clock_row(incident_id: &str, seq: i64, e: &ClockEvent) -> Result<ClockRow, StoreError> {
    let kind = serde_json::to_value(e.kind).map_err(json_err)?;
    Ok(ClockRow {
        incident_id: incident_id.to_string(),
        seq,
        at: naive(e.at),
        kind: kind.as_str().unwrap_or_default().to_string(),
        seriousness: e.seriousness.map(|s| s.as_str().to_string()),
        awareness_day: e.awareness_date.to_string(),
        due_day: e.due.map(|d| d.to_string()),
        reason: e.reason.clone(),
        by_actor: e.by.clone(),
    })
}

impl ClockRow {
    fn into_event(self) -> Result<ClockEvent, StoreError> {
        Ok(ClockEvent {
            at: utc(self.at),
            kind: serde_json::from_value(serde_json::Value::String(self.kind))
                .map_err(|_| bad("clock event kind"))?,
            seriousness: match self.seriousness.as_deref() {
                Some(s) => Some(Seriousness::parse(s).ok_or_else(|| bad("seriousness"))?),
                None => None,
            },
            awareness_date: day(&self.awareness_day)?,
            due: self.due_day.as_deref().map(day).transpose()?,
            reason: self.reason,
            by: self.by_actor,
        })
    }
}

impl ReportRow {
    fn into_report(self) -> Result<IncidentReport, StoreError> {
        Ok(IncidentReport {
            stage: ReportStage::parse(&self.stage).ok_or_else(|| bad("report stage"))?,
            fields: serde_json::from_str(&self.fields).map_err(json_err)?,
            submission: match self.submission.as_deref() {
                Some(s) => Some(serde_json::from_str::<Submission>(s).map_err(json_err)?),
                None => None,
            },
            created_at: utc(self.created_at),
            incident_id: self.incident_id,
            seq: self.seq,
            imdrf_release: self.imdrf_release,
            sha256: self.sha256,
            created_by: self.created_by,
            xml: self.xml,
        })
    }
}

impl IncidentStore for DieselStore {
    fn insert_incident(
        &self,
        incident: &Incident,
        first: Option<&ClockEvent>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let row = IncidentRow::from_incident(incident)?;
        let clock = first.map(|e| clock_row(&incident.id, 1, e)).transpose()?;
        let mut conn = self.conn()?;
        let r: QueryResult<()> = audited_tx!(&mut *conn, audit, |c| {
            diesel::insert_into(incidents::table)
                .values(&row)
                .execute(c)?;
            if let Some(clock) = &clock {
                diesel::insert_into(incident_clock_events::table)
                    .values(clock)
                    .execute(c)?;
            }
            QueryResult::Ok(())
        });
        r.map_err(map_err("incident for this alert"))
    }

    fn incident(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<IncidentRow>> = with_conn!(&mut *conn, |c| incidents::table
            .find(id)
            .select(IncidentRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("incident"))?
            .map(IncidentRow::into_incident)
            .transpose()
    }

    fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<IncidentRow>> = with_conn!(&mut *conn, |c| incidents::table
            .order((incidents::created_at.desc(), incidents::id.asc()))
            .select(IncidentRow::as_select())
            .load(c));
        rows.map_err(map_err("incident"))?
            .into_iter()
            .map(IncidentRow::into_incident)
            .collect()
    }

    fn incident_for_alert(&self, alert_id: &str) -> Result<Option<Incident>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<IncidentRow>> = with_conn!(&mut *conn, |c| incidents::table
            .filter(incidents::alert_id.eq(alert_id))
            .select(IncidentRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("incident"))?
            .map(IncidentRow::into_incident)
            .transpose()
    }

    fn append_clock_event(
        &self,
        incident_id: &str,
        event: &ClockEvent,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let mut row = clock_row(incident_id, 0, event)?;
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| {
            let last: Option<i64> = incident_clock_events::table
                .filter(incident_clock_events::incident_id.eq(incident_id))
                .select(diesel::dsl::max(incident_clock_events::seq))
                .first(c)?;
            row.seq = last.unwrap_or(0) + 1;
            diesel::insert_into(incident_clock_events::table)
                .values(&row)
                .execute(c)
        });
        r.map(|_| ()).map_err(map_err("clock event"))
    }

    fn clock_events(&self, incident_id: &str) -> Result<Vec<ClockEvent>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<ClockRow>> =
            with_conn!(&mut *conn, |c| incident_clock_events::table
                .filter(incident_clock_events::incident_id.eq(incident_id))
                .order(incident_clock_events::seq.asc())
                .select(ClockRow::as_select())
                .load(c));
        rows.map_err(map_err("clock event"))?
            .into_iter()
            .map(ClockRow::into_event)
            .collect()
    }

    fn insert_report(&self, report: &IncidentReport, audit: &AuditDraft) -> Result<(), StoreError> {
        let row = ReportRow {
            incident_id: report.incident_id.clone(),
            seq: report.seq,
            stage: report.stage.as_str().into(),
            imdrf_release: report.imdrf_release.clone(),
            fields: report.fields.to_string(),
            xml: report.xml.clone(),
            sha256: report.sha256.clone(),
            created_by: report.created_by.clone(),
            created_at: naive(report.created_at),
            submission: None,
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| diesel::insert_into(
            incident_reports::table
        )
        .values(&row)
        .execute(c));
        r.map(|_| ()).map_err(map_err("report at this stage"))
    }

    fn reports(&self, incident_id: &str) -> Result<Vec<IncidentReport>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<ReportRow>> = with_conn!(&mut *conn, |c| incident_reports::table
            .filter(incident_reports::incident_id.eq(incident_id))
            .order(incident_reports::seq.asc())
            .select(ReportRow::as_select())
            .load(c));
        rows.map_err(map_err("report"))?
            .into_iter()
            .map(ReportRow::into_report)
            .collect()
    }

    fn record_submission(
        &self,
        incident_id: &str,
        seq: i64,
        submission: &Submission,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(submission).map_err(json_err)?;
        let mut conn = self.conn()?;
        // Only a report without a recorded submission is updated: the first record stands, and
        // a second attempt rolls back with its audit entry.
        let r: QueryResult<usize> = audited_tx!(&mut *conn, audit, |c| {
            let n = diesel::update(
                incident_reports::table
                    .filter(incident_reports::incident_id.eq(incident_id))
                    .filter(incident_reports::seq.eq(seq))
                    .filter(incident_reports::submission.is_null()),
            )
            .set(incident_reports::submission.eq(Some(&json)))
            .execute(c)?;
            if n == 0 {
                return Err(diesel::result::Error::NotFound);
            }
            QueryResult::Ok(n)
        });
        match r {
            Err(diesel::result::Error::NotFound) => {
                Err(StoreError::Conflict("submission of this report".into()))
            }
            other => other.map(|_| ()).map_err(map_err("report")),
        }
    }
}
