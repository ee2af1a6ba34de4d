//! The notification outbox in SQL: idempotent enqueue by dedup key, due messages claimed by one
//! dispatcher at a time (each replica runs one), and the outcome of each send attempt.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::rows::{naive, utc};
use super::schema::outbox;
use super::{DieselStore, map_err, with_conn};

/// How long a dispatcher holds the messages it took before another may send them.
const CLAIM: chrono::Duration = chrono::Duration::minutes(2);
use crate::alerting::outbox::{Channel, OutboxMessage};
use crate::storage::StoreError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
struct OutboxRow {
    id: String,
    dedup_key: String,
    recipients: String,
    subject: String,
    body_text: String,
    body_html: String,
    chart_png: Option<Vec<u8>>,
    created_at: NaiveDateTime,
    attempts: i64,
    next_attempt_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
    last_error: Option<String>,
    channel: String,
}

impl TryFrom<OutboxRow> for OutboxMessage {
    type Error = StoreError;
    fn try_from(r: OutboxRow) -> Result<Self, StoreError> {
        let recipients = serde_json::from_str(&r.recipients)
            .map_err(|e| StoreError::Other(format!("outbox {}: {e}", r.id)))?;
        Ok(OutboxMessage {
            recipients,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            created_at: utc(r.created_at),
            next_attempt_at: utc(r.next_attempt_at),
            sent_at: r.sent_at.map(utc),
            id: r.id,
            dedup_key: r.dedup_key,
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            chart_png: r.chart_png,
            last_error: r.last_error,
            channel: Channel::parse(&r.channel),
        })
    }
}

impl DieselStore {
    pub(crate) fn insert_outbox(&self, m: &OutboxMessage) -> Result<bool, StoreError> {
        let row = OutboxRow {
            id: m.id.clone(),
            dedup_key: m.dedup_key.clone(),
            recipients: serde_json::to_string(&m.recipients)
                .map_err(|e| StoreError::Other(e.to_string()))?,
            subject: m.subject.clone(),
            body_text: m.body_text.clone(),
            body_html: m.body_html.clone(),
            chart_png: m.chart_png.clone(),
            created_at: naive(m.created_at),
            attempts: i64::from(m.attempts),
            next_attempt_at: naive(m.next_attempt_at),
            sent_at: m.sent_at.map(naive),
            last_error: m.last_error.clone(),
            channel: m.channel.as_str().into(),
        };
        let mut conn = self.conn()?;
        let r: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::insert_into(outbox::table)
            .values(&row)
            .execute(c));
        match r.map_err(map_err("outbox message")) {
            Ok(_) => Ok(true),
            // Same dedup key: this notification was already queued once.
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The due messages, each claimed for this caller: its next attempt is moved `CLAIM`
    /// ahead with a compare-and-set on the value read, so a dispatcher on another replica that
    /// read the same row updates nothing and skips it. A claimed message whose sender died is
    /// due again when the claim runs out (at least once, never twice while it is held).
    pub(crate) fn load_due_outbox(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<OutboxRow>> = with_conn!(&mut *conn, |c| outbox::table
            .filter(
                outbox::sent_at
                    .is_null()
                    .and(outbox::next_attempt_at.le(naive(now)))
            )
            .order(outbox::next_attempt_at.asc())
            .limit(limit)
            .select(OutboxRow::as_select())
            .load(c));
        let claim_until = naive(now + CLAIM);
        let mut claimed = Vec::new();
        for row in rows.map_err(map_err("outbox"))? {
            let n: QueryResult<usize> = with_conn!(&mut *conn, |c| diesel::update(
                outbox::table
                    .filter(outbox::id.eq(&row.id))
                    .filter(outbox::sent_at.is_null())
                    .filter(outbox::next_attempt_at.eq(row.next_attempt_at))
            )
            .set(outbox::next_attempt_at.eq(claim_until))
            .execute(c));
            if n.map_err(map_err("outbox"))? == 1 {
                claimed.push(OutboxMessage::try_from(row)?);
            }
        }
        Ok(claimed)
    }

    pub(crate) fn load_outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut conn = self.conn()?;
        let rows: QueryResult<Vec<OutboxRow>> = with_conn!(&mut *conn, |c| outbox::table
            .order(outbox::created_at.asc())
            .select(OutboxRow::as_select())
            .load(c));
        rows.map_err(map_err("outbox"))?
            .into_iter()
            .map(OutboxMessage::try_from)
            .collect()
    }

    pub(crate) fn record_outbox_attempt(&self, m: &OutboxMessage) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let r: QueryResult<usize> =
            with_conn!(&mut *conn, |c| diesel::update(outbox::table.find(&m.id))
                .set((
                    outbox::attempts.eq(i64::from(m.attempts)),
                    outbox::next_attempt_at.eq(naive(m.next_attempt_at)),
                    outbox::sent_at.eq(m.sent_at.map(naive)),
                    outbox::last_error.eq(m.last_error.clone()),
                ))
                .execute(c));
        r.map(|_| ()).map_err(map_err("outbox message"))
    }
}
