//! Admin commands run directly against the database: migrations, sites, users, models and the
//! audit trail. Every change is audited with the actor `cli:<os user>`; keys and tokens are
//! printed once and never stored in clear.

use chrono::Utc;
use clap::Subcommand;

use crate::app::open_store;
use crate::config::Settings;
use crate::domain::Role;
use crate::domain::model::{FeatureKind, FeatureSchema, FeatureSpec};
use crate::service::admin::{self as svc, Actor, AdminError};
use crate::storage::diesel::DieselStore;
use crate::storage::{AuditStore, ModelStore, SiteStore};

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Register a site and print its API key (shown once).
    Add {
        /// Pseudonymous site id, e.g. site-de-014 (a-z, 0-9, '.', '_', '-').
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 country code, e.g. DE.
        #[arg(long)]
        country: String,
    },
    /// List sites.
    List,
    /// Issue a new key for a site; the old key stops working at once.
    RotateKey {
        /// Site id, e.g. site-de-014 (`vigil site list` shows them).
        id: String,
    },
    /// Disable a site: its key is refused; its data is kept.
    Disable {
        /// Site id, e.g. site-de-014.
        id: String,
    },
    /// Re-enable a disabled site.
    Enable {
        /// Site id, e.g. site-de-014.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Register a user and print their token (shown once).
    Add {
        /// User name, e.g. qm.meyer.
        name: String,
        /// admin, regulatory, quality or ml.
        #[arg(long)]
        role: Role,
    },
    /// List users.
    List,
    /// Disable a user: their token is refused.
    Disable {
        /// User name, e.g. qm.meyer (`vigil user list` shows them).
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Register a model version with its feature schema.
    Add {
        /// Model name, e.g. liver-seg.
        name: String,
        /// Semantic version, e.g. 2.3.0.
        version: String,
        /// JSON file {"features": [{"name","kind":"input"|"output","min","max","unit"?}]}.
        #[arg(long, value_name = "FILE")]
        schema: Option<std::path::PathBuf>,
        /// A feature as NAME:input|output:MIN:MAX[:UNIT]; repeat for each feature.
        #[arg(long = "feature", value_name = "SPEC")]
        features: Vec<String>,
    },
    /// List model versions.
    List,
    /// Upload a version's ONNX file and inference spec (checked with ONNX Runtime).
    Upload {
        /// Model name.
        name: String,
        /// Model version (semver).
        version: String,
        /// The ONNX file.
        #[arg(long, value_name = "FILE")]
        onnx: std::path::PathBuf,
        /// The inference spec (JSON): tensors, layout, patch, preprocessing, labels.
        #[arg(long, value_name = "FILE")]
        spec: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 and name the first broken entry if it does not hold.
    Verify {
        /// Also check the trail against this signed checkpoint (JSON from `audit checkpoint`):
        /// detects deleted newest entries up to it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<std::path::PathBuf>,
    },
    /// Print a checkpoint of the trail (entry count and head hash, signed with
    /// `audit_checkpoint_key`) as JSON, for an external monitor to keep.
    Checkpoint,
    /// Print the audit trail, oldest first.
    List,
}

static OPERATOR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Settle who runs this process's writing commands: `--actor`, else the OS user ($USER,
/// $LOGNAME, or the process's uid looked up in /etc/passwd, as `uid:N` when it has no name).
/// The audit trail never records an unknown operator, so without any of these this refuses,
/// and so does a name that is empty, longer than 64 characters or holds spaces.
pub(crate) fn set_operator(flag: Option<&str>) -> Result<(), String> {
    let from_env = || {
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
    };
    let name = match flag {
        Some(f) => f.to_string(),
        None => from_env().or_else(os_user).ok_or(
            "the operator is unknown (no $USER, $LOGNAME or user id); pass --actor NAME, \
             which the audit trail records",
        )?,
    };
    let valid = !name.is_empty()
        && name.chars().count() <= 64
        && !name.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err("--actor must be 1-64 characters without spaces".into());
    }
    let _ = OPERATOR.set(name);
    Ok(())
}

/// The name of the process's uid in /etc/passwd (containers often set no $USER).
#[cfg(unix)]
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let named = passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
    });
    Some(named.unwrap_or_else(|| format!("uid:{uid}")))
}

#[cfg(not(unix))]
fn os_user() -> Option<String> {
    None
}

/// The audit actor of CLI commands: `cli:<operator>` (settled by `set_operator` at start).
pub(crate) fn actor() -> Actor {
    let name = OPERATOR.get().map_or("unset-operator", String::as_str);
    Actor(format!("cli:{name}"))
}

