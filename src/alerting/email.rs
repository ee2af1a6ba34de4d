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
    // The title already names the stratum; the subject adds only what it lacks.
    let subject = format!("[Vigil {severity}] {} - {}", alert.title, alert.model);
    let body_text = format!(
        "Alert {word}: {title}\n\nModel: {model}\nStream: {rule}\nSeverity: {severity}\n\
         Opened: {opened}\n\n{summary}\n\nOpen the alert: {link}\n\n\
         Acknowledge, resolve or escalate it to an incident assessment in Vigil. \
         Escalation records the awareness date that starts the vigilance reporting clock.\n",
        word = reason.word(),
        title = alert.title,
        model = alert.model,
        rule = alert.rule,
        opened = alert.opened_at.to_rfc3339(),
        summary = alert.summary,
    );
    let chart = if chart_png.is_some() {
        "<p><img src=\"cid:chart\" alt=\"the stream's daily values with baseline and limits, and its chart statistic\" width=\"800\"></p>"
    } else {
        ""
    };
    let evidence: String = alert
        .summary
        .lines()
        .map(|l| match l.split_once(": ") {
            Some((k, v)) => format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                escape(k),
                escape(v)
            ),
            None => format!("<tr><td colspan=\"2\">{}</td></tr>", escape(l)),
        })
        .collect();
    let body_html = format!(
        "<html><body style=\"font-family:sans-serif\"><h2>{title}</h2>\
         <table><tr><th align=\"left\">Model</th><td>{model}</td></tr>\
         <tr><th align=\"left\">Stream</th><td>{rule}</td></tr>\
         <tr><th align=\"left\">Severity</th><td><b>{severity}</b></td></tr>{evidence}</table>\
         {chart}<p><a href=\"{link}\">Open the alert in Vigil</a></p></body></html>",
        title = escape(&alert.title),
        model = escape(&alert.model),
        rule = escape(&alert.rule),
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
