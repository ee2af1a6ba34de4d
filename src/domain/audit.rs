//! The audit trail: an append-only, hash-chained list of every write by a user or an admin
//! command. Each entry's hash covers its fields and the previous entry's hash, so changing or
//! deleting any entry breaks the chain from that point on, and `vigil audit verify` names it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hash that stands before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a caller asks to record; the store assigns `seq`, `prev_hash` and `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    /// Who: `user:<name>` or `cli:<os user>`.
    pub actor: String,
    /// What, e.g. `site.add`, `site.rotate_key`, `model.add`.
    pub action: String,
    /// On what, e.g. the site id.
    pub target: String,
    /// Extra facts as compact JSON; never secrets, never patient data.
    pub details: String,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Build the entry that follows `prev` (or the genesis) for `draft` at time `at`.
    pub fn chain(prev: Option<&AuditEntry>, draft: &AuditDraft, at: DateTime<Utc>) -> Self {
        let (seq, prev_hash) = match prev {
            Some(p) => (p.seq + 1, p.hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let mut entry = AuditEntry {
            seq,
            at,
            actor: draft.actor.clone(),
            action: draft.action.clone(),
            target: draft.target.clone(),
            details: draft.details.clone(),
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// SHA-256 over the length-prefixed fields, so no two field lists hash alike.
    pub fn compute_hash(&self) -> String {
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let seq = self.seq.to_string();
        let mut h = Sha256::new();
        for part in [
            &self.prev_hash,
            &seq,
            &at,
            &self.actor,
            &self.action,
            &self.target,
            &self.details,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Why the chain is broken, naming the first bad entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct BrokenChain {
    pub seq: i64,
    pub reason: &'static str,
}

/// Recompute the chain over entries in `seq` order.
pub fn verify_chain(entries: &[AuditEntry]) -> Result<usize, BrokenChain> {
    let mut prev_hash = GENESIS_HASH.to_string();
    for (i, e) in entries.iter().enumerate() {
        let broken = |reason| BrokenChain { seq: e.seq, reason };
        if e.seq != i as i64 + 1 {
            return Err(broken("sequence gap (an entry was deleted or inserted)"));
        }
        if e.prev_hash != prev_hash {
            return Err(broken("previous-hash link does not match"));
        }
        if e.compute_hash() != e.hash {
            return Err(broken(
                "content does not match its hash (entry was altered)",
            ));
        }
        prev_hash = e.hash.clone();
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(action: &str) -> AuditDraft {
        AuditDraft {
            actor: "cli:root".into(),
            action: action.into(),
            target: "site-1".into(),
            details: "{}".into(),
        }
    }

    fn chain_of(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let at = DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap();
            out.push(AuditEntry::chain(out.last(), &draft("site.add"), at));
        }
        out
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(&chain_of(5)), Ok(5));
    }

    #[test]
    fn altered_entry_is_named() {
        let mut c = chain_of(5);
        c[2].target = "site-2".into();
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn deleted_entry_is_named() {
        let mut c = chain_of(5);
        c.remove(1);
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn rehashed_forgery_breaks_the_next_link() {
        let mut c = chain_of(4);
        c[1].details = "{\"forged\":true}".into();
        c[1].hash = c[1].compute_hash();
        let err = verify_chain(&c).unwrap_err();
        assert_eq!(
            (err.seq, err.reason),
            (3, "previous-hash link does not match")
        );
    }
}
