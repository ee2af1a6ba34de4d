//! `impl MonitorStore for DieselStore`: each method delegates to the query module that owns
//! the table.

use chrono::{DateTime, NaiveDate, Utc};

use super::DieselStore;
use crate::monitoring::columns::{CaseObs, ReviewObs};
use crate::storage::evaluations;
use crate::storage::{
    EvaluationJob, FindingQuery, MonitorCursor, MonitorStore, StoreError, StoredFinding,
};

impl MonitorStore for DieselStore {
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
}
