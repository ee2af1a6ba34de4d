//! The simulator's HTTP client: one request with retries. A 429 waits as long as its
//! `Retry-After` says; 500/502/503/504 and connection failures back off exponentially. A retried
//! ingest batch is safe because ingest is idempotent by item id: what the first attempt stored
//! comes back as duplicates, so nothing is counted twice.

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response, StatusCode};

use super::SimError;

/// Attempts after a transient failure (5xx, connection) before giving up.
const MAX_RETRIES: u32 = 8;
/// Waits on 429 before giving up (the limiter refills each second).
const MAX_RATE_LIMITED: u32 = 120;

/// A status and body from the target.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
}

impl Answer {
    /// The body as JSON (`null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// An error naming the request, the status and the server's message.
    pub fn refused(&self, what: &str) -> SimError {
        let body = self.json();
        let mut message = body["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| self.body.chars().take(300).collect());
        for d in body["details"].as_array().into_iter().flatten().take(3) {
            let (path, why) = (&d["path"], &d["message"]);
            message.push_str(&format!(
                "; {}: {}",
                path.as_str().unwrap_or("?"),
                why.as_str().unwrap_or("?")
            ));
        }
        SimError::Refused {
            what: what.to_string(),
            status: self.status.as_u16(),
            code: body["code"].as_str().unwrap_or("").to_string(),
            message,
        }
    }
}

/// The target server.
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
    base: String,
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(10))
}

fn retry_after(res: &Response) -> Duration {
    let secs = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs.clamp(1, 60))
}

fn transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

impl Api {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Result<Self, SimError> {
        let base = base.trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(SimError::Usage(format!(
                "--target must be an http:// URL (this build speaks plain HTTP; put a TLS proxy in front for https), got {base:?}"
            )));
        }
        let client = Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SimError::Transport(format!("HTTP client: {e}")))?;
        Ok(Self { client, base })
    }

    /// The target's base URL, for messages.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// One request to `/healthz` without retries, before anything else: a wrong address or a
    /// server that is not running fails at once, named with the likely cause, instead of after
    /// the retries meant for a server that goes away in the middle of a run.
    pub async fn probe(&self) -> Result<(), SimError> {
        let url = self.url("/healthz");
        match self.client.get(&url).send().await {
            Ok(res) if res.status().is_success() => Ok(()),
            Ok(res) => Err(SimError::Transport(format!(
                "{} answered GET /healthz with HTTP {}: is this a Vigil server? Fix --target",
                self.base,
                res.status().as_u16()
            ))),
            Err(e) => Err(SimError::Transport(format!(
                "cannot reach {}: {} (is Vigil running there? start it with `vigil serve`, or \
                 fix --target)",
                self.base,
                error_chain(&e)
            ))),
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Send the request `make` builds, retrying transient failures; `what` names it in errors.
    pub async fn send(
        &self,
        what: &str,
        make: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Answer, SimError> {
        let (mut failures, mut limited) = (0, 0);
        loop {
            let wait = match make(&self.client).send().await {
                Ok(res) if res.status() == StatusCode::TOO_MANY_REQUESTS => {
                    limited += 1;
                    (limited <= MAX_RATE_LIMITED).then(|| retry_after(&res))
                }
                Ok(res) if transient(res.status()) && failures < MAX_RETRIES => {
                    failures += 1;
                    Some(backoff(failures))
                }
                Ok(res) => {
                    let status = res.status();
                    match res.text().await {
                        Ok(body) => return Ok(Answer { status, body }),
                        Err(_) if failures < MAX_RETRIES => {
                            failures += 1;
                            Some(backoff(failures))
                        }
                        Err(e) => return Err(SimError::Transport(format!("{what}: {e}"))),
                    }
                }
                Err(e) if failures < MAX_RETRIES && !e.is_builder() => {
                    failures += 1;
                    tracing::debug!(error = %e, what, "transient failure; retrying");
                    Some(backoff(failures))
                }
                Err(e) => return Err(SimError::Transport(format!("{what}: {e}"))),
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => {
                    return Err(SimError::Transport(format!(
                        "{what}: still rate-limited after {MAX_RATE_LIMITED} waits"
                    )));
                }
            }
        }
    }
}

/// An error with its causes ("error sending request: ... Connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
