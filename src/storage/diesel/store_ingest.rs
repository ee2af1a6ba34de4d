//! `impl IngestStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use std::collections::HashMap;

use super::DieselStore;
use crate::storage::{
    CountFilter, DailyCount, EventOwner, IngestStore, ItemFate, NewEvent, NewReview, StoreError,
};

impl IngestStore for DieselStore {
    fn ingest_events(&self, events: &[NewEvent]) -> Result<Vec<ItemFate>, StoreError> {
        self.ingest_event_rows(events).map(|(fates, _)| fates)
    }
    fn event_owners(
        &self,
        event_ids: &[String],
    ) -> Result<HashMap<String, EventOwner>, StoreError> {
        self.load_event_owners(event_ids)
    }
    fn ingest_reviews(&self, reviews: &[NewReview]) -> Result<Vec<ItemFate>, StoreError> {
        self.ingest_review_rows(reviews)
    }
    fn review_site(&self, review_id: &str) -> Result<Option<String>, StoreError> {
        self.load_review_site(review_id)
    }
    fn set_review_server_metrics(
        &self,
        review_id: &str,
        metrics_json: &str,
    ) -> Result<(), StoreError> {
        self.update_review_server_metrics(review_id, metrics_json)
    }
    fn daily_counts(&self, filter: &CountFilter) -> Result<Vec<DailyCount>, StoreError> {
        self.load_daily_counts(filter)
    }
}
