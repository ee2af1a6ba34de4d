//! The privacy screen and k-anonymity suppression (GDPR, DESIGN.md section 6). Pure: no
//! framework, database or I/O imports. The screen refuses values and keys shaped like direct
//! identifiers (names, dates, DICOM UIDs, MRNs, e-mail, phone) before anything is stored or
//! logged; its findings name only the path and the kind, never the refused value. Suppression
//! hides small counts in every table Vigil publishes.

mod fields;
mod finding;
mod rules;
mod screen;
pub mod suppression;

#[cfg(test)]
mod screen_tests;

pub use fields::{AGE_BANDS, check_age_band, check_case_ref};
pub use finding::{PiiKind, PrivacyFinding};
pub use screen::{screen_json, screen_json_except, screen_str};
pub use suppression::{SuppressedTable, publishable_total, suppress_small_cells, suppress_table};
