//! MDR post-market documents as pure data: the PSUR (Art. 86, MDCG 2022-21 Annex I with the
//! Annex II tables), the PMS report (Art. 85) and the shared document model that trend reports
//! (Art. 88) use too. Assembly reads a `ReportInput` the service gathered from aggregates and
//! small tables and returns a `Document`: sections, tables, figures and narrative slots, with
//! provenance per figure and a data fingerprint. Rendering (PDF with typst, JSON) lives in
//! `crate::rendering`; storage and jobs in `service::reports`. No I/O here.

pub mod evidence;
pub mod grouping;
pub mod incident_tables;
pub mod input;
pub mod model;
pub mod period;
pub mod pms;
pub mod psur;
pub mod trend;
pub mod usage_tables;

#[cfg(test)]
pub(crate) mod tests;

pub use input::ReportInput;
pub use model::{
    Approval, Block, Document, Figure, Period, Provenance, ReportKind, Section, Table,
};

use chrono::{DateTime, Utc};

/// Assemble a PSUR or PMS report from its input (a trend report has its own input and
/// `trend::assemble_trend`, into the same `Document` model).
pub fn assemble(input: &ReportInput, generated_at: DateTime<Utc>) -> Document {
    match input.kind {
        ReportKind::Pms => pms::assemble_pms(input, generated_at),
        _ => psur::assemble_psur(input, generated_at),
    }
}

/// The narrative fields a kind accepts: (field, label).
pub fn narrative_fields(kind: ReportKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        ReportKind::Psur => psur::PSUR_NARRATIVES,
        ReportKind::Pms => pms::PMS_NARRATIVES,
        ReportKind::Trend => TREND_NARRATIVES,
    }
}

pub use trend::TREND_NARRATIVES;
