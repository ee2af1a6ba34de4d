//! Ingest use cases: a site's batch of events or reviews is screened for personal data,
//! parsed item by item, checked against the model's schema and stored idempotently. A batch is
//! accepted whole or refused whole, so nothing is ever half-stored. A review whose event the
//! site has not reported yet is held (`storage::held_reviews`) and joins the event when it
//! arrives, so a site's retry order cannot lose corrections.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ingest_batch::Batch;
use super::item_parse::parse_checked;
use crate::config::Settings;
use crate::domain::event::{EVENT_SHAPE, EventItem, TimeBounds, check_event};
use crate::domain::model::{ModelVersion, model_id};
use crate::domain::review::{REVIEW_SHAPE, ReviewItem, check_review, check_review_after_event};
use crate::domain::site::Site;
use crate::domain::{FieldIssue, wire_name};
use crate::storage::held_reviews::HeldJoin;
use crate::storage::{ItemFate, NewEvent, NewReview, Store, StoreError};

/// Counts answered for an accepted batch: `accepted + duplicates + held` is the batch size.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BatchOutcome {
    /// Items stored by this request.
    pub accepted: usize,
    /// Items already stored (or already held) with identical content (nothing written).
    pub duplicates: usize,
    /// Reviews held by this request: their event has not been reported by this site yet.
    /// Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: usize,
    /// Every review of this batch that is held now (new or re-sent), by `review_id`.
    /// Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_review_ids: Vec<String>,
    /// Held reviews that joined their event during this request and count as reviews from
    /// now on. Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub joined: usize,
    /// Held reviews of these events refused when they arrived (dated before the event);
    /// listed by `GET /api/v1/ingest/held`. Not serialised: for the metrics.
    #[serde(skip)]
    pub join_refused: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Why a batch was refused; nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("batch refused: personal data")]
    PersonalData(Vec<FieldIssue>),
    #[error("batch refused: invalid items")]
    Invalid(Vec<FieldIssue>),
    #[error("batch refused: idempotency conflict")]
    Conflict(Vec<FieldIssue>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Fields that legitimately carry ids and timestamps; the privacy screen skips them (their
/// form is enforced by the parser instead).
const EVENT_SKIP: &[&str] = &["event_id", "occurred_at", "case_ref"];
const REVIEW_SKIP: &[&str] = &["review_id", "event_id", "reviewed_at"];

/// What a batch may hold: its size and the plausible window for its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    pub max_items: usize,
    /// How far ahead of the server's clock a reported time may lie.
    pub max_clock_skew: Duration,
    /// Reported times before this are refused.
    pub earliest: DateTime<Utc>,
}

impl IngestLimits {
    pub fn from_settings(s: &Settings) -> Self {
        let defaults = Self::default();
        Self {
            max_items: s.max_batch_items,
            max_clock_skew: Duration::seconds(i64::try_from(s.max_clock_skew_s).unwrap_or(0)),
            earliest: s.earliest_event_at().unwrap_or(defaults.earliest),
        }
    }

    fn bounds(&self, now: DateTime<Utc>) -> TimeBounds {
        TimeBounds {
            now,
            max_skew: self.max_clock_skew,
            earliest: self.earliest,
        }
    }
}

impl Default for IngestLimits {
    /// The settings' defaults: 1000 items, 10 minutes of skew, nothing before 2000.
    fn default() -> Self {
        let b = TimeBounds::at(DateTime::<Utc>::UNIX_EPOCH);
        Self {
            max_items: 1000,
            max_clock_skew: b.max_skew,
            earliest: b.earliest,
        }
    }
}

/// Store a site's batch of inference events.
pub fn ingest_events(
    store: &dyn Store,
    site: &Site,
    items: Vec<Value>,
    limits: &IngestLimits,
    now: DateTime<Utc>,
) -> Result<BatchOutcome, IngestError> {
    check_batch_size("events", items.len(), limits.max_items)?;
    screen_batch(&items, "events", EVENT_SKIP)?;
    let bounds = limits.bounds(now);
    let mut issues = Vec::new();
    let mut models: HashMap<(String, String), Option<ModelVersion>> = HashMap::new();
    let mut parsed = Vec::with_capacity(items.len());
    for (i, value) in items.into_iter().enumerate() {
        let at = format!("events[{i}]");
        let item: EventItem = match parse_checked(value, i, &at, EVENT_SHAPE) {
            Ok(item) => item,
            Err(found) => {
                issues.extend(found);
                continue;
            }
        };
        let key = (item.model.clone(), item.model_version.clone());
        if !models.contains_key(&key) {
            models.insert(key.clone(), store.find_model(&key.0, &key.1)?);
        }
        match &models[&key] {
            None => issues.push(FieldIssue::new(
                i,
                format!("{at}.model_version"),
                "unknown_model",
                "model name and version are not registered",
            )),
            Some(model) => issues.extend(check_event(&item, i, &model.feature_schema, &bounds)),
        }
        parsed.push(item);
    }
    if !issues.is_empty() {
        return Err(IngestError::Invalid(issues));
    }
    let rows: Vec<NewEvent> = parsed
        .iter()
        .map(|item| new_event(item, &site.id, now))
        .collect();
    let owner = |id: &str| {
        let ids = [id.to_string()];
        Ok(store.event_owners(&ids)?.remove(id).map(|o| o.site_id))
    };
    let batch = Batch {
        what: "events",
        id_field: "event_id",
        site_id: &site.id,
    };
    let mut join = HeldJoin::default();
    let mut outcome = batch.store(
        &rows,
        |r| (&r.event_id, &r.content_hash),
        |b| {
            let (fates, j) = store.ingest_events_joining(b)?;
            join = j;
            Ok(fates)
        },
        owner,
    )?;
    outcome.joined = join.joined_total() as usize;
    outcome.join_refused = join.refused.values().sum::<u64>() as usize;
    Ok(outcome)
}

/// Store a site's batch of reviews. A review of one of the site's own events is stored; a
/// review of an event the site has not reported (unknown, or another site's: sites learn
/// nothing of each other) is held until the event arrives. Both are screened, parsed and
/// checked alike, and the batch is stored or refused whole.
pub fn ingest_reviews(
    store: &dyn Store,
    site: &Site,
    items: Vec<Value>,
    limits: &IngestLimits,
    now: DateTime<Utc>,
) -> Result<BatchOutcome, IngestError> {
    check_batch_size("reviews", items.len(), limits.max_items)?;
    screen_batch(&items, "reviews", REVIEW_SKIP)?;
    let bounds = limits.bounds(now);
    let mut issues = Vec::new();
    let mut parsed = Vec::with_capacity(items.len());
    for (i, value) in items.into_iter().enumerate() {
        match parse_checked::<ReviewItem>(value, i, &format!("reviews[{i}]"), REVIEW_SHAPE) {
            Ok(item) => {
                issues.extend(check_review(&item, i, &bounds));
                parsed.push((i, item));
            }
            Err(found) => issues.extend(found),
        }
    }
    let ids: Vec<String> = parsed.iter().map(|(_, r)| r.event_id.to_string()).collect();
    let owners = store.event_owners(&ids)?;
    // (row, held): a held row has no model yet; the event names it when it arrives.
    let mut rows: Vec<(NewReview, bool)> = Vec::with_capacity(parsed.len());
    for (i, item) in &parsed {
        match owners.get(&item.event_id.to_string()) {
            Some(owner) if owner.site_id == site.id => {
                issues.extend(check_review_after_event(item, *i, owner.occurred_at));
                rows.push((new_review(item, &site.id, &owner.model_id, now), false));
            }
            _ => rows.push((new_review(item, &site.id, "", now), true)),
        }
    }
    if !issues.is_empty() {
        issues.sort_by_key(|x| x.index);
        return Err(IngestError::Invalid(issues));
    }
    let batch = Batch {
        what: "reviews",
        id_field: "review_id",
        site_id: &site.id,
    };
    let (mut newly_held, mut join) = (0, HeldJoin::default());
    let mut outcome = batch.store(
        &rows,
        |r| (&r.0.review_id, &r.0.content_hash),
        |b| {
            let (stored, held): (Vec<_>, Vec<_>) = b.iter().partition(|r| !r.1);
            let stored: Vec<NewReview> = stored.into_iter().map(|r| r.0.clone()).collect();
            let held: Vec<NewReview> = held.into_iter().map(|r| r.0.clone()).collect();
            let (stored_fates, held_fates, j) = store.ingest_reviews_holding(&stored, &held)?;
            newly_held = held_fates
                .iter()
                .filter(|f| **f == ItemFate::Accepted)
                .count();
            join = j;
            // Back into the batch's order.
            let (mut s, mut h) = (stored_fates.into_iter(), held_fates.into_iter());
            Ok(b.iter()
                .filter_map(|r| if r.1 { h.next() } else { s.next() })
                .collect())
        },
        |id| Ok(store.review_site(id)?.or(store.held_review_site(id)?)),
    )?;
    outcome.accepted -= newly_held;
    outcome.held = newly_held;
    let mut held_ids: Vec<String> = rows
        .iter()
        .filter(|r| r.1)
        .map(|r| r.0.review_id.clone())
        .collect();
    held_ids.dedup();
    outcome.held_review_ids = held_ids;
    outcome.joined = join.joined_total() as usize;
    outcome.join_refused = join.refused.values().sum::<u64>() as usize;
    Ok(outcome)
}

fn check_batch_size(what: &str, n: usize, max: usize) -> Result<(), IngestError> {
    if n == 0 || n > max {
        let issue = FieldIssue {
            index: None,
            path: what.into(),
            code: "batch_size".into(),
            message: format!("a batch holds 1 to {max} {what}"),
        };
        return Err(IngestError::Invalid(vec![issue]));
    }
    Ok(())
}

/// Run the privacy screen over every raw item before anything else reads it.
fn screen_batch(items: &[Value], what: &str, skip: &[&str]) -> Result<(), IngestError> {
    let issues: Vec<FieldIssue> = items
        .iter()
        .enumerate()
        .flat_map(|(i, v)| super::privacy_gate::screen_item(v, i, &format!("{what}[{i}]"), skip))
        .collect();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(IngestError::PersonalData(issues))
    }
}

