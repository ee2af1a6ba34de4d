//! A PSUR for a group of devices under a leading device (MDCG 2022-21 §"General rules",
//! Annex I section 4): section 3 per Basic UDI-DI, section 4 with the leading device, the
//! members, the justification and the changes since the previous PSUR, and Table 1b, the
//! per-device breakdown of studies and serious incidents (Annex III: each dataset per Basic
//! UDI-DI). The aggregate tables cover every member's model versions.

use std::collections::BTreeMap;

use super::input::{GroupFacts, PeriodUsage, ReportInput, UsageCounts};
use super::model::{Block, Provenance, Section, Table, fingerprint, section, text};
use super::psur::device_blocks_for;
use super::usage_tables::studies;
use crate::vigilance::device::{Device, DeviceSoftware};

/// (device, its software, its usage in period N), leading device first.
fn devices<'a>(
    input: &'a ReportInput,
    g: &'a GroupFacts,
) -> Vec<(&'a Device, Vec<DeviceSoftware>, &'a UsageCounts)> {
    let own = |basic: &str| -> Vec<DeviceSoftware> {
        input
            .software
            .iter()
            .filter(|s| s.basic_udi_di == basic)
            .cloned()
            .collect()
    };
    let mut out = vec![(
        &input.device,
        own(&input.device.basic_udi_di),
        &g.leading_usage,
    )];
    for m in &g.members {
        out.push((&m.device, m.software.clone(), &m.usage));
    }
    out
}

fn provenance(input: &ReportInput, query: &str, rows: &impl serde::Serialize) -> Provenance {
    let mut filters = BTreeMap::new();
    filters.insert("leading_device".into(), input.device.basic_udi_di.clone());
    if let Some(g) = &input.group {
        let members: Vec<&str> = g
            .members
            .iter()
            .map(|m| m.device.basic_udi_di.as_str())
            .collect();
        filters.insert("members".into(), members.join(","));
    }
    Provenance {
        query: query.into(),
        period: input.period,
        filters,
        data_fingerprint: fingerprint(rows),
    }
}

/// Section 3 of a group's PSUR: one subsection per Basic UDI-DI.
pub fn device_subsections(input: &ReportInput, g: &GroupFacts) -> Vec<Section> {
    devices(input, g)
        .into_iter()
        .enumerate()
        .map(|(i, (d, software, usage))| {
            let on_market = usage.sites.iter().any(|s| s.studies > 0);
            let role = if i == 0 { "leading device" } else { "member" };
            section(
                &format!("3.{}", i + 1),
                &format!("{} ({}, {role})", d.basic_udi_di, d.trade_name),
                device_blocks_for(input, d, &software, on_market, i + 1),
            )
        })
        .collect()
}

/// Section 4 of a group's PSUR.
pub fn grouping_blocks(input: &ReportInput, g: &GroupFacts) -> Vec<Block> {
    let lead = &input.device;
    let mut blocks = vec![Block::Facts {
        rows: vec![
            (
                "Leading device".into(),
                format!("{} ({})", lead.basic_udi_di, lead.trade_name),
            ),
            (
                "Schedule".into(),
                format!(
                    "set by the leading device: class {}, certificate date {}",
                    lead.mdr_class.as_str(),
                    lead.first_available
                ),
            ),
            ("Group version".into(), g.version.to_string()),
            ("Justification".into(), g.justification.clone()),
        ],
    }];
    let rows: Vec<Vec<String>> = devices(input, g)
        .into_iter()
        .enumerate()
        .map(|(i, (d, software, _))| {
            vec![
                d.basic_udi_di.clone(),
                d.trade_name.clone(),
                if i == 0 { "leading device" } else { "member" }.into(),
                d.mdr_class.as_str().into(),
                d.emdn_code.clone(),
                software
                    .iter()
                    .map(|s| s.model_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    blocks.push(Block::Table(Table {
        id: "table-4a".into(),
        title: "Devices of the group".into(),
        columns: [
            "Basic UDI-DI",
            "Trade name",
            "Role",
            "Class",
            "EMDN",
            "Model versions",
        ]
        .map(String::from)
        .to_vec(),
        note: None,
        provenance: provenance(
            input,
            "device_group_versions, devices, device_software",
            &rows,
        ),
        rows,
    }));
    if g.changes.is_empty() {
        blocks.push(text(format!(
            "Changes since the previous PSUR (from {}): none.",
            input.period.from
        )));
    } else {
        let rows: Vec<Vec<String>> = g
            .changes
            .iter()
            .map(|c| {
                vec![
                    c.version.to_string(),
                    c.day.to_string(),
                    c.by.clone(),
                    c.change.clone(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            id: "table-4b".into(),
            title: format!("Changes of the group since {}", input.period.from),
            columns: ["Version", "Day", "By", "Change"]
                .map(String::from)
                .to_vec(),
            note: None,
            provenance: provenance(input, "device_group_versions", &rows),
            rows,
        }));
    }
    blocks
}

/// Table 1b: studies and serious incidents per Basic UDI-DI in period N.
pub fn per_device_table(input: &ReportInput, g: &GroupFacts) -> Table {
    let rows: Vec<Vec<String>> = devices(input, g)
        .into_iter()
        .map(|(d, software, usage)| {
            let u = PeriodUsage {
                period: input.period,
                usage: usage.clone(),
            };
            let serious = input
                .incidents
                .iter()
                .filter(|i| i.seriousness.is_some() && input.period.contains(i.awareness_date))
                .filter(|i| software.iter().any(|s| s.model_id == i.model_id))
                .count();
            vec![
                d.basic_udi_di.clone(),
                d.trade_name.clone(),
                studies(&u, "EEA+TR+XI").to_string(),
                studies(&u, "Worldwide").to_string(),
                // Incident counts are not suppressed (as in Tables 4-6).
                serious.to_string(),
            ]
        })
        .collect();
    Table {
        id: "table-1b".into(),
        title: "Table 1b: Studies processed and serious incidents per Basic UDI-DI".into(),
        columns: [
            "Basic UDI-DI",
            "Trade name",
            "Studies EEA+TR+XI",
            "Studies worldwide",
            "Serious incidents (worldwide)",
        ]
        .map(String::from)
        .to_vec(),
        note: Some(format!(
            "Period {}; Tables 1-8 aggregate over every device of the group.",
            input.period.label()
        )),
        provenance: provenance(input, "usage_counts per device, incidents", &rows),
        rows,
    }
}
