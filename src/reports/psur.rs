//! The PSUR (MDR Art. 86) as MDCG 2022-21 Annex I lays it out: the ten sections in order, the
//! Annex II tables 1-8 filled from data, section 8(e) with the monitoring evidence, narrative
//! slots for what a person must write (shown as MISSING until drafted), and the comparison
//! with the previous PSUR's key figures. A group's PSUR (the device leads a group) adds the
//! per-device parts of `grouping`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::evidence::{mean_ci, monitoring_blocks};
use super::grouping;
use super::incident_tables::{table_4, table_5, table_6, table_7, table_8};
use super::input::ReportInput;
use super::model::{Block, Document, Section, Table, narrative, section, text};
use super::usage_tables::{active_sites, studies, table_1, table_2, table_3};
use crate::vigilance::device::{Device, DeviceSoftware};

/// Narrative fields of a PSUR: (field, label). Everything else in it comes from data.
pub const PSUR_NARRATIVES: &[(&str, &str)] = &[
    (
        "executive_summary",
        "Executive summary, incl. status of the previous PSUR's actions",
    ),
    (
        "benefit_risk_statement",
        "Benefit-risk statement (adversely impacted, improved or unchanged)",
    ),
    ("literature", "Literature review"),
    ("registries", "Registries"),
    ("similar_devices", "Similar devices"),
    (
        "pmcf",
        "Main PMCF findings (reference to the PMCF evaluation report)",
    ),
    (
        "conclusions",
        "Conclusions: data validity, new or emerging risks, benefit-risk conclusion, actions taken",
    ),
];

/// The section titles of MDCG 2022-21 Annex I, in order.
pub const PSUR_SECTIONS: [&str; 10] = [
    "Cover page",
    "Executive summary",
    "Description of the devices and intended use",
    "Grouping of devices",
    "Volume of sales",
    "Population using the device",
    "Vigilance and CAPA",
    "Information from other PMS and PMCF sources",
    "Specific PMCF findings",
    "Conclusions",
];

fn slot(input: &ReportInput, field: &str, bold: bool) -> Block {
    let label = PSUR_NARRATIVES
        .iter()
        .chain(super::pms::PMS_NARRATIVES)
        .find(|(f, _)| *f == field)
        .map_or(field, |(_, l)| *l);
    narrative(&input.narratives, field, label, bold)
}