fn content_hash(site_id: &str, item: &impl Serialize) -> String {
    let mut h = Sha256::new();
    h.update(site_id.as_bytes());
    h.update([0u8]);
    // Serialising the parsed item (not the raw body) makes the hash canonical: field order,
    // whitespace and time-zone offsets do not change it.
    h.update(serde_json::to_vec(item).unwrap_or_default());
    hex::encode(h.finalize())
}

fn json_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

fn new_event(item: &EventItem, site_id: &str, now: DateTime<Utc>) -> NewEvent {
    let demo = item.demographics.as_ref();
    NewEvent {
        event_id: item.event_id.to_string(),
        site_id: site_id.to_string(),
        model_id: model_id(&item.model, &item.model_version),
        occurred_at: item.occurred_at,
        received_at: now,
        case_ref: item.case_ref.clone(),
        modality: item.modality.as_str().to_string(),
        scanner_manufacturer: item.scanner.manufacturer.clone(),
        scanner_model: item.scanner.model.clone(),
        slice_thickness_mm: item.acquisition.slice_thickness_mm,
        pixel_spacing_mm: item.acquisition.pixel_spacing_mm,
        kvp: item.acquisition.kvp,
        field_strength_t: item.acquisition.field_strength_t,
        contrast: item.acquisition.contrast,
        age_band: demo.and_then(|d| d.age_band).map(|a| wire_name(&a)),
        sex: demo.and_then(|d| d.sex).map(|s| wire_name(&s)),
        input_features: json_text(&item.input_features),
        output_status: wire_name(&item.output.status),
        latency_ms: item.output.latency_ms,
        output_features: json_text(&item.output.features),
        content_hash: content_hash(site_id, item),
    }
}

fn new_review(item: &ReviewItem, site_id: &str, model_id: &str, now: DateTime<Utc>) -> NewReview {
    NewReview {
        review_id: item.review_id.to_string(),
        event_id: item.event_id.to_string(),
        site_id: site_id.to_string(),
        model_id: model_id.to_string(),
        reviewed_at: item.reviewed_at,
        received_at: now,
        outcome: wire_name(&item.outcome),
        severity: wire_name(&item.severity),
        metrics: item.metrics.as_ref().map(json_text),
        content_hash: content_hash(site_id, item),
    }
}
