//! `impl Store for DieselStore`: the port's methods, each delegating to the query module that
//! owns the table.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::DieselStore;
use crate::alerting::alert::Alert;
use crate::alerting::outbox::OutboxMessage;
use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::domain::model::ModelVersion;
use crate::domain::site::Site;
use crate::domain::user::User;
use crate::monitoring::columns::{CaseObs, ReviewObs};
use crate::monitoring::retraining::ManifestCase;
use crate::storage::evaluations;
use crate::storage::{
    AlertFilter, CaseQuery, CountFilter, DailyCount, DatabaseKind, EvaluationJob, EventOwner,
    FindingQuery, ItemFate, MonitorCursor, NewEvent, NewPlan, NewReview, PoolState,
    RetrainingRecord, Store, StoreError, StoredBaseline, StoredFinding, StoredPlan,
};

impl Store for DieselStore {
    fn kind(&self) -> DatabaseKind {
        DieselStore::kind(self)
    }
    fn ping(&self) -> Result<(), StoreError> {
        self.describe_ping()
    }
    fn pool_state(&self) -> PoolState {
        DieselStore::pool_state(self)
    }
    fn insert_site(
        &self,
        site: &Site,
        key_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_site_row(site, key_hash, audit)
    }
    fn list_sites(&self) -> Result<Vec<Site>, StoreError> {
        self.load_sites()
    }
    fn site_by_key_hash(&self, key_hash: &str) -> Result<Option<Site>, StoreError> {
        self.find_site_by_key(key_hash)
    }
    fn rotate_site_key(
        &self,
        site_id: &str,
        key_hash: &str,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_site_key(site_id, key_hash, at, audit)
    }
    fn set_site_disabled(
        &self,
        site_id: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_site_disabled(site_id, disabled, audit)
    }
    fn insert_user(
        &self,
        user: &User,
        token_hash: &str,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_user_row(user, token_hash, audit)
    }
    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.load_users()
    }
    fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        self.find_user_by_token(token_hash)
    }
    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_user_disabled(name, disabled, audit)
    }
    fn insert_model(&self, model: &ModelVersion, audit: &AuditDraft) -> Result<(), StoreError> {
        self.insert_model_row(model, audit)
    }
    fn list_models(&self) -> Result<Vec<ModelVersion>, StoreError> {
        self.load_models()
    }
    fn find_model(&self, name: &str, version: &str) -> Result<Option<ModelVersion>, StoreError> {
        self.find_model_row(name, version)
    }
    fn ingest_events(&self, events: &[NewEvent]) -> Result<Vec<ItemFate>, StoreError> {
        self.ingest_event_rows(events)
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
    fn append_plan(&self, plan: &NewPlan, audit: &AuditDraft) -> Result<i64, StoreError> {
        self.insert_plan_version(plan, audit)
    }
    fn plans(&self, model: &str) -> Result<Vec<StoredPlan>, StoreError> {
        self.load_plans(model)
    }
    fn active_alert(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<Alert>, StoreError> {
        self.load_active_alert(model, rule, stratum)
    }
    fn last_alert_closed(
        &self,
        model: &str,
        rule: &str,
        stratum: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.load_last_closed(model, rule, stratum)
    }
    fn insert_alert(&self, alert: &Alert) -> Result<(), StoreError> {
        self.insert_alert_row(alert)
    }
    fn update_alert(&self, alert: &Alert, audit: Option<&AuditDraft>) -> Result<(), StoreError> {
        self.update_alert_row(alert, audit)
    }
    fn alert(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        self.load_alert(id)
    }
    fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        self.load_alerts(filter)
    }
    fn enqueue_message(&self, message: &OutboxMessage) -> Result<bool, StoreError> {
        self.insert_outbox(message)
    }
    fn due_messages(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.load_due_outbox(now, limit)
    }
    fn outbox_messages(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        self.load_outbox()
    }
    fn record_attempt(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        self.record_outbox_attempt(message)
    }
    fn reviewed_cases(&self, query: &CaseQuery) -> Result<Vec<ManifestCase>, StoreError> {
        self.load_reviewed_cases(query)
    }
    fn insert_retraining(
        &self,
        request: &RetrainingRecord,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_retraining_row(request, audit)
    }
    fn retraining(&self, id: &str) -> Result<Option<RetrainingRecord>, StoreError> {
        self.load_retraining(id)
    }
    fn set_retraining_status(
        &self,
        id: &str,
        status: &str,
        detail: Option<&str>,
        at: DateTime<Utc>,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.update_retraining_status(id, status, detail, at, audit)
    }
    fn insert_baseline(
        &self,
        baseline: &StoredBaseline,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_baseline_row(baseline, audit)
    }
    fn latest_baseline(&self, model_id: &str) -> Result<Option<StoredBaseline>, StoreError> {
        self.load_latest_baseline(model_id)
    }
    fn monitor_cases(
        &self,
        model_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CaseObs>, StoreError> {
        self.load_monitor_cases(model_id, from, to)
    }
    fn first_cases(&self, model_id: &str, limit: i64) -> Result<Vec<CaseObs>, StoreError> {
        self.load_first_cases(model_id, limit)
    }
    fn monitor_reviews(
        &self,
        model_id: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReviewObs>, StoreError> {
        self.load_monitor_reviews(model_id, from, to)
    }
    fn first_event_day(&self, model_id: &str) -> Result<Option<NaiveDate>, StoreError> {
        self.load_first_event_day(model_id)
    }
    fn enqueue_evaluation(&self, job: &EvaluationJob) -> Result<EvaluationJob, StoreError> {
        evaluations::enqueue(self, job)
    }
    fn claim_evaluation(
        &self,
        runner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<EvaluationJob>, StoreError> {
        evaluations::claim(self, runner, now, lease_until)
    }
    fn renew_lease(
        &self,
        id: &str,
        runner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        evaluations::renew(self, id, runner, lease_until)
    }
    fn finish_evaluation(&self, job: &EvaluationJob) -> Result<(), StoreError> {
        evaluations::finish(self, job)
    }
    fn evaluation(&self, id: &str) -> Result<Option<EvaluationJob>, StoreError> {
        evaluations::get(self, id)
    }
    fn evaluations(
        &self,
        model: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EvaluationJob>, StoreError> {
        evaluations::list(self, model, limit)
    }
    fn save_progress(
        &self,
        findings: &[StoredFinding],
        cursor: &MonitorCursor,
    ) -> Result<(), StoreError> {
        self.save_monitor_progress(findings, cursor)
    }
    fn monitor_cursor(&self, model_id: &str) -> Result<Option<MonitorCursor>, StoreError> {
        self.load_cursor(model_id)
    }
    fn findings(&self, query: &FindingQuery) -> Result<Vec<StoredFinding>, StoreError> {
        self.load_findings(query)
    }
    fn append_audit(&self, audit: &AuditDraft) -> Result<AuditEntry, StoreError> {
        self.append_audit_entry(audit)
    }
    fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.load_audit_entries()
    }
}
