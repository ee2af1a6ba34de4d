//! `vigil plan set|show|history`: the PMS plan of a model, versioned and audited.

use chrono::Utc;
use clap::Subcommand;

use crate::app::open_store;
use crate::config::Settings;
use crate::service::plans::{PlanServiceError, get_plan, set_plan};
use crate::storage::ModelStore;

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Upload a new plan version from a TOML file (validated against the model's features).
    Set {
        /// Model name, e.g. liver-seg.
        model: String,
        /// The plan in TOML (examples: deploy/plans/minimal.toml, deploy/plans/reference.toml).
        file: std::path::PathBuf,
    },
    /// Print the plan in force, or a given version, exactly as uploaded.
    Show {
        /// Model name, e.g. liver-seg.
        model: String,
        /// Plan version number (1, 2, ...; `vigil plan history` lists them); default: the
        /// version in force.
        #[arg(long)]
        version: Option<i64>,
    },
    /// List every version with its author, time and SHA-256.
    History {
        /// Model name, e.g. liver-seg.
        model: String,
    },
}

pub fn run(settings: &Settings, cmd: PlanCommand) -> i32 {
    let store = match open_store(settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let actor = super::admin::actor();
    let result =
        match cmd {
            PlanCommand::Set { model, file } => match std::fs::read_to_string(&file) {
                Ok(text) => set_plan(&store, &actor, &model, &text, Utc::now()).map(|p| {
                    println!(
                        "plan version {} of {} stored (sha256 {})",
                        p.version, p.model, p.body_sha256
                    )
                }),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    return 2;
                }
            },
            PlanCommand::Show { model, version } => {
                get_plan(&store, &model, version).map(|p| print!("{}", p.body))
            }
            PlanCommand::History { model } => store
                .plans(&model)
                .map_err(PlanServiceError::from)
                .map(|plans| {
                    for p in plans {
                        println!(
                            "{}\t{}\t{}\t{}",
                            p.version,
                            p.created_at.to_rfc3339(),
                            p.created_by,
                            p.body_sha256
                        );
                    }
                }),
        };
    match result {
        Ok(()) => 0,
        Err(PlanServiceError::Store(e)) => {
            eprintln!("error: {e}");
            1
        }
        // Not found is a runtime failure (1), like a missing site; bad plans are usage (2).
        Err(e @ (PlanServiceError::UnknownModel(_) | PlanServiceError::NoSuchVersion(_))) => {
            eprintln!(
                "error: {e} (`vigil model list` shows the models, `vigil plan history` the versions)"
            );
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
