//! Idempotent storing of a parsed batch: repeats inside the batch are folded (same content) or
//! refused (different content), then the store classifies every id against what it holds. A
//! conflict says which case it is: a repeat inside this batch, an id this site already used for
//! other content, or an id another site already used (without saying which site).

use std::collections::HashMap;

use super::ingest::{BatchOutcome, IngestError};
use crate::domain::FieldIssue;
use crate::storage::{ItemFate, StoreError};

/// One batch being stored: its envelope field, its id field and the reporting site.
pub struct Batch<'a> {
    pub what: &'static str,
    pub id_field: &'static str,
    pub site_id: &'a str,
}

impl Batch<'_> {
    /// Deduplicate within the batch, write, and refuse the whole batch on any conflict.
    /// `owner` tells which site holds a stored id (asked only for conflicting ids).
    pub fn store<R: Clone>(
        &self,
        rows: &[R],
        key: impl Fn(&R) -> (&String, &String),
        write: impl FnOnce(&[R]) -> Result<Vec<ItemFate>, StoreError>,
        owner: impl Fn(&str) -> Result<Option<String>, StoreError>,
    ) -> Result<BatchOutcome, IngestError> {
        let mut first_seen: HashMap<&String, (usize, &String)> = HashMap::new();
        let mut unique = Vec::with_capacity(rows.len());
        let mut unique_index = Vec::with_capacity(rows.len());
        let mut conflicts = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let (id, hash) = key(r);
            match first_seen.get(id) {
                // A repeat inside the batch with the same content counts as a duplicate.
                Some((_, h)) if *h == hash => {}
                Some((first, _)) => conflicts.push(self.issue(
                    i,
                    format!(
                        "{} repeats the one of {}[{first}] with different content in this batch",
                        self.id_field, self.what
                    ),
                )),
                None => {
                    first_seen.insert(id, (i, hash));
                    unique.push(r.clone());
                    unique_index.push(i);
                }
            }
        }
        if !conflicts.is_empty() {
            return Err(IngestError::Conflict(conflicts));
        }
        let fates = write(&unique)?;
        for (fate, &i) in fates.iter().zip(&unique_index) {
            if *fate == ItemFate::Conflict {
                let id = key(&rows[i]).0;
                let message = match owner(id)? {
                    Some(site) if site != self.site_id => format!(
                        "{} is already used by another site; choose a new id",
                        self.id_field
                    ),
                    _ => format!(
                        "{} was already stored by this site with different content",
                        self.id_field
                    ),
                };
                conflicts.push(self.issue(i, message));
            }
        }
        if !conflicts.is_empty() {
            return Err(IngestError::Conflict(conflicts));
        }
        let accepted = fates.iter().filter(|f| **f == ItemFate::Accepted).count();
        Ok(BatchOutcome {
            accepted,
            duplicates: rows.len() - accepted,
            ..BatchOutcome::default()
        })
    }

    fn issue(&self, index: usize, message: String) -> FieldIssue {
        FieldIssue::new(
            index,
            format!("{}[{index}].{}", self.what, self.id_field),
            "idempotency_conflict",
            message,
        )
    }
}
