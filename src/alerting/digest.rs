//! The daily digest e-mail of one model: alerts opened on the day, and every alert still
//! open, acknowledged or escalated, most severe first. Pure: built from alerts, sent through
//! the outbox like any alert e-mail (once per model and day, by its dedup key). A day with
//! nothing opened and nothing active sends no digest.

use chrono::{DateTime, NaiveDate, Utc};

use super::alert::Alert;
use super::outbox::{Channel, Draft, OutboxMessage};

fn line(a: &Alert, public_url: &str) -> String {
    format!(
        "- [{:?}] {} ({}; {}) {}",
        a.severity,
        a.title,
        a.state.as_str(),
        a.model,
        super::alert::page_url(public_url, &a.id)
    )
}

/// The digest of `model` for `day`; `alerts` are the model's alerts (any state). `None` when
/// there is nothing to say: no alert opened that day and none still active.
pub fn digest_message(
    model: &str,
    day: NaiveDate,
    alerts: &[Alert],
    recipients: Vec<String>,
    public_url: &str,
    now: DateTime<Utc>,
) -> Option<OutboxMessage> {
    let opened: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.opened_at.date_naive() == day)
        .collect();
    let mut active: Vec<&Alert> = alerts.iter().filter(|a| a.closed_at.is_none()).collect();
    active.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.opened_at.cmp(&b.opened_at))
    });
    if opened.is_empty() && active.is_empty() {
        return None;
    }
    let section = |title: &str, list: &[&Alert]| {
        let body: Vec<String> = list.iter().map(|a| line(a, public_url)).collect();
        let body = if body.is_empty() {
            "(none)".to_string()
        } else {
            body.join("\n")
        };
        format!("{title} ({}):\n{body}\n", list.len())
    };
    let body_text = format!(
        "Vigil daily digest for {model}, {day}\n\n{}\n{}",
        section("Alerts opened that day", &opened),
        section("Alerts still active", &active)
    );
    let html_lines = |list: &[&Alert]| -> String {
        list.iter()
            .map(|a| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    escape_html(&super::alert::page_url(public_url, &a.id)),
                    escape_html(&line(a, public_url))
                )
            })
            .collect()
    };
    let body_html = format!(
        "<html><body style=\"font-family:sans-serif\"><h2>Vigil daily digest for {m}, {day}</h2>\
         <h3>Alerts opened that day ({})</h3><ul>{}</ul><h3>Alerts still active ({})</h3><ul>{}</ul>\
         </body></html>",
        opened.len(),
        html_lines(&opened),
        active.len(),
        html_lines(&active),
        m = escape_html(model),
    );
    Some(OutboxMessage::queued(
        Draft {
            channel: Channel::Email,
            dedup_key: format!("digest:{model}:{day}"),
            recipients,
            subject: format!(
                "[Vigil] Daily digest {model} {day}: {} new, {} active",
                opened.len(),
                active.len()
            ),
            body_text,
            body_html,
            chart_png: None,
        },
        now,
    ))
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
