//! `vigil device add|list|show|software|edit|retire` and `vigil incident create|list|show|classify|report`: the
//! vigilance use cases run directly against the database (the same services as the API, audited
//! with the actor `cli:<os user>`). Requests are JSON files in the API's shapes; `-` reads stdin.

use std::path::PathBuf;

use chrono::Utc;
use clap::Subcommand;
use serde::de::DeserializeOwned;

use super::admin::actor;
use crate::app::open_store;
use crate::config::Settings;
use crate::service::device_edits::{DeviceEdit, Retirement, edit_device, retire_device};
use crate::service::devices::{add_device, assign_software};
use crate::service::incident_eudamed::eudamed_report;
use crate::service::incident_reports::{NewReport, add_report};
use crate::service::incidents::{
    Classification, IncidentQuery, NewIncident, classify_incident, create_incident, list_incidents,
    show_incident,
};
use crate::service::vigilance::{Vigilance, VigilanceError};
use crate::storage::diesel::DieselStore;
use crate::vigilance::device::{Device, DeviceSoftware};
use crate::vigilance::stage::{ReportStage, StageFields};

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Register a device from a JSON file (the body of `POST /api/v1/devices`).
    Add {
        /// The device as JSON (Basic UDI-DI, UDI-DIs, trade name, class, EMDN, ...).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Edit a device's fields from a JSON file (the body of `PATCH /api/v1/devices/{basic}`:
    /// only the fields to change).
    Edit {
        /// The device's Basic UDI-DI.
        basic_udi_di: String,
        /// The fields to change as JSON (`-` reads stdin).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Retire a device (taken off the market); it keeps its history and takes no more edits.
    Retire {
        /// The device's Basic UDI-DI.
        basic_udi_di: String,
        /// Last day on the market (YYYY-MM-DD); default today.
        #[arg(long = "on")]
        retired_on: Option<chrono::NaiveDate>,
        /// Why it was retired.
        #[arg(long)]
        reason: String,
    },
    /// List registered devices.
    List,
    /// Show one device and the model versions it ran.
    Show {
        /// The device's Basic UDI-DI.
        basic_udi_di: String,
    },
    /// Record that the device runs a model version (`name@version`) from a date.
    Software {
        /// The device's Basic UDI-DI.
        basic_udi_di: String,
        /// The model version, `name@version`.
        #[arg(long)]
        model: String,
        /// First day the device ran it (YYYY-MM-DD).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day, if it no longer runs it (YYYY-MM-DD).
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident from a JSON file (the body of `POST /api/v1/incidents`).
    Create {
        /// The incident as JSON (the body of POST /api/v1/incidents).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// List incidents with their clocks.
    List {
        /// awaiting_classification, due, overdue, reported or not_reportable.
        #[arg(long)]
        state: Option<String>,
    },
    /// Show an incident with its clock, history and reports.
    Show {
        /// The incident id.
        id: String,
    },
    /// Classify, re-classify, assess as not reportable, or re-assess.
    Classify {
        /// The incident id.
        id: String,
        /// serious_public_health_threat, death, unanticipated_serious_deterioration,
        /// other_reportable or not_reportable.
        #[arg(long)]
        class: String,
        /// Why this class (kept in the clock's history).
        #[arg(long)]
        reason: String,
        /// Re-assessment only: when the new information arrived (YYYY-MM-DD).
        #[arg(long)]
        awareness_date: Option<chrono::NaiveDate>,
    },
    /// Add a report stage and write its MIR XML.
    Report {
        /// The incident id.
        id: String,
        /// initial, follow_up, final_reportable, final_non_reportable, combined_initial_final.
        #[arg(long)]
        stage: String,
        /// The stage's fields as JSON (the `fields` object of the API).
        #[arg(long, value_name = "FILE")]
        fields: PathBuf,
        /// Where to write the MIR XML.
        #[arg(long, value_name = "FILE.xml")]
        out: PathBuf,
        /// Also write the same report as EUDAMED `mir_2Type` XML here.
        #[arg(long, value_name = "FILE.xml")]
        eudamed_out: Option<PathBuf>,
    },
}

fn read_json<T: DeserializeOwned>(path: &PathBuf) -> Result<T, String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn print(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("cannot print: {e}"),
    }
}

/// Open the store and the vigilance ports, run `f`, and turn its error into an exit code.
fn with_vigilance(
    settings: &Settings,
    f: impl FnOnce(&DieselStore, &Vigilance) -> Result<(), String>,
) -> i32 {
    let store = match open_store(settings) {
        Ok(s) => std::sync::Arc::new(s),
        Err(e) => {
            eprintln!("database error: {e}");
            return 1;
        }
    };
    let v = match Vigilance::new(store.clone(), store.clone()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("holiday calendar: {e}");
            return 1;
        }
    };
    match f(&store, &v) {
        Ok(()) => 0,
        Err(m) => {
            eprintln!("error: {m}");
            2
        }
    }
}

/// One line per refused field (path and message; values are never echoed).
fn explain(e: VigilanceError) -> String {
    let details = match &e {
        VigilanceError::Invalid(d)
        | VigilanceError::PersonalData(d)
        | VigilanceError::ImdrfCode(d) => d
            .iter()
            .map(|i| format!("\n  {}: {}", i.path, i.message))
            .collect::<String>(),
        _ => String::new(),
    };
    format!("{e}{details}")
}

pub fn device(settings: &Settings, cmd: DeviceCommand) -> i32 {
    with_vigilance(settings, |store, v| match cmd {
        DeviceCommand::Software {
            basic_udi_di,
            model,
            from,
            until,
        } => {
            let sw = DeviceSoftware {
                basic_udi_di,
                model_id: model,
                from,
                until,
            };
            print(&assign_software(store, v, &actor(), sw).map_err(explain)?);
            Ok(())
        }
        DeviceCommand::Add { file } => {
            let mut value: serde_json::Value = read_json(&file)?;
            value["created_at"] = serde_json::json!(Utc::now());
            let device: Device = serde_json::from_value(value).map_err(|e| e.to_string())?;
            print(&add_device(v, &actor(), device, Utc::now()).map_err(explain)?);
            Ok(())
        }
        DeviceCommand::Edit { basic_udi_di, file } => {
            let edit: DeviceEdit = read_json(&file)?;
            print(&edit_device(v, &actor(), &basic_udi_di, edit).map_err(explain)?);
            Ok(())
        }
        DeviceCommand::Retire {
            basic_udi_di,
            retired_on,
            reason,
        } => {
            let r = Retirement { retired_on, reason };
            let d = retire_device(v, &actor(), &basic_udi_di, r, Utc::now()).map_err(explain)?;
            print(&d);
            Ok(())
        }
        DeviceCommand::List => {
            print(&v.devices.devices().map_err(|e| e.to_string())?);
            Ok(())
        }
        DeviceCommand::Show { basic_udi_di } => {
            let d = v.devices.device(&basic_udi_di).map_err(|e| e.to_string())?;
            let d = d.ok_or("no such device")?;
            let sw = v
                .devices
                .device_software(&basic_udi_di)
                .map_err(|e| e.to_string())?;
            print(&serde_json::json!({"device": d, "software": sw}));
            Ok(())
        }
    })
}

pub fn incident(settings: &Settings, cmd: IncidentCommand) -> i32 {
    with_vigilance(settings, |store, v| {
        let (now, who) = (Utc::now(), actor());
        match cmd {
            IncidentCommand::Create { file } => {
                let req: NewIncident = read_json(&file)?;
                print(&create_incident(store, v, &who, req, now).map_err(explain)?);
            }
            IncidentCommand::List { state } => {
                let q = IncidentQuery {
                    state,
                    ..IncidentQuery::default()
                };
                print(&list_incidents(v, &q, now.date_naive()).map_err(explain)?);
            }
            IncidentCommand::Show { id } => {
                print(&show_incident(v, &id, now.date_naive()).map_err(explain)?);
            }
            IncidentCommand::Classify {
                id,
                class,
                reason,
                awareness_date,
            } => {
                let req = Classification {
                    class,
                    reason,
                    awareness_date,
                };
                print(
                    &classify_incident(v, &who, &id, req, now)
                        .map_err(explain)?
                        .clock,
                );
            }
            IncidentCommand::Report {
                id,
                stage,
                fields,
                out,
                eudamed_out,
            } => {
                let stage = ReportStage::parse(&stage).ok_or("unknown --stage")?;
                let fields: StageFields = read_json(&fields)?;
                let r = add_report(store, v, &who, &id, NewReport { stage, fields }, now)
                    .map_err(explain)?;
                std::fs::write(&out, &r.xml).map_err(|e| format!("{}: {e}", out.display()))?;
                println!(
                    "report {} ({}) written to {}, sha256 {}",
                    r.seq,
                    r.stage.as_str(),
                    out.display(),
                    r.sha256
                );
                if let Some(path) = eudamed_out {
                    let (_, xml) = eudamed_report(v, &id, r.seq).map_err(explain)?;
                    std::fs::write(&path, xml).map_err(|e| format!("{}: {e}", path.display()))?;
                    println!("EUDAMED mir_2 XML written to {}", path.display());
                }
            }
        }
        Ok(())
    })
}
