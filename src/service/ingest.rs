//! Ingest use cases: a site's batch of events or reviews is screened for personal data,
//! parsed item by item, checked against the model's schema and stored idempotently. A batch is
//! accepted whole or refused whole, so nothing is ever half-stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::item_parse::parse_item;
use crate::domain::event::{EventItem, check_event};
use crate::domain::model::{ModelVersion, model_id};
use crate::domain::review::{ReviewItem, check_review};
use crate::domain::site::Site;
use crate::domain::{FieldIssue, wire_name};
use crate::storage::{ItemFate, NewEvent, NewReview, Store, StoreError};

/// Counts answered for an accepted batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BatchOutcome {
    /// Items stored by this request.
    pub accepted: usize,
    /// Items already stored with identical content (nothing written for them).
    pub duplicates: usize,
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

/// Store a site's batch of inference events.
pub fn ingest_events(
    store: &dyn Store,
    site: &Site,
    items: Vec<Value>,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<BatchOutcome, IngestError> {
    check_batch_size("events", items.len(), max_items)?;
    screen_batch(&items, "events", EVENT_SKIP)?;
    let mut issues = Vec::new();
    let mut models: HashMap<(String, String), Option<ModelVersion>> = HashMap::new();
    let mut parsed = Vec::with_capacity(items.len());
    for (i, value) in items.into_iter().enumerate() {
        let at = format!("events[{i}]");
        let item: EventItem = match parse_item(value, i, &at) {
            Ok(item) => item,
            Err(issue) => {
                issues.push(issue);
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
            Some(model) => issues.extend(check_event(&item, i, &model.feature_schema, now)),
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
    store_idempotently(
        "events",
        "event_id",
        &rows,
        |r| (&r.event_id, &r.content_hash),
        |b| store.ingest_events(b),
    )
}

/// Store a site's batch of reviews; each must refer to one of the site's own events.
pub fn ingest_reviews(
    store: &dyn Store,
    site: &Site,
    items: Vec<Value>,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<BatchOutcome, IngestError> {
    check_batch_size("reviews", items.len(), max_items)?;
    screen_batch(&items, "reviews", REVIEW_SKIP)?;
    let mut issues = Vec::new();
    let mut parsed = Vec::with_capacity(items.len());
    for (i, value) in items.into_iter().enumerate() {
        match parse_item::<ReviewItem>(value, i, &format!("reviews[{i}]")) {
            Ok(item) => {
                issues.extend(check_review(&item, i, now));
                parsed.push((i, item));
            }
            Err(issue) => issues.push(issue),
        }
    }
    let ids: Vec<String> = parsed.iter().map(|(_, r)| r.event_id.to_string()).collect();
    let owners = store.event_owners(&ids)?;
    let mut rows = Vec::with_capacity(parsed.len());
    for (i, item) in &parsed {
        match owners.get(&item.event_id.to_string()) {
            // Another site's event is reported as unknown: sites learn nothing of each other.
            Some(owner) if owner.site_id == site.id => {
                rows.push(new_review(item, &site.id, &owner.model_id, now))
            }
            _ => issues.push(FieldIssue::new(
                *i,
                format!("reviews[{i}].event_id"),
                "unknown_event",
                "no event with this id was reported by this site",
            )),
        }
    }
    if !issues.is_empty() {
        issues.sort_by_key(|x| x.index);
        return Err(IngestError::Invalid(issues));
    }
    store_idempotently(
        "reviews",
        "review_id",
        &rows,
        |r| (&r.review_id, &r.content_hash),
        |b| store.ingest_reviews(b),
    )
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

/// Deduplicate within the batch, then let the store classify against what it holds.
fn store_idempotently<R: Clone>(
    what: &str,
    id_field: &str,
    rows: &[R],
    key: impl Fn(&R) -> (&String, &String),
    write: impl FnOnce(&[R]) -> Result<Vec<ItemFate>, StoreError>,
) -> Result<BatchOutcome, IngestError> {
    let mut first_seen: HashMap<&String, &String> = HashMap::new();
    let mut unique = Vec::with_capacity(rows.len());
    let mut unique_index = Vec::with_capacity(rows.len());
    let mut conflicts = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let (id, hash) = key(r);
        match first_seen.get(id) {
            // A repeat inside the batch with the same content counts as a duplicate.
            Some(h) if *h == hash => {}
            Some(_) => conflicts.push(conflict_issue(what, id_field, i)),
            None => {
                first_seen.insert(id, hash);
                unique.push(r.clone());
                unique_index.push(i);
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(IngestError::Conflict(conflicts));
    }
    let fates = write(&unique)?;
    let stored_conflicts: Vec<FieldIssue> = fates
        .iter()
        .zip(&unique_index)
        .filter(|(f, _)| **f == ItemFate::Conflict)
        .map(|(_, &i)| conflict_issue(what, id_field, i))
        .collect();
    if !stored_conflicts.is_empty() {
        return Err(IngestError::Conflict(stored_conflicts));
    }
    let accepted = fates.iter().filter(|f| **f == ItemFate::Accepted).count();
    Ok(BatchOutcome {
        accepted,
        duplicates: rows.len() - accepted,
    })
}

fn conflict_issue(what: &str, id_field: &str, index: usize) -> FieldIssue {
    FieldIssue::new(
        index,
        format!("{what}[{index}].{id_field}"),
        "idempotency_conflict",
        "this id was already accepted with different content",
    )
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
