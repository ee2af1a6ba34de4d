//! Which archived cases a shadow run scores: all of them, or those of one stratum, archived
//! within a period (UTC days, both ends included), or listed in a retraining request's
//! manifest (matched by case reference or by the review the case came from). The criteria
//! combine; the resulting list is frozen in the run's payload.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;

use super::shadow_archive::ShadowUseError;
use crate::storage::Store;
use crate::storage::shadow::ArchiveCase;

/// A run's case selection (every criterion optional).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSelection {
    pub stratum: Option<String>,
    /// First UTC day of archiving to include.
    pub archived_from: Option<NaiveDate>,
    /// Last UTC day of archiving to include.
    pub archived_to: Option<NaiveDate>,
    /// Only cases listed in this retraining request's manifest.
    pub retraining_request: Option<String>,
}

fn refused(message: String) -> ShadowUseError {
    ShadowUseError::Refused {
        code: "validation_failed",
        message,
    }
}

/// Case references and review ids of a retraining manifest.
fn manifest_refs(manifest: &str) -> Result<BTreeSet<String>, ShadowUseError> {
    let value: serde_json::Value = serde_json::from_str(manifest)
        .map_err(|e| ShadowUseError::Blob(format!("stored manifest unreadable: {e}")))?;
    let cases = value["cases"].as_array().cloned().unwrap_or_default();
    Ok(cases
        .iter()
        .flat_map(|c| [c["case_ref"].as_str(), c["review_id"].as_str()])
        .flatten()
        .map(str::to_string)
        .collect())
}

/// Whether `case` meets the period and manifest criteria (the stratum is filtered by the query).
pub fn keep(case: &ArchiveCase, sel: &CaseSelection, manifest: Option<&BTreeSet<String>>) -> bool {
    let day = case.created_at.date_naive();
    let in_period =
        sel.archived_from.is_none_or(|f| day >= f) && sel.archived_to.is_none_or(|t| day <= t);
    let listed = manifest.is_none_or(|refs| {
        refs.contains(&case.case_ref)
            || case.metadata["review_id"]
                .as_str()
                .is_some_and(|r| refs.contains(r))
    });
    in_period && listed
}

/// The selected case references, oldest first.
pub fn select_cases(store: &dyn Store, sel: &CaseSelection) -> Result<Vec<String>, ShadowUseError> {
    if let (Some(f), Some(t)) = (sel.archived_from, sel.archived_to)
        && f > t
    {
        return Err(refused(
            "archived_to: the period ends before it starts".into(),
        ));
    }
    let manifest = match &sel.retraining_request {
        Some(id) => {
            let record = store.retraining(id)?.ok_or_else(|| {
                refused(format!("retraining_request: no retraining request {id}"))
            })?;
            Some(manifest_refs(&record.manifest)?)
        }
        None => None,
    };
    Ok(store
        .archive_cases(sel.stratum.as_deref())?
        .into_iter()
        .filter(|c| keep(c, sel, manifest.as_ref()))
        .map(|c| c.case_ref)
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn case(r: &str, day: u32, review: Option<&str>) -> ArchiveCase {
        ArchiveCase {
            case_ref: r.into(),
            stratum: "scanner=A".into(),
            metadata: json!({"review_id": review}),
            image_sha256: String::new(),
            mask_sha256: String::new(),
            created_by: "user:ml1".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, day, 23, 59, 0).unwrap(),
        }
    }

    #[test]
    fn periods_include_both_days_and_manifests_match_case_or_review() {
        let sel = CaseSelection {
            archived_from: NaiveDate::from_ymd_opt(2026, 11, 10),
            archived_to: NaiveDate::from_ymd_opt(2026, 11, 12),
            ..CaseSelection::default()
        };
        assert!(!keep(&case("a", 9, None), &sel, None));
        assert!(keep(&case("a", 10, None), &sel, None));
        assert!(keep(&case("a", 12, None), &sel, None));
        assert!(!keep(&case("a", 13, None), &sel, None));
        let manifest =
            manifest_refs(&json!({"cases": [{"case_ref": "b", "review_id": "rev-1"}]}).to_string())
                .unwrap();
        let all = CaseSelection::default();
        assert!(keep(&case("b", 1, None), &all, Some(&manifest)));
        assert!(keep(&case("c", 1, Some("rev-1")), &all, Some(&manifest)));
        assert!(!keep(&case("d", 1, Some("rev-2")), &all, Some(&manifest)));
    }
}
