//! Mail transports: SMTP with lettre (plain, STARTTLS or implicit TLS, optional credentials),
//! and a directory transport writing `.eml` files for installations without SMTP (the demo,
//! air-gapped test systems). Both implement the service layer's `Mailer` port.

use std::path::PathBuf;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};

use super::mime::to_mime;
use super::outbox::OutboxMessage;
use crate::config::{Settings, SmtpSecurity};
use crate::service::notify::Mailer;

/// Sends over SMTP.
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: String,
}

impl SmtpMailer {
    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        let host = s.smtp_host.as_str();
        let builder = match s.smtp_security {
            SmtpSecurity::None => SmtpTransport::builder_dangerous(host),
            SmtpSecurity::Starttls => {
                SmtpTransport::starttls_relay(host).map_err(|e| e.to_string())?
            }
            SmtpSecurity::Tls => SmtpTransport::relay(host).map_err(|e| e.to_string())?,
        };
        let mut builder = builder
            .port(s.smtp_port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if !s.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                s.smtp_username.clone(),
                s.smtp_password.expose().to_string(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: s.mail_from.clone(),
        })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, msg: &OutboxMessage) -> Result<(), String> {
        let mime = to_mime(msg, &self.from)?;
        self.transport
            .send(&mime)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Writes each message as `<id>.eml` into a directory.
pub struct DirMailer {
    dir: PathBuf,
    from: String,
}

impl DirMailer {
    pub fn new(dir: PathBuf, from: String) -> Self {
        Self { dir, from }
    }
}

impl Mailer for DirMailer {
    fn send(&self, msg: &OutboxMessage) -> Result<(), String> {
        let mime = to_mime(msg, &self.from)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        std::fs::write(self.dir.join(format!("{}.eml", msg.id)), mime.formatted())
            .map_err(|e| e.to_string())
    }
}

/// The mailer the settings ask for: SMTP when `smtp_host` is set, else the mail directory.
pub fn mailer_from_settings(s: &Settings) -> Result<Box<dyn Mailer>, String> {
    if s.smtp_host.is_empty() {
        Ok(Box::new(DirMailer::new(
            PathBuf::from(&s.mail_dir),
            s.mail_from.clone(),
        )))
    } else {
        Ok(Box::new(SmtpMailer::from_settings(s)?))
    }
}
