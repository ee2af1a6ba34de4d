//! `vigil audit checkpoint` and `vigil audit verify --checkpoint FILE`: the signed anchor of the
//! audit chain's head (see `domain::audit_checkpoint` for what it can and cannot detect).

use std::path::Path;

use crate::config::Settings;
use crate::domain::audit::{AuditEntry, verify_chain};
use crate::domain::audit_checkpoint::Checkpoint;

/// Print the trail's signed checkpoint as JSON (and log it); exit 2 without a key.
pub fn print(settings: &Settings, entries: &[AuditEntry]) -> i32 {
    let key = settings.audit_checkpoint_key.expose();
    if key.is_empty() {
        eprintln!("usage error: set audit_checkpoint_key to sign checkpoints");
        return 2;
    }
    let cp = Checkpoint::of(entries, chrono::Utc::now(), key.as_bytes());
    match serde_json::to_string(&cp) {
        Ok(json) => {
            tracing::info!(audit.checkpoint = %json, "audit checkpoint");
            println!("{json}");
            0
        }
        Err(e) => {
            eprintln!("checkpoint could not be written: {e}");
            1
        }
    }
}

/// Verify the chain, then against the checkpoint when one is given: 0 intact, 1 broken,
/// 2 when the checkpoint cannot be read or no key is configured.
pub fn verify(settings: &Settings, entries: &[AuditEntry], checkpoint: Option<&Path>) -> i32 {
    let n = match verify_chain(entries) {
        Ok(n) => n,
        Err(broken) => {
            println!("{broken}");
            return 1;
        }
    };
    let Some(path) = checkpoint else {
        println!("audit chain intact: {n} entries verified");
        return 0;
    };
    let key = settings.audit_checkpoint_key.expose();
    if key.is_empty() {
        eprintln!("usage error: set audit_checkpoint_key to check a checkpoint");
        return 2;
    }
    let cp: Checkpoint = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(cp) => cp,
        Err(e) => {
            eprintln!("usage error: checkpoint {}: {e}", path.display());
            return 2;
        }
    };
    match cp.check(entries, key.as_bytes()) {
        Ok(()) => {
            println!(
                "audit chain intact: {n} entries verified, {} of them against the checkpoint",
                cp.entries
            );
            0
        }
        Err(why) => {
            println!("audit trail does not match the checkpoint: {why}");
            1
        }
    }
}
