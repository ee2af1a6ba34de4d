//! Checkpoints anchor the audit chain's head outside its table. The hash chain shows any
//! change or deletion *inside* the trail, but deleting its newest rows leaves a shorter chain
//! that still verifies. A checkpoint (entry count, head hash, time) signed with HMAC-SHA256
//! under a key from configuration is kept by someone else (a log sink, an external monitor);
//! checking the trail against the latest one detects truncation and rewriting up to it.
//! It cannot detect what happened after the latest checkpoint, nor a forgery by whoever holds
//! both the database and the key.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::audit::{AuditEntry, GENESIS_HASH};

/// A signed statement: the trail held `entries` entries, the last with hash `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub entries: i64,
    pub head_hash: String,
    pub at: DateTime<Utc>,
    /// Hex HMAC-SHA256 of the other fields under the configured checkpoint key.
    pub signature: String,
}

impl Checkpoint {
    /// The signed checkpoint of `trail` (in `seq` order) at `at`.
    pub fn of(trail: &[AuditEntry], at: DateTime<Utc>, key: &[u8]) -> Self {
        let head_hash = trail
            .last()
            .map_or(GENESIS_HASH.to_string(), |e| e.hash.clone());
        let mut cp = Checkpoint {
            entries: trail.len() as i64,
            head_hash,
            at,
            signature: String::new(),
        };
        cp.signature = cp.sign(key);
        cp
    }

    fn sign(&self, key: &[u8]) -> String {
        let text = format!(
            "vigil-audit-checkpoint:v1:{}:{}:{}",
            self.entries,
            self.head_hash,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true)
        );
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return String::new();
        };
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Check `trail` against this checkpoint: signature, length, and the head at its position.
    pub fn check(&self, trail: &[AuditEntry], key: &[u8]) -> Result<(), String> {
        let expected = self.sign(key);
        if expected.is_empty() || expected != self.signature {
            return Err("the checkpoint's signature does not match the configured key".into());
        }
        let held = trail.len() as i64;
        if held < self.entries {
            return Err(format!(
                "the trail holds {held} entries but the checkpoint of {} counted {}: entries \
                 were deleted",
                self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
                self.entries
            ));
        }
        let head = match self.entries {
            0 => GENESIS_HASH,
            n => trail[(n - 1) as usize].hash.as_str(),
        };
        if head != self.head_hash {
            return Err(format!(
                "entry {} differs from the checkpoint's head: the trail was rewritten",
                self.entries
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditDraft;

    fn chain_of(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let at = DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap();
            let draft = AuditDraft {
                actor: "cli:root".into(),
                action: "site.add".into(),
                target: format!("site-{i}"),
                details: "{}".into(),
            };
            out.push(AuditEntry::chain(out.last(), &draft, at));
        }
        out
    }

    #[test]
    fn truncation_below_the_checkpoint_is_detected_and_growth_is_not_an_error() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let trail = chain_of(5);
        let cp = Checkpoint::of(&trail, at, b"k");
        assert_eq!(cp.check(&trail, b"k"), Ok(()));
        assert_eq!(cp.check(&chain_of(7), b"k"), Ok(()));
        assert!(cp.check(&trail[..4], b"k").unwrap_err().contains("deleted"));
        assert!(
            cp.check(&trail, b"other")
                .unwrap_err()
                .contains("signature")
        );
        let mut forged = cp.clone();
        forged.entries = 3;
        assert!(forged.check(&trail[..3], b"k").is_err());
    }
}