/// Cover facts shared by every kind.
pub fn cover_facts(input: &ReportInput) -> Vec<(String, String)> {
    let d = &input.device;
    let m = &d.manufacturer;
    let mut rows: Vec<(String, String)> = vec![
        (
            "Manufacturer".into(),
            format!("{}, {} {}, {}", m.name, m.postcode, m.city, m.country),
        ),
        ("SRN".into(), m.srn.clone().unwrap_or_else(|| "-".into())),
        (
            "Device".into(),
            format!("{} (Basic UDI-DI {})", d.trade_name, d.basic_udi_di),
        ),
        ("MDR class".into(), d.mdr_class.as_str().into()),
        (
            "Notified body".into(),
            d.notified_body.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "Certificate".into(),
            d.certificate.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Reference".into(), input.reference.clone()),
        ("Version".into(), input.version.to_string()),
        ("Data period".into(), input.period.label()),
    ];
    if let Some(g) = &input.group {
        let members: Vec<String> = g
            .members
            .iter()
            .map(|m| format!("{} ({})", m.device.trade_name, m.device.basic_udi_di))
            .collect();
        rows.insert(
            3,
            (
                "Grouped devices".into(),
                format!(
                    "leading device {}; members: {}",
                    d.basic_udi_di,
                    members.join(", ")
                ),
            ),
        );
    }
    rows
}

/// Section 3's facts and software table.
pub fn device_blocks(input: &ReportInput) -> Vec<Block> {
    let on_market = input
        .usage
        .first()
        .is_some_and(|u| active_sites(u, "Worldwide") > 0);
    device_blocks_for(input, &input.device, &input.software, on_market, 0)
}

/// One device's facts and software table (`n` > 0: its place in a group, for the table id).
pub fn device_blocks_for(
    input: &ReportInput,
    d: &Device,
    software: &[DeviceSoftware],
    on_market: bool,
    n: usize,
) -> Vec<Block> {
    let facts = vec![
        ("Basic UDI-DI".into(), d.basic_udi_di.clone()),
        (
            "UDI-DIs".into(),
            if d.udi_dis.is_empty() {
                "-".into()
            } else {
                d.udi_dis.join(", ")
            },
        ),
        ("Trade name".into(), d.trade_name.clone()),
        ("MDR class".into(), d.mdr_class.as_str().into()),
        ("EMDN".into(), d.emdn_code.clone()),
        (
            "Software first made available".into(),
            d.first_available.to_string(),
        ),
        (
            "Market status".into(),
            if on_market {
                "on the market (studies processed in the period)".into()
            } else {
                "no study processed in the period".into()
            },
        ),
        ("Intended purpose".into(), d.intended_purpose.clone()),
    ];
    let rows = software
        .iter()
        .map(|s| {
            let new = if input.period.contains(s.from) {
                "yes"
            } else {
                "no"
            };
            vec![
                s.model_id.clone(),
                s.from.to_string(),
                s.until.map_or("-".into(), |u| u.to_string()),
                new.into(),
            ]
        })
        .collect();
    let table = Table {
        id: if n == 0 {
            "table-3a".into()
        } else {
            format!("table-3a-{n}")
        },
        title: format!("Software versions (model versions) of {}", d.basic_udi_di),
        columns: vec![
            "Model version".into(),
            "From".into(),
            "Until".into(),
            "New in period".into(),
        ],
        rows,
        note: None,
        provenance: super::usage_tables::usage_provenance(input, "device_software", &software),
    };
    vec![Block::Facts { rows: facts }, Block::Table(table)]
}

/// Key figures of this report, kept for the next one's comparison.
pub fn key_figures(input: &ReportInput) -> BTreeMap<String, f64> {
    let mut f = BTreeMap::new();
    if let Some(u) = input.usage.first() {
        f.insert("studies_eea_tr_xi".into(), studies(u, "EEA+TR+XI") as f64);
        f.insert("studies_worldwide".into(), studies(u, "Worldwide") as f64);
        f.insert(
            "active_sites_worldwide".into(),
            active_sites(u, "Worldwide") as f64,
        );
    }
    let serious = input
        .incidents
        .iter()
        .filter(|i| i.seriousness.is_some() && input.period.contains(i.awareness_date))
        .count();
    f.insert("serious_incidents_worldwide".into(), serious as f64);
    for q in input
        .quality
        .iter()
        .filter(|q| q.stratum == "all" && q.n > 0)
    {
        f.insert(
            format!("mean_dice:{}:{}", q.model_id, q.label),
            mean_ci(q).0,
        );
    }
    f
}

/// The comparison with the previous report of the same kind (or a sentence saying there is none).
pub fn comparison_blocks(input: &ReportInput, figures: &BTreeMap<String, f64>) -> Vec<Block> {
    let Some(prev) = &input.previous else {
        return vec![text(
            "No previous report of this kind is stored in Vigil for this device: no comparison.",
        )];
    };
    let rows = figures
        .iter()
        .map(|(name, now)| {
            let before = prev.figures.get(name);
            let change = before.map_or("-".into(), |b| format!("{:+.4}", now - b));
            vec![
                name.clone(),
                before.map_or("-".into(), |b| format!("{b:.4}")),
                format!("{now:.4}"),
                change,
            ]
        })
        .collect();
    let table = Table {
        id: "table-c".into(),
        title: format!("Comparison with {} version {} ({})", prev.reference, prev.version, prev.period.label()),
        columns: vec!["Figure".into(), "Previous".into(), "This period".into(), "Change".into()],
        rows,
        note: Some("Key figures as stored with the previous report; a figure of a model version that was not deployed then shows '-'.".into()),
        provenance: super::usage_tables::usage_provenance(input, "reports(previous period, key figures)", prev),
    };
    vec![Block::Table(table)]
}

fn sub(number: &str, title: &str, blocks: Vec<Block>) -> Section {
    section(number, title, blocks)
}

fn vigilance_section(input: &ReportInput) -> Section {
    let mut s = section("7", PSUR_SECTIONS[6], vec![]);
    s.subsections = vec![
        sub(
            "7(a)",
            "Serious incidents",
            vec![
                Block::Table(table_4(input)),
                Block::Table(table_5(input)),
                Block::Table(table_6(input)),
            ],
        ),
        sub(
            "7(b)",
            "Trend reports",
            vec![text(
                "Trend reports (Art. 88) are drafted by Vigil's trend evaluation and listed with their own documents; none is part of this report's data.",
            )],
        ),
        sub(
            "7(c)",
            "Field safety corrective actions",
            vec![Block::Table(table_7(input))],
        ),
        sub(
            "7(d)",
            "Corrective and preventive actions",
            vec![Block::Table(table_8(input))],
        ),
    ];
    s
}

fn other_sources_section(input: &ReportInput) -> Section {
    let mut s = section("8", PSUR_SECTIONS[7], vec![]);
    s.subsections = vec![
        sub(
            "8(a)",
            "Complaints and user feedback",
            vec![text(
                "Complaints are not recorded in Vigil. Clinician corrections of the device output (accepted, edited, rejected) are user feedback and are reported in 8(e).",
            )],
        ),
        sub("8(b)", "Literature", vec![slot(input, "literature", false)]),
        sub("8(c)", "Registries", vec![slot(input, "registries", false)]),
        sub(
            "8(d)",
            "Similar devices",
            vec![slot(input, "similar_devices", false)],
        ),
        sub(
            "8(e)",
            "Other sources: real-world performance monitoring",
            monitoring_blocks(input),
        ),
    ];
    s
}

fn devices_section(input: &ReportInput) -> Section {
    match &input.group {
        None => section("3", PSUR_SECTIONS[2], device_blocks(input)),
        Some(g) => {
            let mut s = section(
                "3",
                PSUR_SECTIONS[2],
                vec![text(format!(
                    "This PSUR covers {} devices, each described below per Basic UDI-DI.",
                    g.members.len() + 1
                ))],
            );
            s.subsections = grouping::device_subsections(input, g);
            s
        }
    }
}

fn grouping(input: &ReportInput) -> Vec<Block> {
    match &input.group {
        None => vec![text(format!(
            "This PSUR covers one Basic UDI-DI, {}, which is its own leading device; no grouping.",
            input.device.basic_udi_di
        ))],
        Some(g) => grouping::grouping_blocks(input, g),
    }
}

fn sales(input: &ReportInput) -> Vec<Block> {
    let mut blocks = vec![Block::Table(table_1(input))];
    if let Some(g) = &input.group {
        blocks.push(Block::Table(grouping::per_device_table(input, g)));
    }
    blocks
}

/// Assemble the PSUR.
pub fn assemble_psur(input: &ReportInput, generated_at: DateTime<Utc>) -> Document {
    let figures = key_figures(input);
    let mut conclusions = vec![slot(input, "conclusions", false)];
    conclusions.extend(comparison_blocks(input, &figures));
    let sections = vec![
        section(
            "1",
            PSUR_SECTIONS[0],
            vec![Block::Facts {
                rows: cover_facts(input),
            }],
        ),
        section(
            "2",
            PSUR_SECTIONS[1],
            vec![
                slot(input, "executive_summary", false),
                slot(input, "benefit_risk_statement", true),
            ],
        ),
        devices_section(input),
        section("4", PSUR_SECTIONS[3], grouping(input)),
        section("5", PSUR_SECTIONS[4], sales(input)),
        section(
            "6",
            PSUR_SECTIONS[5],
            vec![Block::Table(table_2(input)), Block::Table(table_3(input))],
        ),
        vigilance_section(input),
        other_sources_section(input),
        section("9", PSUR_SECTIONS[8], vec![slot(input, "pmcf", false)]),
        section("10", PSUR_SECTIONS[9], conclusions),
    ];
    let mut doc = Document {
        kind: input.kind,
        title: format!("Periodic Safety Update Report: {}", input.device.trade_name),
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
