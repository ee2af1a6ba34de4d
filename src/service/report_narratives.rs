//! Narrative drafts of MDR documents: the text a person must write (executive summary,
//! benefit-risk statement, literature, PMCF, conclusions ...), per device, kind and period.
//! Every field name, length and text is checked (known field, privacy screen) before anything
//! is written; the write is audited. Report assembly shows a missing draft as MISSING.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::admin::{Actor, audit_draft};
use super::reports::{ReportError, device, invalid};
use crate::domain::FieldIssue;
use crate::reports::{Period, ReportKind, narrative_fields};
use crate::storage::Store;
use crate::storage::reports::NarrativeDraft;

/// Longest narrative accepted, in characters.
pub const MAX_NARRATIVE_CHARS: usize = 20_000;

/// Store narrative drafts for a device, kind and period; every field name and text is checked
/// (known field, length, privacy screen) before anything is written.
pub fn put_narratives(
    store: &dyn Store,
    actor: &Actor,
    (basic, kind, period): (&str, ReportKind, Period),
    fields: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Vec<NarrativeDraft>, ReportError> {
    device(store, basic)?;
    let known = narrative_fields(kind);
    let mut issues = Vec::new();
    for (field, text) in fields {
        let path = format!("fields.{field}");
        if !known.iter().any(|(f, _)| f == field) {
            let names: Vec<&str> = known.iter().map(|(f, _)| *f).collect();
            issues.push(FieldIssue {
                index: None,
                path,
                code: "unknown_field".into(),
                message: format!(
                    "a {} narrative field is one of: {}",
                    kind.as_str(),
                    names.join(", ")
                ),
            });
        } else if text.chars().count() > MAX_NARRATIVE_CHARS {
            issues.push(FieldIssue {
                index: None,
                path,
                code: "out_of_range".into(),
                message: format!("at most {MAX_NARRATIVE_CHARS} characters"),
            });
        }
    }
    if fields.is_empty() {
        return Err(invalid("fields", "name at least one narrative field"));
    }
    if !issues.is_empty() {
        return Err(ReportError::Invalid(issues));
    }
    let screened: Vec<(String, &str)> = fields
        .iter()
        .map(|(f, t)| (format!("fields.{f}"), t.as_str()))
        .collect();
    let refused: Vec<FieldIssue> = screened
        .iter()
        .filter_map(|(p, t)| crate::privacy::screen_str(p, t).err())
        .map(|f| FieldIssue {
            index: None,
            message: format!(
                "value refused as personal data ({}); it was neither stored nor logged",
                f.kind
            ),
            code: f.kind.as_str().into(),
            path: f.path,
        })
        .collect();
    if !refused.is_empty() {
        return Err(ReportError::PersonalData(refused));
    }
    let drafts: Vec<NarrativeDraft> = fields
        .iter()
        .map(|(field, text)| NarrativeDraft {
            basic_udi_di: basic.into(),
            kind,
            period,
            field: field.clone(),
            text: text.clone(),
            updated_by: actor.0.clone(),
            updated_at: now,
        })
        .collect();
    let names: Vec<&String> = fields.keys().collect();
    let details = json!({"kind": kind, "period": period, "fields": names});
    store.put_narratives(
        &drafts,
        &audit_draft(actor, "report.narratives", basic, details),
    )?;
    Ok(store.narratives(basic, kind, period)?)
}
