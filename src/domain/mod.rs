//! Newtypes and entities. Constructors parse and validate, so the rest of the code holds only
//! values that already passed the checks. Pure: no framework, database or I/O imports.

pub mod audit;
pub mod audit_checkpoint;
pub mod credential;
pub mod event;
pub mod issue;
pub mod model;
pub mod review;
pub mod role;
pub mod site;
pub mod text_rule;
pub mod user;
pub mod wire_check;

pub use issue::FieldIssue;
pub use role::Role;

/// The wire spelling of a unit enum, taken from its serde name so there is one source of truth
/// for what is sent, stored and shown.
pub fn wire_name(v: &impl serde::Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
