//! An alert as stored and shown: which signal, where, how bad, and its lifecycle.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::rules::{ActiveAlert, AlertState};
use crate::monitoring::plan::Severity;

/// One alert for a (model, rule, stratum) key.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: String,
    pub model: String,
    /// The plan rule, e.g. `drift:hu_mean` or `quality:mean_dice:liver`.
    pub rule: String,
    /// The stratum, e.g. `site=site-a` or `all`.
    pub stratum: String,
    #[schema(value_type = String)]
    pub severity: Severity,
    pub state: AlertState,
    pub title: String,
    pub summary: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_signal_at: DateTime<Utc>,
    /// Consecutive clear evaluations so far (hysteresis).
    pub clear_streak: u32,
    pub closed_at: Option<DateTime<Utc>>,
    /// Who last moved the alert (acknowledged, resolved or escalated it).
    pub handled_by: Option<String>,
    pub note: Option<String>,
    /// Awareness date of a possible incident: starts the vigilance reporting clock.
    pub awareness_at: Option<DateTime<Utc>>,
}

/// The alert's page in the console, where e-mails, digests and webhooks send people (a JSON
/// route would answer a browser with 401).
pub fn page_url(public_url: &str, id: &str) -> String {
    format!("{}/console/alerts/{id}", public_url.trim_end_matches('/'))
}

/// The alert's JSON route, for programs.
pub fn api_url(public_url: &str, id: &str) -> String {
    format!("{}/api/v1/alerts/{id}", public_url.trim_end_matches('/'))
}

impl Alert {
    /// The view the pure rules need.
    pub fn active_view(&self) -> ActiveAlert {
        ActiveAlert {
            state: self.state,
            severity: self.severity,
            clear_streak: self.clear_streak,
        }
    }
}
