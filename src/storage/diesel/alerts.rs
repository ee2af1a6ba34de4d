//! Alerts in SQL: the active alert of a key, the last closing time (cool-down), inserts and
//! whole-row updates; a person's lifecycle move is written with its audit entry.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::audit::audited_tx;
use super::rows::{naive, utc};
use super::schema::alerts;
use super::{DieselStore, map_err, versions_of, with_conn};
use crate::alerting::alert::Alert;
use crate::alerting::rules::AlertState;
use crate::domain::audit::AuditDraft;
use crate::domain::wire_name;
use crate::storage::{AlertFilter, StoreError};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = alerts, treat_none_as_null = true)]
struct AlertRow {
    id: String,
    model_name: String,
    rule: String,
    stratum: String,
    severity: String,
    state: String,
    title: String,
    summary: String,
    opened_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_signal_at: NaiveDateTime,
    clear_streak: i64,
    closed_at: Option<NaiveDateTime>,
    handled_by: Option<String>,
    note: Option<String>,
    awareness_at: Option<NaiveDateTime>,
}

impl From<&Alert> for AlertRow {
    fn from(a: &Alert) -> Self {
        AlertRow {
            id: a.id.clone(),
            model_name: a.model.clone(),
            rule: a.rule.clone(),
            stratum: a.stratum.clone(),
            severity: wire_name(&a.severity),
            state: a.state.as_str().into(),
            title: a.title.clone(),
            summary: a.summary.clone(),
            opened_at: naive(a.opened_at),
            updated_at: naive(a.updated_at),
            last_signal_at: naive(a.last_signal_at),
            clear_streak: i64::from(a.clear_streak),
            closed_at: a.closed_at.map(naive),
            handled_by: a.handled_by.clone(),
            note: a.note.clone(),
            awareness_at: a.awareness_at.map(naive),
        }
    }
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<Self, StoreError> {
        let bad =
            |what: &str| StoreError::Other(format!("stored alert {} has an invalid {what}", r.id));
        let severity = serde_json::from_value(serde_json::Value::String(r.severity.clone()))
            .map_err(|_| bad("severity"))?;
        let state = AlertState::parse(&r.state).ok_or_else(|| bad("state"))?;
        Ok(Alert {
            severity,
            state,
            clear_streak: u32::try_from(r.clear_streak).map_err(|_| bad("clear_streak"))?,
            opened_at: utc(r.opened_at),
            updated_at: utc(r.updated_at),
            last_signal_at: utc(r.last_signal_at),
            closed_at: r.closed_at.map(utc),
            awareness_at: r.awareness_at.map(utc),
            id: r.id,
            model: r.model_name,
            rule: r.rule,
            stratum: r.stratum,
            title: r.title,
            summary: r.summary,
            handled_by: r.handled_by,
            note: r.note,
        })
    }
}

const ACTIVE: [&str; 3] = ["open", "acknowledged", "escalated"];

impl DieselStore {
    pub(crate) fn load_active_alert(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<Alert>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<AlertRow>> = with_conn!(&mut *conn, |c| alerts::table
            .filter(
                alerts::model_name
                    .eq(model)
                    .and(alerts::rule.eq(rule))
                    .and(alerts::stratum.eq(stratum))
            )
            .filter(alerts::state.eq_any(ACTIVE))
            .select(AlertRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("alert"))?
            .map(Alert::try_from)
            .transpose()
    }

    pub(crate) fn load_last_closed(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut conn = self.conn()?;
        let t: QueryResult<Option<NaiveDateTime>> = with_conn!(&mut *conn, |c| alerts::table
            .filter(
                alerts::model_name
                    .eq(model)
                    .and(alerts::rule.eq(rule))
                    .and(alerts::stratum.eq(stratum))
            )
            .select(diesel::dsl::max(alerts::closed_at))
            .first(c));
        Ok(t.map_err(map_err("alert"))?.map(utc))
    }

    pub(crate) fn insert_alert_row(&self, alert: &Alert) -> Result<(), StoreError> {
        let row = AlertRow::from(alert);
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::insert_into(alerts::table)
            .values(&row)
            .execute(c));
        r.map(|_| ()).map_err(map_err("alert"))
    }

    pub(crate) fn update_alert_row(
        &self,
        alert: &Alert,
        audit: Option<&AuditDraft>,
    ) -> Result<(), StoreError> {
        let row = AlertRow::from(alert);
        let mut conn = self.conn()?;
        let n: QueryResult<usize> = match audit {
            Some(draft) => audited_tx!(&mut *conn, draft, |c| diesel::update(
                alerts::table.find(&row.id)
            )
            .set(&row)
            .execute(c)),
            None => with_conn!(&mut *conn, |c| diesel::update(alerts::table.find(&row.id))
                .set(&row)
                .execute(c)),
        };
        match n.map_err(map_err("alert"))? {
            0 => Err(StoreError::NotFound(format!("alert {}", alert.id))),
            _ => Ok(()),
        }
    }

    pub(crate) fn load_alert(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        let mut conn = self.conn()?;
        let row: QueryResult<Option<AlertRow>> = with_conn!(&mut *conn, |c| alerts::table
            .find(id)
            .select(AlertRow::as_select())
            .first(c)
            .optional());
        row.map_err(map_err("alert"))?
            .map(Alert::try_from)
            .transpose()
    }

    pub(crate) fn load_alerts(&self, f: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<AlertRow>> = with_conn!(&mut *conn, |c| {
            let mut q = alerts::table
                .select(AlertRow::as_select())
                .order((alerts::opened_at.desc(), alerts::id.desc()))
                .into_boxed();
            if let Some((t, id)) = &f.after {
                let t = naive(*t);
                q = q.filter(
                    alerts::opened_at
                        .lt(t)
                        .or(alerts::opened_at.eq(t).and(alerts::id.lt(id.clone()))),
                );
            }
            if let Some(s) = &f.state {
                q = q.filter(alerts::state.eq(s.as_str()));
            }
            if let Some(m) = &f.model {
                // A model name matches the alerts of all its versions (`name@version`).
                q = q.filter(
                    alerts::model_name
                        .eq(m)
                        .or(alerts::model_name.like(versions_of(m)).escape('\\')),
                );
            }
            q.limit(f.limit).load(c)
        });
        rows.map_err(map_err("alerts"))?
            .into_iter()
            .map(Alert::try_from)
            .collect()
    }
}
