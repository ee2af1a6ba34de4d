//! Settings, layered: code defaults < optional TOML file (`--config`) < `VIGIL_*` environment
//! variables < `DATABASE_URL`. One struct, unknown keys refused, secrets redacted when printed.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A secret string: never printed, never logged. `Debug` and `Display` show `<redacted>`.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// How to secure the SMTP connection.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on a trusted network, or a local test sink).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    Starttls,
    /// Implicit TLS (usually port 465).
    Tls,
}

/// Every setting of the service. Field docs double as the configuration reference.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address the HTTP server binds, `host:port`.
    pub listen: String,
    /// `sqlite://PATH` (default `sqlite://./data/vigil.db`) or `postgres://...`.
    pub database_url: Secret,
    /// Connections in the database pool.
    pub pool_size: u32,
    /// SQLite busy timeout in milliseconds (waits for a writer instead of failing).
    pub sqlite_busy_timeout_ms: u32,
    /// Most events or reviews in one ingest request.
    pub max_batch_items: usize,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Largest accepted mask upload (both masks together), bytes.
    pub max_mask_bytes: usize,
    /// Largest mask volume in voxels; larger uploads are refused before decoding.
    pub max_mask_voxels: u64,
    /// Requests per second allowed per credential (sustained rate).
    pub rate_limit_per_second: u32,
    /// Burst of requests allowed per credential above the sustained rate.
    pub rate_limit_burst: u32,
    /// Bearer token for `GET /metrics`; empty means the endpoint needs `metrics_open = true`.
    pub metrics_token: Secret,
    /// Serve `/metrics` without a token (only behind a private network).
    pub metrics_open: bool,
    /// `text` or `json` logs.
    pub log_format: LogFormat,
    /// Log filter in `tracing` env-filter syntax.
    pub log_level: String,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    pub shutdown_timeout_s: u64,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// Base URL people use to reach Vigil; alert e-mails link to it. Empty: `http://` and the
    /// address the server actually bound (so `serve --listen` and the demo link to themselves).
    pub public_url: String,
    /// SMTP server for alert e-mails; empty writes `.eml` files into `mail_dir` instead.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `none`, `starttls` or `tls`.
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_password: Secret,
    /// Sender of alert e-mails.
    pub mail_from: String,
    /// Where e-mails go when no SMTP server is configured.
    pub mail_dir: String,
    /// Seconds between outbox dispatch rounds.
    pub outbox_interval_s: u64,
    /// Seconds between evaluator rounds (queue the daily evaluations, run queued ones);
    /// 0 disables the evaluator in this replica.
    pub evaluation_interval_s: u64,
    /// Alerts are also POSTed here as JSON with the `X-Vigil-Signature` HMAC; empty: none.
    pub alert_webhook_url: String,
    /// Training-pipeline webhook that receives retraining manifests; empty: none.
    pub training_webhook_url: String,
    /// Key of the `X-Vigil-Signature` HMAC-SHA256 on webhook bodies.
    pub webhook_secret: Secret,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: Secret::new("sqlite://./data/vigil.db"),
            pool_size: 8,
            sqlite_busy_timeout_ms: 5_000,
            max_batch_items: 1_000,
            max_body_bytes: 8 * 1024 * 1024,
            max_mask_bytes: 256 * 1024 * 1024,
            max_mask_voxels: 1 << 28,
            rate_limit_per_second: 50,
            rate_limit_burst: 100,
            metrics_token: Secret::default(),
            metrics_open: false,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            shutdown_timeout_s: 30,
            workers: 0,
            public_url: String::new(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            mail_from: "Vigil <vigil@localhost>".into(),
            mail_dir: "./data/mail".into(),
            outbox_interval_s: 10,
            evaluation_interval_s: 300,
            alert_webhook_url: String::new(),
            training_webhook_url: String::new(),
            webhook_secret: Secret::default(),
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid value for {var}: {message}")]
    Env { var: String, message: String },
    #[error("invalid setting {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl Settings {
    /// The base of links in e-mails from a process that does not serve (the CLI): the
    /// configured `public_url`, or `http://` and the configured `listen` address.
    pub fn public_url_or_listen(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.clone()
        }
    }

    /// Load with the documented precedence from a file (optional) and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(file, &env)
    }

    /// Same as `load`, with the environment passed in (tests use this; no global state).
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let mut settings = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        settings.apply_env(env)?;
        settings.validate()?;
        Ok(settings)
    }

    fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown,
            message: e.to_string(),
        })
    }

    fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        let mut database_url = None;
        for (key, value) in env {
            if key == "DATABASE_URL" {
                database_url = Some(value.clone());
            } else if let Some(name) = key.strip_prefix("VIGIL_") {
                self.set_from_env(key, &name.to_ascii_lowercase(), value)?;
            }
        }
        if let Some(url) = database_url {
            self.database_url = Secret::new(url);
        }
        Ok(())
    }

    fn set_from_env(&mut self, var: &str, name: &str, value: &str) -> Result<(), ConfigError> {
        // Route the value through TOML so each field keeps its one parser and its type checks.
        let mut table = toml::Table::try_from(&*self).map_err(|e| env_err(var, e))?;
        if !table.contains_key(name) {
            // VIGIL_CONFIG and similar variables belong to the CLI, not to the settings.
            return Ok(());
        }
        let parsed = match &table[name] {
            toml::Value::String(_) => toml::Value::String(value.to_string()),
            _ => {
                let doc: toml::Table = format!("v = {value}")
                    .parse()
                    .map_err(|e| env_err(var, e))?;
                doc.get("v")
                    .cloned()
                    .ok_or_else(|| env_err(var, "no value"))?
            }
        };
        table.insert(name.to_string(), parsed);
        *self = table.try_into().map_err(|e| env_err(var, e))?;
        Ok(())
    }

    /// Check cross-field rules and the database URL scheme.
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::storage::DatabaseKind::from_url(self.database_url.expose()).map_err(|message| {
            ConfigError::Invalid {
                field: "database_url",
                message,
            }
        })?;
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid {
                field: "listen",
                message: "expected host:port with an IP address, e.g. 127.0.0.1:8080".into(),
            });
        }
        let positive = [
            ("pool_size", self.pool_size as usize),
            ("max_batch_items", self.max_batch_items),
            ("max_body_bytes", self.max_body_bytes),
            ("max_mask_bytes", self.max_mask_bytes),
            ("max_mask_voxels", self.max_mask_voxels as usize),
            ("rate_limit_per_second", self.rate_limit_per_second as usize),
            ("rate_limit_burst", self.rate_limit_burst as usize),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    field,
                    message: "must be positive".into(),
                });
            }
        }
        Ok(())
    }
}

