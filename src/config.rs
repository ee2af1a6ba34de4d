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
    /// Seconds to wait for a new PostgreSQL connection (libpq `connect_timeout`; at least 2).
    pub db_connect_timeout_s: u64,
    /// Longest database statement, milliseconds (PostgreSQL `statement_timeout`). A request
    /// whose database work has not ended within `db_pool_timeout_ms` plus this answers 503
    /// (uploads excepted), also when the database stops answering altogether.
    pub db_statement_timeout_ms: u64,
    /// Milliseconds to wait for a free pooled connection before answering 503.
    pub db_pool_timeout_ms: u64,
    /// Most events or reviews in one ingest request.
    pub max_batch_items: usize,
    /// Seconds a reported time may lie ahead of the server's clock (sites' clocks drift).
    pub max_clock_skew_s: u64,
    /// Reported times before this UTC date (`YYYY-MM-DD`) are refused.
    pub earliest_event_date: String,
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
    /// Run queued jobs (evaluations, shadow runs, reports) in this `serve` process; `false`
    /// leaves them to `vigil worker` processes sharing the database.
    pub run_jobs: bool,
    /// Runner threads of `vigil worker` (and of `serve` when `run_jobs`).
    pub job_runners: usize,
    /// Seconds a claimed job is held without renewal before another runner may take it over.
    pub job_lease_s: u64,
    /// Attempts of a failing job before it fails for good (kinds may set their own).
    pub job_max_attempts: u32,
    /// Seconds before a failed job's second attempt; doubled for each further one (max 1 h).
    pub job_backoff_s: u64,
    /// Directory of the content-addressed blob store (models, volumes, reports).
    pub blob_dir: String,
    /// Alerts are also POSTed here as JSON with the `X-Vigil-Signature` HMAC; empty: none.
    pub alert_webhook_url: String,
    /// Training-pipeline webhook that receives retraining manifests; empty: none.
    pub training_webhook_url: String,
    /// Key of the `X-Vigil-Signature` HMAC-SHA256 on webhook bodies.
    pub webhook_secret: Secret,
    /// PEM certificate chain for HTTPS; with `tls_key_path` it switches the listener to
    /// TLS (rustls). Both files are read again on SIGHUP. Empty: plain HTTP.
    pub tls_cert_path: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert_path`.
    pub tls_key_path: String,
    /// Browser origins allowed to call the API cross-origin (CORS); empty: CORS off.
    pub cors_allowed_origins: Vec<String>,
    /// `s3://bucket/prefix`: keep blobs in an S3-compatible object store shared by every
    /// replica instead of `blob_dir`. Empty: the directory.
    pub blob_url: String,
    /// S3 endpoint URL for MinIO, Ceph and the like; empty: AWS for `blob_s3_region`.
    pub blob_s3_endpoint: String,
    /// S3 region (MinIO accepts any).
    pub blob_s3_region: String,
    /// S3 access key id; empty: no explicit credentials.
    pub blob_s3_access_key_id: String,
    /// S3 secret access key.
    pub blob_s3_secret_access_key: Secret,
    /// Vigilance: warn this many days before an incident report is due (and again when overdue).
    pub vigilance_warning_days: u32,
    /// Vigilance: comma-separated e-mail addresses of the deadline warnings; empty: webhook only.
    pub vigilance_recipients: String,
    /// Key of the HMAC-SHA256 on audit checkpoints (`vigil audit checkpoint`); empty: none.
    pub audit_checkpoint_key: Secret,
    /// Seconds between the signed audit checkpoints `serve` logs (with a key); 0: none.
    pub audit_checkpoint_interval_s: u64,
    /// Hours a review that arrived before its event is held; then it is dropped (listed to the
    /// site with reason `event_never_arrived` and counted).
    pub held_review_ttl_hours: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: Secret::new("sqlite://./data/vigil.db"),
            pool_size: 8,
            sqlite_busy_timeout_ms: 5_000,
            db_connect_timeout_s: 5,
            db_statement_timeout_ms: 10_000,
            db_pool_timeout_ms: 5_000,
            max_batch_items: 1_000,
            max_clock_skew_s: 600,
            earliest_event_date: "2000-01-01".into(),
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
            run_jobs: true,
            job_runners: 1,
            job_lease_s: 60,
            job_max_attempts: 3,
            job_backoff_s: 30,
            blob_dir: "./data/blobs".into(),
            alert_webhook_url: String::new(),
            training_webhook_url: String::new(),
            webhook_secret: Secret::default(),
            tls_cert_path: String::new(),
            tls_key_path: String::new(),
            cors_allowed_origins: Vec::new(),
            blob_url: String::new(),
            blob_s3_endpoint: String::new(),
            blob_s3_region: "us-east-1".into(),
            blob_s3_access_key_id: String::new(),
            blob_s3_secret_access_key: Secret::default(),
            vigilance_warning_days: 2,
            vigilance_recipients: String::new(),
            audit_checkpoint_key: Secret::default(),
            audit_checkpoint_interval_s: 3600,
            held_review_ttl_hours: 72,
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
                if CLI_VARIABLES.contains(&key.as_str()) || key.starts_with("VIGIL_TEST_") {
                    continue;
                }
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
        let Some(current) = table.get(name) else {
            // A typo must not silently fall back to the default, as an unknown file key.
            return Err(unknown_env(var, table.keys()));
        };
        let expected = match current {
            toml::Value::Integer(_) => "a whole number",
            toml::Value::Float(_) => "a number",
            toml::Value::Boolean(_) => "true or false",
            _ => "a string",
        };
        let parsed = match current {
            toml::Value::String(_) => toml::Value::String(value.to_string()),
            _ => format!("v = {value}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|doc| doc.get("v").cloned())
                .ok_or_else(|| env_err(var, format!("expected {expected}")))?,
        };
        table.insert(name.to_string(), parsed);
        *self = table.try_into().map_err(|e: toml::de::Error| {
            // The parser's message without its position and quoted TOML source.
            let message = e.message().trim().to_string();
            let message = if message.is_empty() {
                format!("expected {expected}")
            } else {
                message
            };
            env_err(var, message)
        })?;
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
        if self.tls_cert_path.is_empty() != self.tls_key_path.is_empty() {
            return Err(ConfigError::Invalid {
                field: "tls_key_path",
                message: "tls_cert_path and tls_key_path go together: set both or neither".into(),
            });
        }
        if let Some(bad) = self
            .cors_allowed_origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")) || o.ends_with('/'))
        {
            return Err(ConfigError::Invalid {
                field: "cors_allowed_origins",
                message: format!("{bad:?} is not an origin like https://console.example.org"),
            });
        }
        if !self.blob_url.is_empty() {
            crate::storage::s3_blobs::parse_blob_url(&self.blob_url).map_err(|message| {
                ConfigError::Invalid {
                    field: "blob_url",
                    message,
                }
            })?;
        }
        self.earliest_event_at()?;
        let positive = [
            ("pool_size", self.pool_size as usize),
            ("db_connect_timeout_s", self.db_connect_timeout_s as usize),
            (
                "db_statement_timeout_ms",
                self.db_statement_timeout_ms as usize,
            ),
            ("db_pool_timeout_ms", self.db_pool_timeout_ms as usize),
            ("max_batch_items", self.max_batch_items),
            ("max_body_bytes", self.max_body_bytes),
            ("max_mask_bytes", self.max_mask_bytes),
            ("max_mask_voxels", self.max_mask_voxels as usize),
            ("rate_limit_per_second", self.rate_limit_per_second as usize),
            ("rate_limit_burst", self.rate_limit_burst as usize),
            ("job_runners", self.job_runners),
            ("job_lease_s", self.job_lease_s as usize),
            ("job_max_attempts", self.job_max_attempts as usize),
            ("held_review_ttl_hours", self.held_review_ttl_hours as usize),
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

impl Settings {
    /// How long a request's database work may take before it answers 503: a pool checkout
    /// plus one statement.
    pub fn db_request_deadline(&self) -> std::time::Duration {
        std::time::Duration::from_millis(
            self.db_pool_timeout_ms
                .saturating_add(self.db_statement_timeout_ms),
        )
    }

    /// `earliest_event_date` as the start of that UTC day.
    pub fn earliest_event_at(&self) -> Result<chrono::DateTime<chrono::Utc>, ConfigError> {
        chrono::NaiveDate::parse_from_str(&self.earliest_event_date, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or_else(|| ConfigError::Invalid {
                field: "earliest_event_date",
                message: "expected a date YYYY-MM-DD, e.g. 2000-01-01".into(),
            })
    }
}

/// `VIGIL_*` variables read by the command line, the build and the bench scripts rather than
/// the settings (`VIGIL_TEST_*` are the test harness's). A new CLI option with an
/// `env = "VIGIL_..."` belongs in this list.
pub const CLI_VARIABLES: &[&str] = &[
    "VIGIL_CONFIG",
    "VIGIL_TOKEN",
    "VIGIL_QUALITY_TOKEN",
    "VIGIL_ML_TOKEN",
    "VIGIL_GIT_COMMIT",
    "VIGIL_BIN",
    "VIGIL_BENCH_DATA",
    "VIGIL_REPEATS",
    "VIGIL_SEG_BENCH_DIR",
];

/// Refuse an unknown `VIGIL_*` variable, naming the nearest valid one.
fn unknown_env<'a>(var: &str, keys: impl Iterator<Item = &'a String>) -> ConfigError {
    let asked = var.to_ascii_lowercase();
    let candidates = keys
        .map(|k| format!("vigil_{k}"))
        .chain(CLI_VARIABLES.iter().map(|v| v.to_ascii_lowercase()));
    let nearest = candidates
        .map(|c| (strsim::levenshtein(&asked, &c), c))
        .min()
        .filter(|(d, _)| *d <= 4)
        .map(|(_, c)| format!("; did you mean {}?", c.to_ascii_uppercase()))
        .unwrap_or_default();
    ConfigError::Env {
        var: var.to_string(),
        message: format!("not a Vigil setting{nearest}"),
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
    fn tls_paths_go_together_and_cors_takes_origins_only() {
        let half = env(&[("VIGIL_TLS_CERT_PATH", "/etc/vigil/cert.pem")]);
        let err = Settings::load_from(None, &half).unwrap_err();
        assert!(err.to_string().contains("tls_key_path"), "{err}");
        let path = env(&[("VIGIL_CORS_ALLOWED_ORIGINS", r#"["https://a.example/x/"]"#)]);
        let err = Settings::load_from(None, &path).unwrap_err();
        assert!(err.to_string().contains("cors_allowed_origins"), "{err}");
        let ok = env(&[("VIGIL_CORS_ALLOWED_ORIGINS", r#"["https://a.example"]"#)]);
        let s = Settings::load_from(None, &ok).unwrap();
        assert_eq!(s.cors_allowed_origins, ["https://a.example"]);
    }

    #[test]
    fn unknown_vigil_variables_are_refused_with_the_nearest_name() {
        let err = Settings::load_from(None, &env(&[("VIGIL_POOL_SIZ", "3")])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("VIGIL_POOL_SIZ") && text.contains("did you mean VIGIL_POOL_SIZE?"),
            "{text}"
        );
        let far = Settings::load_from(None, &env(&[("VIGIL_ZZZZZZZZZZZZ", "1")])).unwrap_err();
        assert!(!far.to_string().contains("did you mean"), "{far}");
        // Variables of the command line and the test harness are not settings.
        let cli = env(&[
            ("VIGIL_CONFIG", "x.toml"),
            ("VIGIL_TOKEN", "t"),
            ("VIGIL_TEST_PYTHON", "p"),
        ]);
        assert!(Settings::load_from(None, &cli).is_ok());
    }

    #[test]
    fn bad_values_name_the_variable_without_parser_internals() {
        for (var, value, says) in [
            ("VIGIL_POOL_SIZE", "many", "expected a whole number"),
            ("VIGIL_METRICS_OPEN", "yes please", "expected true or false"),
            ("VIGIL_LOG_FORMAT", "xml", "text"),
        ] {
            let text = Settings::load_from(None, &env(&[(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(text.contains(var) && text.contains(says), "{text}");
            assert!(!text.contains("line") && !text.contains("v ="), "{text}");
        }
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
