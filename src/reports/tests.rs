//! Assembly tests on a small hand-made input: section order, Tables 1-8, suppression, rates on
//! the Table 1 denominator, MISSING narratives and the comparison with a previous report.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::input::*;
use super::model::{Block, Period, ReportKind};
use super::psur::PSUR_SECTIONS;
use super::*;
use crate::vigilance::device::{Device, DeviceSoftware, Manufacturer, MdrClass};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn site(id: &str, country: &str, studies: u64) -> SiteStudies {
    SiteStudies {
        site_id: id.into(),
        country: country.into(),
        studies,
    }
}

/// A PSUR input: two EEA sites, one US site, one CH site; one serious incident in DE.
pub(crate) fn sample_input() -> ReportInput {
    let device = Device {
        basic_udi_di: "4260123456LIVERSEG".into(),
        udi_dis: vec!["04260123456789".into()],
        trade_name: "LiverSeg".into(),
        mdr_class: MdrClass::IIb,
        emdn_code: "Z12040192".into(),
        intended_purpose: "Liver segmentation on CT".into(),
        notified_body: Some("0123".into()),
        certificate: Some("CERT-1".into()),
        first_available: d("2025-01-01"),
        manufacturer: Manufacturer {
            name: "Vigil Demo GmbH".into(),
            city: "Berlin".into(),
            postcode: "10115".into(),
            country: "DE".into(),
            ..Manufacturer::default()
        },
        created_at: "2025-01-01T00:00:00Z".parse().unwrap(),
        retired_on: None,
        retire_reason: None,
    };
    let period = Period {
        from: d("2025-01-01"),
        to: d("2025-12-31"),
    };
    let usage = UsageCounts {
        sites: vec![
            site("a", "DE", 900),
            site("b", "FR", 3),
            site("c", "US", 400),
            site("d", "CH", 50),
        ],
        demographics: vec![
            ("age_band".into(), "60-69".into(), 950),
            ("age_band".into(), "70-79".into(), 403),
            ("sex".into(), "F".into(), 502),
            ("sex".into(), "M".into(), 849),
            ("sex".into(), "unknown".into(), 2),
        ],
        output_status: vec![("ok".into(), 1350), ("failed".into(), 3)],
    };
    let incident = IncidentFacts {
        id: "inc-1".into(),
        model_id: "liver-seg@2.3.0".into(),
        awareness_date: d("2025-06-01"),
        countries: vec!["DE".into()],
        seriousness: Some("other_reportable".into()),
        device_problems: vec![(
            "A0908".into(),
            "Incorrect, Inadequate or Imprecise Result or Readings".into(),
        )],
        findings: vec![(
            "C1010".into(),
            "Artificial Intelligence Training/Validation Problem Identified".into(),
        )],
        conclusions: vec![(
            "D19".into(),
            "Cause Traced to Artificial Intelligence Training/Validation Process".into(),
        )],
        health_impacts: vec![("F04".into(), "Delay to Diagnosis".into())],
        stage: Some("final_reportable".into()),
        report_date: Some(d("2025-07-01")),
        root_causes: Some("Under-represented contrast phase".into()),
        corrective_action: Some("Retrained on venous phase".into()),
        corrective_action_schedule: None,
        risk_assessment_adequate: Some(true),
    };
    ReportInput {
        kind: ReportKind::Psur,
        software: vec![DeviceSoftware {
            basic_udi_di: device.basic_udi_di.clone(),
            model_id: "liver-seg@2.3.0".into(),
            from: d("2025-01-01"),
            until: None,
        }],
        device,
        period,
        reference: "PSUR-4260123456LIVERSEG".into(),
        version: 1,
        min_cell_k: 5,
        usage: vec![PeriodUsage { period, usage }],
        incidents: vec![incident],
        quality: vec![QualitySums {
            model_id: "liver-seg@2.3.0".into(),
            label: "liver".into(),
            stratum: "all".into(),
            n: 5,
            sum: 4.56,
            sum_sq: 4.1614,
        }],
        charts: vec![ChartSeries {
            model_id: "liver-seg@2.3.0".into(),
            label: "liver".into(),
            points: vec![(d("2025-02-01"), 0.93), (d("2025-03-01"), 0.91)],
            limit: Some(0.85),
        }],
        findings: vec![],
        alerts: vec![],
        shadow_runs: vec![],
        retraining: vec![],
        narratives: BTreeMap::from([("executive_summary".to_string(), "All fine.".to_string())]),
        previous: None,
        group: None,
    }
}

