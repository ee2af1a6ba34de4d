//! PSUR device groups (MDCG 2022-21): a regulatory user declares a group, a leading device with
//! its member devices and the justification; every change is stored as a new version, audited.
//! A device belongs to one group at most, as leader or member; the justification is screened
//! for personal data. A PSUR requested for the leading
//! device covers the whole group (`group_facts`); one requested for a member is refused, naming
//! the leading device (`leader_of`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::admin::{Actor, audit_draft};
use super::reports::{ReportError, device};
use crate::domain::FieldIssue;
use crate::reports::Period;
use crate::reports::input::{GroupChange, GroupFacts, GroupMember};
use crate::storage::{DeviceGroupVersion, Store, StoreError};

/// The most characters of a group's justification (it is printed in the PSUR).
pub const JUSTIFICATION_MAX_CHARS: usize = 4000;

/// `{"members": [BASIC_UDI_DI, ...], "justification": "..."}`; no members dissolves the group.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    pub members: Vec<String>,
    pub justification: String,
}

fn issue(path: String, message: impl Into<String>) -> FieldIssue {
    FieldIssue {
        index: None,
        path,
        code: "invalid_value".into(),
        message: message.into(),
    }
}

/// The group `basic` belongs to as a member (not as leader), by its newest version.
pub fn leader_of(store: &dyn Store, basic: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .device_groups()?
        .into_iter()
        .find(|g| g.members.iter().any(|m| m == basic))
        .map(|g| g.leading_udi_di))
}

/// The group `leading` leads (with at least one member), by its newest version.
pub fn group_led_by(
    store: &dyn Store,
    leading: &str,
) -> Result<Option<DeviceGroupVersion>, StoreError> {
    Ok(store
        .group_versions(leading)?
        .pop()
        .filter(|g| !g.members.is_empty()))
}

/// Declare or change the group led by `leading` (regulatory); unchanged input stores nothing.
pub fn put_group(
    store: &dyn Store,
    actor: &Actor,
    leading: &str,
    req: &GroupRequest,
    now: DateTime<Utc>,
) -> Result<DeviceGroupVersion, ReportError> {
    device(store, leading)?;
    let mut issues = Vec::new();
    let justification = req.justification.trim();
    if justification.is_empty() || justification.chars().count() > JUSTIFICATION_MAX_CHARS {
        issues.push(issue(
            "justification".into(),
            format!(
                "state why the devices are grouped (1 to {JUSTIFICATION_MAX_CHARS} characters)"
            ),
        ));
    }
    let versions = store.group_versions(leading)?;
    let previous = versions.last();
    if req.members.is_empty() && previous.is_none_or(|p| p.members.is_empty()) {
        issues.push(issue("members".into(), "name at least one member device"));
    }
    let groups = store.device_groups()?;
    for (i, m) in req.members.iter().enumerate() {
        let path = format!("members[{i}]");
        if m == leading {
            issues.push(issue(path, "the leading device is not its own member"));
        } else if req.members[..i].contains(m) {
            issues.push(issue(path, "named twice"));
        } else if store.device(m)?.is_none() {
            issues.push(issue(
                path,
                "no device with this Basic UDI-DI is registered",
            ));
        } else if let Some(g) = groups.iter().find(|g| {
            g.leading_udi_di != leading
                && ((g.leading_udi_di == *m && !g.members.is_empty()) || g.members.contains(m))
        }) {
            return Err(ReportError::Conflict(format!(
                "{path}: device {m} already belongs to the group led by {}",
                g.leading_udi_di
            )));
        }
    }
    if !issues.is_empty() {
        return Err(ReportError::Invalid(issues));
    }
    // The justification is printed in the PSUR: screened like the narrative drafts.
    if let Err(f) = crate::privacy::screen_str("justification", justification) {
        return Err(ReportError::PersonalData(vec![FieldIssue {
            index: None,
            message: format!(
                "value refused as personal data ({}); it was neither stored nor logged",
                f.kind
            ),
            code: f.kind.as_str().into(),
            path: f.path,
        }]));
    }
    if let Some(g) = groups
        .iter()
        .find(|g| g.leading_udi_di != leading && g.members.iter().any(|m| m == leading))
    {
        return Err(ReportError::Conflict(format!(
            "device {leading} is a member of the group led by {}; it cannot lead another",
            g.leading_udi_di
        )));
    }
    let mut members = req.members.clone();
    members.sort();
    if let Some(p) = previous
        && p.members == members
        && p.justification == justification
    {
        return Ok(p.clone());
    }
    let version = DeviceGroupVersion {
        leading_udi_di: leading.into(),
        version: previous.map_or(1, |p| p.version + 1),
        members,
        justification: justification.into(),
        changed_by: actor.0.clone(),
        changed_at: now,
    };
    let details = json!({"version": version.version, "members": version.members, "justification": version.justification});
    store.insert_group_version(
        &version,
        &audit_draft(actor, "device_group.put", leading, details),
    )?;
    Ok(version)
}

/// What changed from one version to the next, in words.
pub fn describe(before: Option<&DeviceGroupVersion>, after: &DeviceGroupVersion) -> String {
    let Some(b) = before else {
        return format!("group declared with members {}", after.members.join(", "));
    };
    let mut parts = Vec::new();
    let added: Vec<&str> = after
        .members
        .iter()
        .filter(|m| !b.members.contains(m))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = b
        .members
        .iter()
        .filter(|m| !after.members.contains(m))
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    if b.justification != after.justification {
        parts.push("justification changed".into());
    }
    parts.join("; ")
}

/// Versions made on or after `since`, described against the one before.
pub fn changes_since(versions: &[DeviceGroupVersion], since: NaiveDate) -> Vec<GroupChange> {
    versions
        .iter()
        .enumerate()
        .filter(|(_, v)| v.changed_at.date_naive() >= since)
        .map(|(i, v)| GroupChange {
            version: v.version,
            day: v.changed_at.date_naive(),
            by: v.changed_by.clone(),
            change: describe(i.checked_sub(1).map(|j| &versions[j]), v),
        })
        .collect()
}

/// The group a PSUR's device leads, gathered for the report (`None`: no group).
pub fn group_facts(
    store: &dyn Store,
    leading: &str,
    period: Period,
) -> Result<Option<GroupFacts>, ReportError> {
    let versions = store.group_versions(leading)?;
    let Some(current) = versions.last().filter(|g| !g.members.is_empty()) else {
        return Ok(None);
    };
    let usage_of = |basic: &str| -> Result<_, ReportError> {
        let software = store.device_software(basic)?;
        let models: Vec<String> = software.iter().map(|s| s.model_id.clone()).collect();
        Ok((software, store.usage_counts(&models, period)?))
    };
    let mut members = Vec::new();
    for m in &current.members {
        let (software, usage) = usage_of(m)?;
        members.push(GroupMember {
            device: device(store, m)?,
            software,
            usage,
        });
    }
    Ok(Some(GroupFacts {
        leading_usage: usage_of(leading)?.1,
        members,
        justification: current.justification.clone(),
        version: current.version,
        changes: changes_since(&versions, period.from),
    }))
}
