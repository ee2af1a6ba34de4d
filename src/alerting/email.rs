//! The e-mail of an alert, composed as plain data (subject, text and HTML parts, chart):
//! what happened, where, how bad, the plan rule, and a link to the alert.

use chrono::{DateTime, Utc};

use super::alert::Alert;
use super::outbox::{Channel, Draft, OutboxMessage};

/// Why the alert is being mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Opened,
    SeverityRaised,
}

impl Reason {
    pub fn word(self) -> &'static str {
        match self {
            Reason::Opened => "opened",
            Reason::SeverityRaised => "raised",
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Compose the message for `alert`; `public_url` is where people reach Vigil.
pub fn alert_message(
    alert: &Alert,
    reason: Reason,
    recipients: Vec<String>,
    public_url: &str,
    chart_png: Option<Vec<u8>>,
    now: DateTime<Utc>,
) -> OutboxMessage {
    let severity = format!("{:?}", alert.severity).to_uppercase();
    let link = super::alert::page_url(public_url, &alert.id);
    let subject = format!(
        "[Vigil {severity}] {} — {} ({})",
        alert.title, alert.model, alert.stratum
    );
    let body_text = format!(
        "Alert {word}: {title}\n\nModel: {model}\nStratum: {stratum}\nRule: {rule}\nSeverity: {severity}\n\
         Opened: {opened}\n\n{summary}\n\nOpen the alert: {link}\n\n\
         Acknowledge, resolve or escalate it to an incident assessment in Vigil. \
         Escalation records the awareness date that starts the vigilance reporting clock.\n",
        word = reason.word(),
        title = alert.title,
        model = alert.model,
        stratum = alert.stratum,
        rule = alert.rule,
        opened = alert.opened_at.to_rfc3339(),
        summary = alert.summary,
    );
    let chart = if chart_png.is_some() {
        "<p><img src=\"cid:chart\" alt=\"signal chart\" width=\"800\"></p>"
    } else {
        ""
    };
    let body_html = format!(
        "<html><body style=\"font-family:sans-serif\"><h2>{title}</h2>\
         <table><tr><td>Model</td><td>{model}</td></tr><tr><td>Stratum</td><td>{stratum}</td></tr>\
         <tr><td>Rule</td><td>{rule}</td></tr><tr><td>Severity</td><td><b>{severity}</b></td></tr></table>\
         <p>{summary}</p>{chart}<p><a href=\"{link}\">Open the alert in Vigil</a></p></body></html>",
        title = escape(&alert.title),
        model = escape(&alert.model),
        stratum = escape(&alert.stratum),
        rule = escape(&alert.rule),
        summary = escape(&alert.summary),
        link = escape(&link),
    );
    OutboxMessage::queued(
        Draft {
            channel: Channel::Email,
            dedup_key: format!("alert:{}:{}:{severity}", alert.id, reason.word()),
            recipients,
            subject,
            body_text,
            body_html,
            chart_png,
        },
        now,
    )
}