fn table<'a>(doc: &'a Document, id: &str) -> &'a Table {
    doc.tables().into_iter().find(|t| t.id == id).unwrap()
}

#[test]
fn psur_has_the_ten_annex_i_sections_in_order_and_tables_1_to_8() {
    let doc = assemble(&sample_input(), "2026-01-10T00:00:00Z".parse().unwrap());
    let titles: Vec<&str> = doc.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, PSUR_SECTIONS.to_vec());
    for n in 1..=8 {
        let t = table(&doc, &format!("table-{n}"));
        assert!(t.title.starts_with(&format!("Table {n}:")), "{}", t.title);
        assert!(!t.provenance.data_fingerprint.is_empty());
    }
    assert!(doc.all_sections().iter().any(|s| s.number == "8(e)"));
}

#[test]
fn table_1_splits_eea_tr_xi_from_worldwide_and_suppresses_small_counts() {
    let doc = assemble(&sample_input(), "2026-01-10T00:00:00Z".parse().unwrap());
    let t1 = table(&doc, "table-1");
    // EEA+TR+XI: DE 900 + FR 3 (CH is not in the region); worldwide adds US and CH.
    assert_eq!(t1.rows[0][2], "903");
    assert_eq!(t1.rows[1][2], "1353");
    assert_eq!(t1.rows[2][2], "2");
    assert_eq!(t1.rows[3][2], "4");
    let t3 = table(&doc, "table-3");
    // Sex unknown = 2 < k = 5: hidden, and the smallest other sex too (complementary), so the
    // published total cannot give it away.
    let sex: Vec<&Vec<String>> = t3.rows.iter().filter(|r| r[0] == "Sex").collect();
    assert_eq!(sex[2][2], "< 5");
    assert_eq!(sex[0][2], "suppressed");
    assert_eq!(sex[1][2], "849");
    assert_eq!(sex[3][2], "1353");
    let e2 = table(&doc, "table-e2");
    assert!(e2.rows.iter().any(|r| r[1] == "< 5"));
}

#[test]
fn incident_rates_use_the_table_1_denominator() {
    let doc = assemble(&sample_input(), "2026-01-10T00:00:00Z".parse().unwrap());
    let t4 = table(&doc, "table-4");
    assert_eq!(t4.rows[0][0], "A0908");
    // 1 incident / 903 EEA studies * 10,000 = 11.07; worldwide 1 / 1353 = 7.39.
    assert_eq!(&t4.rows[0][2..6], ["1", "11.07", "1", "7.39"]);
    let t8 = table(&doc, "table-8");
    assert_eq!(t8.rows[0][3], "closed");
}

#[test]
fn missing_narratives_are_marked_never_invented() {
    let doc = assemble(&sample_input(), "2026-01-10T00:00:00Z".parse().unwrap());
    let missing = doc.missing_narratives();
    assert!(missing.contains(&"benefit_risk_statement".to_string()));
    assert!(missing.contains(&"pmcf".to_string()));
    assert!(!missing.contains(&"executive_summary".to_string()));
    let bold = doc.all_sections().into_iter().flat_map(|s| s.blocks.iter()).any(|b| {
        matches!(b, Block::Narrative { field, bold: true, .. } if field == "benefit_risk_statement")
    });
    assert!(bold);
}

#[test]
fn previous_figures_are_compared() {
    let mut input = sample_input();
    input.previous = Some(PreviousReport {
        reference: input.reference.clone(),
        version: 1,
        period: Period {
            from: d("2024-01-01"),
            to: d("2024-12-31"),
        },
        figures: BTreeMap::from([("studies_worldwide".to_string(), 1000.0)]),
    });
    let doc = assemble(&input, "2026-01-10T00:00:00Z".parse().unwrap());
    let c = table(&doc, "table-c");
    let row = c.rows.iter().find(|r| r[0] == "studies_worldwide").unwrap();
    assert_eq!(row[3], "+353.0000");
}

#[test]
fn pms_report_is_the_simpler_variant() {
    let mut input = sample_input();
    input.kind = ReportKind::Pms;
    let doc = assemble(&input, "2026-01-10T00:00:00Z".parse().unwrap());
    assert_eq!(doc.sections.len(), 6);
    assert!(doc.missing_narratives().contains(&"summary".to_string()));
    assert!(doc.tables().iter().any(|t| t.id == "table-1"));
}