fn env_err(var: &str, e: impl fmt::Display) -> ConfigError {
    ConfigError::Env {
        var: var.to_string(),
        message: e.to_string(),
    }
}

/// The commented example configuration printed by `vigil print-config` and kept in
/// `deploy/vigil.example.toml` (a test checks they stay identical).
pub const EXAMPLE_CONFIG: &str = include_str!("../deploy/vigil.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_serve_sqlite_on_loopback() {
        let s = Settings::load_from(None, &[]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.database_url.expose(), "sqlite://./data/vigil.db");
    }

    #[test]
    fn precedence_is_file_then_env_then_database_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\npool_size = 3\ndatabase_url = \"sqlite://a.db\"\n",
        )
        .unwrap();
        let s = Settings::load_from(Some(&path), &env(&[("VIGIL_POOL_SIZE", "5")])).unwrap();
        assert_eq!((s.listen.as_str(), s.pool_size), ("0.0.0.0:9000", 5));
        let e = env(&[
            ("VIGIL_DATABASE_URL", "sqlite://b.db"),
            ("DATABASE_URL", "sqlite://c.db"),
        ]);
        let s = Settings::load_from(Some(&path), &e).unwrap();
        assert_eq!(s.database_url.expose(), "sqlite://c.db");
    }

    #[test]
    fn unknown_scheme_unknown_key_and_bad_env_are_refused() {
        let err = Settings::load_from(None, &env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("database_url"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(matches!(
            Settings::load_from(Some(&path), &[]),
            Err(ConfigError::Parse { .. })
        ));
        let bad = Settings::load_from(None, &env(&[("VIGIL_POOL_SIZE", "many")]));
        assert!(matches!(bad, Err(ConfigError::Env { .. })));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = Settings {
            metrics_token: Secret::new("hunter2"),
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn example_config_parses_to_the_defaults() {
        let parsed: Settings = toml::from_str(EXAMPLE_CONFIG).unwrap();
        let want = toml::to_string(&Settings::default()).unwrap();
        assert_eq!(toml::to_string(&parsed).unwrap(), want);
    }
}
