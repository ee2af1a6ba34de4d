//! The PMS report of a class I device (MDR Art. 85): the simpler variant of the PSUR. A
//! summary of the PMS data (usage, population, serious incidents, CAPA, monitoring evidence)
//! and its conclusions with the rationale for any preventive and corrective action, which a
//! person writes.

use chrono::{DateTime, Utc};

use super::evidence::monitoring_blocks;
use super::incident_tables::{table_4, table_7, table_8};
use super::input::ReportInput;
use super::model::{Block, Document, narrative, section};
use super::psur::{comparison_blocks, cover_facts, device_blocks, key_figures};
use super::usage_tables::{table_1, table_2, table_3};

/// Narrative fields of a PMS report.
pub const PMS_NARRATIVES: &[(&str, &str)] = &[
    ("summary", "Summary of the PMS results"),
    ("conclusions", "Conclusions"),
    (
        "capa_rationale",
        "Rationale and description of preventive and corrective actions",
    ),
];

/// The section titles, in order.
pub const PMS_SECTIONS: [&str; 6] = [
    "Device and data period",
    "Summary of results",
    "Use of the device and population",
    "Serious incidents, FSCA and CAPA",
    "Real-world performance monitoring",
    "Conclusions and actions",
];

fn slot(input: &ReportInput, field: &str) -> Block {
    let label = PMS_NARRATIVES
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(field, |(_, l)| *l);
    narrative(&input.narratives, field, label, false)
}

/// Assemble the PMS report.
pub fn assemble_pms(input: &ReportInput, generated_at: DateTime<Utc>) -> Document {
    let figures = key_figures(input);
    let mut first = vec![Block::Facts {
        rows: cover_facts(input),
    }];
    first.extend(device_blocks(input));
    let mut last = vec![slot(input, "conclusions"), slot(input, "capa_rationale")];
    last.extend(comparison_blocks(input, &figures));
    let sections = vec![
        section("1", PMS_SECTIONS[0], first),
        section("2", PMS_SECTIONS[1], vec![slot(input, "summary")]),
        section(
            "3",
            PMS_SECTIONS[2],
            vec![
                Block::Table(table_1(input)),
                Block::Table(table_2(input)),
                Block::Table(table_3(input)),
            ],
        ),
        section(
            "4",
            PMS_SECTIONS[3],
            vec![
                Block::Table(table_4(input)),
                Block::Table(table_7(input)),
                Block::Table(table_8(input)),
            ],
        ),
        section("5", PMS_SECTIONS[4], monitoring_blocks(input)),
        section("6", PMS_SECTIONS[5], last),
    ];
    let mut doc = Document {
        kind: input.kind,
        title: format!(
            "Post-market surveillance report: {}",
            input.device.trade_name
        ),
        reference: input.reference.clone(),
        version: input.version,
        period: input.period,
        cover: cover_facts(input),
        sections,
        figures,
        data_fingerprint: String::new(),
        generated_at,
        approval: None,
    };
    doc.seal();
    doc
}
