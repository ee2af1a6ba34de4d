//! Storage port of one aggregate: inference events and reviews from sites: idempotent batches,
//! ownership, daily counts. `diesel/store_ingest.rs` implements it; `Store` is the sum of all
//! such traits.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;

/// One inference event ready to store (validated, canonical JSON, content hash).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: String,
    pub site_id: String,
    pub model_id: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub case_ref: String,
    pub modality: String,
    pub scanner_manufacturer: String,
    pub scanner_model: String,
    pub slice_thickness_mm: f64,
    pub pixel_spacing_mm: f64,
    pub kvp: Option<f64>,
    pub field_strength_t: Option<f64>,
    pub contrast: Option<bool>,
    pub age_band: Option<String>,
    pub sex: Option<String>,
    pub input_features: String,
    pub output_status: String,
    pub latency_ms: f64,
    pub output_features: String,
    pub content_hash: String,
}

/// One review ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    pub review_id: String,
    pub event_id: String,
    pub site_id: String,
    pub model_id: String,
    pub reviewed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub outcome: String,
    pub severity: String,
    pub metrics: Option<String>,
    pub content_hash: String,
}

/// Who an event belongs to: its site and model version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOwner {
    pub site_id: String,
    pub model_id: String,
    /// When the event happened: a review may not be dated before it.
    pub occurred_at: DateTime<Utc>,
}

/// What became of one item of an idempotent batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemFate {
    Accepted,
    /// Same id, same content: already stored, nothing written.
    Duplicate,
    /// Same id, different content: the whole batch is refused.
    Conflict,
}

/// Count of events or reviews for one site, model version and UTC day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DailyCount {
    pub site_id: String,
    pub model_id: String,
    pub day: NaiveDate,
    pub events: i64,
    pub reviews: i64,
}

/// Filter of the daily count query; `None` means all.
#[derive(Debug, Clone, Default)]
pub struct CountFilter {
    pub site_id: Option<String>,
    /// A model version id (`name@version`), or a model name for all its versions.
    pub model_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Inference events and reviews from sites: idempotent batches, ownership, daily counts.
pub trait IngestStore: Send + Sync {
    /// Store the batch idempotently in one transaction. If any item conflicts, nothing is
    /// written and the fates say which; otherwise new items are written, duplicates skipped.
    fn ingest_events(&self, events: &[NewEvent]) -> Result<Vec<ItemFate>, StoreError>;
    /// Site and model version of each known event id (unknown ids are absent).
    fn event_owners(&self, event_ids: &[String])
    -> Result<HashMap<String, EventOwner>, StoreError>;
    fn ingest_reviews(&self, reviews: &[NewReview]) -> Result<Vec<ItemFate>, StoreError>;
    /// Site that reported the review, if it exists.
    fn review_site(&self, review_id: &str) -> Result<Option<String>, StoreError>;
    /// Store metrics computed server-side from uploaded masks on the review.
    fn set_review_server_metrics(
        &self,
        review_id: &str,
        metrics_json: &str,
    ) -> Result<(), StoreError>;
    fn daily_counts(&self, filter: &CountFilter) -> Result<Vec<DailyCount>, StoreError>;
}
