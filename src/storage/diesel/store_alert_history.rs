//! `impl AlertHistoryStore for DieselStore`: the append takes the next `seq` of the alert in the
//! same write transaction, so concurrent evaluators cannot give two entries one position.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rows::{naive, utc};
use super::schema::alert_history;
use super::{DieselStore, map_err, with_conn, write_tx};
use crate::domain::wire_name;
use crate::storage::StoreError;
use crate::storage::alert_history::{AlertEvent, AlertHistoryStore};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = alert_history)]
struct AlertEventRow {
    alert_id: String,
    seq: i64,
    at: NaiveDateTime,
    event: String,
    severity: String,
    summary: String,
    evidence: Option<String>,
}

impl TryFrom<AlertEventRow> for AlertEvent {
    type Error = StoreError;
    fn try_from(r: AlertEventRow) -> Result<Self, StoreError> {
        let bad = |what: &str| {
            StoreError::Other(format!(
                "alert {} history {}: invalid {what}",
                r.alert_id, r.seq
            ))
        };
        let severity = serde_json::from_value(serde_json::Value::String(r.severity.clone()))
            .map_err(|_| bad("severity"))?;
        let evidence = match &r.evidence {
            Some(text) => Some(serde_json::from_str(text).map_err(|_| bad("evidence"))?),
            None => None,
        };
        Ok(AlertEvent {
            seq: r.seq,
            at: utc(r.at),
            event: r.event,
            severity,
            summary: r.summary,
            evidence,
        })
    }
}

impl AlertHistoryStore for DieselStore {
    fn append_alert_event(&self, alert_id: &str, e: &AlertEvent) -> Result<(), StoreError> {
        let evidence = match &e.evidence {
            Some(ev) => {
                Some(serde_json::to_string(ev).map_err(|x| StoreError::Other(x.to_string()))?)
            }
            None => None,
        };
        let mut row = AlertEventRow {
            alert_id: alert_id.to_string(),
            seq: 0,
            at: naive(e.at),
            event: e.event.clone(),
            severity: wire_name(&e.severity),
            summary: e.summary.clone(),
            evidence,
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = write_tx!(&mut *conn, |c| {
            let last: Option<i64> = alert_history::table
                .filter(alert_history::alert_id.eq(alert_id))
                .select(diesel::dsl::max(alert_history::seq))
                .first(c)?;
            row.seq = last.map_or(0, |s| s + 1);
            diesel::insert_into(alert_history::table)
                .values(&row)
                .execute(c)
        });
        r.map(|_| ()).map_err(map_err("alert history"))
    }

    fn alert_events(&self, alert_id: &str) -> Result<Vec<AlertEvent>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<AlertEventRow>> =
            with_conn!(&mut *conn, |c| alert_history::table
                .filter(alert_history::alert_id.eq(alert_id))
                .order(alert_history::seq.asc())
                .select(AlertEventRow::as_select())
                .load(c));
        rows.map_err(map_err("alert history"))?
            .into_iter()
            .map(AlertEvent::try_from)
            .collect()
    }
}
