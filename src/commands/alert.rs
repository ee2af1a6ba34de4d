//! `vigil alert test-email --to ADDR`: send one message through the configured transport now,
//! so an operator can check SMTP settings before the first real alert depends on them.

use chrono::Utc;
use clap::Subcommand;

use crate::alerting::outbox::{Channel, Draft, OutboxMessage};
use crate::alerting::smtp::mailer_from_settings;
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Send a test e-mail through the configured SMTP server (or into mail_dir).
    TestEmail {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
}

pub fn run(settings: &Settings, cmd: AlertCommand) -> i32 {
    let AlertCommand::TestEmail { to } = cmd;
    let mailer = match mailer_from_settings(settings) {
        Ok(m) => m,
        Err(e) => {
            eprintln!(
                "error: e-mail configuration: {e} (check the smtp_* settings with `vigil check-config`)"
            );
            return 2;
        }
    };
    let now = Utc::now();
    let public_url = settings.public_url_or_listen();
    let draft = Draft {
        channel: Channel::Email,
        dedup_key: format!("test:{now}"),
        recipients: vec![to.clone()],
        subject: "[Vigil] test e-mail".into(),
        body_text: format!(
            "This is a test e-mail from Vigil at {}.\nAlert e-mails will reach you this way.\n",
            console_url(&public_url)
        ),
        body_html: format!(
            "<p>This is a test e-mail from Vigil at <a href=\"{0}\">{0}</a>.</p>",
            console_url(&public_url)
        ),
        chart_png: None,
    };
    let msg = OutboxMessage::queued(draft, now);
    match mailer.send(&msg) {
        Ok(()) => {
            let via = if settings.smtp_host.is_empty() {
                format!("written to {}", settings.mail_dir)
            } else {
                format!("accepted by {}:{}", settings.smtp_host, settings.smtp_port)
            };
            println!("test e-mail to {to} {via}");
            0
        }
        Err(e) => {
            eprintln!(
                "error: test e-mail failed: {e} (check smtp_host, smtp_port and smtp_security; `vigil check-config` shows them)"
            );
            1
        }
    }
}

/// The console's start page: where a person clicking the test e-mail's link should land.
fn console_url(public_url: &str) -> String {
    format!("{}/console", public_url.trim_end_matches('/'))
}
