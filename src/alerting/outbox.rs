//! Outbox messages and their retry schedule (pure): exponential back-off from 30 s, capped at
//! one hour, so an SMTP outage delays alerts but loses none.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail to `recipients`.
    Email,
    /// JSON POST of `body_text` to the one URL in `recipients`, HMAC-signed.
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }

    /// Unknown values read as e-mail, the column's default.
    pub fn parse(s: &str) -> Self {
        if s == "webhook" {
            Channel::Webhook
        } else {
            Channel::Email
        }
    }
}

/// A notification waiting to be sent, or sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxMessage {
    pub id: String,
    pub channel: Channel,
    /// One message per key, ever: e.g. `alert:<id>:opened`.
    pub dedup_key: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    #[serde(skip)]
    pub chart_png: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The parts of a message its author chooses.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub channel: Channel,
    pub dedup_key: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub chart_png: Option<Vec<u8>>,
}

impl OutboxMessage {
    /// A new message, due now, never tried.
    pub fn queued(d: Draft, now: DateTime<Utc>) -> Self {
        OutboxMessage {
            id: uuid::Uuid::new_v4().to_string(),
            channel: d.channel,
            dedup_key: d.dedup_key,
            recipients: d.recipients,
            subject: d.subject,
            body_text: d.body_text,
            body_html: d.body_html,
            chart_png: d.chart_png,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
            last_error: None,
        }
    }
}

/// When to try again after the `attempts`-th failure.
pub fn next_attempt(now: DateTime<Utc>, attempts: u32) -> DateTime<Utc> {
    let base = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    now + Duration::seconds(base.min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps_at_an_hour() {
        let t = DateTime::from_timestamp(0, 0).unwrap();
        let secs = |n| (next_attempt(t, n) - t).num_seconds();
        assert_eq!(
            [secs(1), secs(2), secs(3), secs(8), secs(50)],
            [30, 60, 120, 3600, 3600]
        );
    }
}
