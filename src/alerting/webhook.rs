//! The alert webhook: each opened (or worsened) alert is also POSTed as JSON to the configured
//! URL through the outbox, so an unreachable receiver delays but never loses it. The body is
//! signed in `X-Vigil-Signature` (`sha256=<hex HMAC-SHA256>` with `webhook_secret`), the same
//! scheme as retraining manifests, so receivers verify both the same way.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::alert::Alert;
use super::email::Reason;
use super::outbox::{Channel, Draft, OutboxMessage};
use crate::service::notify::Mailer;
use crate::service::retraining::sign;

/// The outbox message that carries an alert to the webhook at `url`.
pub fn alert_webhook_message(
    alert: &Alert,
    reason: Reason,
    url: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> OutboxMessage {
    let body = json!({
        "event": format!("alert.{}", reason.word()),
        "alert": alert,
        "link": super::alert::page_url(public_url, &alert.id),
        "api": super::alert::api_url(public_url, &alert.id),
    });
    OutboxMessage::queued(
        Draft {
            channel: Channel::Webhook,
            dedup_key: format!(
                "webhook:alert:{}:{}:{:?}",
                alert.id,
                reason.word(),
                alert.severity
            ),
            recipients: vec![url.to_string()],
            subject: format!("alert.{}", reason.word()),
            body_text: body.to_string(),
            body_html: String::new(),
            chart_png: None,
        },
        now,
    )
}

/// Sends e-mails through the configured mailer and webhook messages by signed HTTP POST.
/// `send` blocks (the dispatcher calls it on the blocking pool); each POST runs on a small
/// runtime of its own, so the courier can be built and dropped anywhere.
pub struct Courier {
    mail: Box<dyn Mailer>,
    secret: String,
}

impl Courier {
    pub fn new(mail: Box<dyn Mailer>, secret: &str) -> Self {
        Self {
            mail,
            secret: secret.to_string(),
        }
    }

    fn post(&self, m: &OutboxMessage) -> Result<(), String> {
        let url = m.recipients.first().ok_or("webhook message without URL")?;
        let body = m.body_text.as_bytes().to_vec();
        let signature = sign(&self.secret, &body);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let status = runtime.block_on(async {
            reqwest::Client::new()
                .post(url)
                .timeout(Duration::from_secs(10))
                .header("content-type", "application/json")
                .header("x-vigil-signature", signature)
                .body(body)
                .send()
                .await
                .map(|r| r.status())
                .map_err(|e| format!("webhook unreachable: {e}"))
        })?;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {status}"))
        }
    }
}

impl Mailer for Courier {
    fn send(&self, message: &OutboxMessage) -> Result<(), String> {
        match message.channel {
            Channel::Email => self.mail.send(message),
            Channel::Webhook => self.post(message),
        }
    }
}