fn with_store(settings: &Settings, f: impl FnOnce(&DieselStore) -> Result<(), AdminError>) -> i32 {
    let store = match open_store(settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    match f(&store) {
        Ok(()) => 0,
        Err(AdminError::Invalid(m)) => {
            eprintln!("error: {m}");
            2
        }
        Err(AdminError::Store(e)) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// Apply pending migrations and list them by name, so the operator sees what changed.
pub fn migrate(settings: &Settings) -> i32 {
    match crate::app::open_store_migrated(settings) {
        Ok((_, applied)) if applied.is_empty() => {
            println!("database is up to date: no pending migrations");
            0
        }
        Ok((_, applied)) => {
            println!("applied {} migration(s):", applied.len());
            for name in applied {
                println!("  {name}");
            }
            println!("database is up to date");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

pub fn site(settings: &Settings, cmd: SiteCommand) -> i32 {
    with_store(settings, |store| {
        match cmd {
            SiteCommand::Add { id, name, country } => {
                let (site, key) = svc::add_site(store, &actor(), &id, &name, &country, Utc::now())?;
                println!(
                    "site {} added\nAPI key (shown once, store it now): {key}",
                    site.id
                );
            }
            SiteCommand::List => {
                for s in store.list_sites()? {
                    let state = if s.disabled { "disabled" } else { "active" };
                    println!(
                        "{}\t{}\t{}\t{}\tkey rotated {}",
                        s.id,
                        s.country,
                        state,
                        s.name,
                        s.key_rotated_at.to_rfc3339()
                    );
                }
            }
            SiteCommand::RotateKey { id } => {
                let key = svc::rotate_site_key(store, &actor(), &id, Utc::now())?;
                println!("new API key for {id} (shown once; the old key no longer works): {key}");
            }
            SiteCommand::Disable { id } => {
                svc::set_site_disabled(store, &actor(), &id, true)?;
                println!("site {id} disabled");
            }
            SiteCommand::Enable { id } => {
                svc::set_site_disabled(store, &actor(), &id, false)?;
                println!("site {id} enabled");
            }
        }
        Ok(())
    })
}

pub fn user(settings: &Settings, cmd: UserCommand) -> i32 {
    with_store(settings, |store| {
        match cmd {
            UserCommand::Add { name, role } => {
                let (user, token) = svc::add_user(store, &actor(), &name, role, Utc::now())?;
                println!(
                    "user {} ({}) added\ntoken (shown once, store it now): {token}",
                    user.name, user.role
                );
            }
            UserCommand::List => {
                for u in store.list_users()? {
                    let state = if u.disabled { "disabled" } else { "active" };
                    println!("{}\t{}\t{}", u.name, u.role, state);
                }
            }
            UserCommand::Disable { name } => {
                svc::set_user_disabled(store, &actor(), &name, true)?;
                println!("user {name} disabled");
            }
        }
        Ok(())
    })
}

pub fn model(settings: &Settings, cmd: ModelCommand) -> i32 {
    if let ModelCommand::Upload {
        name,
        version,
        onnx,
        spec,
    } = &cmd
    {
        return super::archive::model_upload(settings, name, version, onnx, spec);
    }
    with_store(settings, |store| {
        match cmd {
            ModelCommand::Add {
                name,
                version,
                schema,
                features,
            } => {
                let schema = read_schema(schema.as_deref(), &features)?;
                let m = svc::add_model(store, &actor(), &name, &version, schema, Utc::now())?;
                println!(
                    "model {} registered with {} features",
                    m.id,
                    m.feature_schema.features.len()
                );
            }
            ModelCommand::List => {
                for m in store.list_models()? {
                    let names: Vec<&str> = m
                        .feature_schema
                        .features
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect();
                    println!("{}\t{}", m.id, names.join(","));
                }
            }
            // Handled above, before the store is opened here.
            ModelCommand::Upload { .. } => {}
        }
        Ok(())
    })
}

fn read_schema(
    file: Option<&std::path::Path>,
    specs: &[String],
) -> Result<FeatureSchema, AdminError> {
    let mut schema = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| AdminError::Invalid(format!("{}: {e}", path.display())))?;
            serde_json::from_str(&text)
                .map_err(|e| AdminError::Invalid(format!("{}: {e}", path.display())))?
        }
        None => FeatureSchema::default(),
    };
    for spec in specs {
        schema
            .features
            .push(parse_feature(spec).map_err(AdminError::Invalid)?);
    }
    Ok(schema)
}

fn parse_feature(spec: &str) -> Result<FeatureSpec, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bad = || format!("feature {spec:?}: expected NAME:input|output:MIN:MAX[:UNIT]");
    if !(4..=5).contains(&parts.len()) {
        return Err(bad());
    }
    let kind = match parts[1] {
        "input" => FeatureKind::Input,
        "output" => FeatureKind::Output,
        _ => return Err(bad()),
    };
    let min = parts[2].parse().map_err(|_| bad())?;
    let max = parts[3].parse().map_err(|_| bad())?;
    Ok(FeatureSpec {
        name: parts[0].into(),
        kind,
        min,
        max,
        unit: parts.get(4).map(|u| u.to_string()),
    })
}

pub fn audit(settings: &Settings, cmd: AuditCommand) -> i32 {
    let mut code = 0;
    let status = with_store(settings, |store| {
        let entries = store.audit_entries()?;
        match cmd {
            AuditCommand::List => {
                for e in &entries {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        e.seq,
                        e.at.to_rfc3339(),
                        e.actor,
                        e.action,
                        e.target,
                        e.details
                    );
                }
            }
            AuditCommand::Verify { checkpoint } => {
                code = super::audit_checkpoint::verify(settings, &entries, checkpoint.as_deref())
            }
            AuditCommand::Checkpoint => code = super::audit_checkpoint::print(settings, &entries),
        }
        Ok(())
    });
    if status != 0 { status } else { code }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_specs_parse_or_explain() {
        let f = parse_feature("hu_mean:input:-1024:3071:HU").unwrap();
        assert_eq!(
            (f.kind, f.min, f.max, f.unit.as_deref()),
            (FeatureKind::Input, -1024.0, 3071.0, Some("HU"))
        );
        assert!(parse_feature("hu_mean:sideways:0:1").is_err());
        assert!(parse_feature("hu_mean:input:0").is_err());
    }
}
