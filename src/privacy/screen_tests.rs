//! Both directions of the privacy screen as tables: values that must be refused (with the kind
//! they must be reported as) and values sites legitimately send that must pass. Property tests
//! check that the screen never panics and that a finding never carries the refused value.

use super::rules::classify_key;
use super::*;
use proptest::prelude::*;
use serde_json::json;

const MUST_REFUSE: &[(&str, PiiKind)] = &[
    (
        "1.2.840.113619.2.55.3.604688119.868.1234567890.1",
        PiiKind::DicomUid,
    ),
    ("1.3.12.2.1107.5.1.4.73512", PiiKind::DicomUid),
    ("1.2.840.10008", PiiKind::DicomUid),
    (
        "2.25.329800735698586629295641978511506172918",
        PiiKind::DicomUid,
    ),
    ("study 1.2.276.0.7230010.3.1.4", PiiKind::DicomUid),
    ("1984-03-12", PiiKind::Date),
    ("12.03.1984", PiiKind::Date),
    ("03/12/1984", PiiKind::Date),
    ("31-12-1999", PiiKind::Date),
    ("19840312", PiiKind::Date),
    ("20240501123000", PiiKind::Date),
    ("1984-03-12T10:22:00Z", PiiKind::Date),
    ("2024-05-01T12:00:00+02:00", PiiKind::Date),
    ("born 1984/3/12", PiiKind::Date),
    ("12 March 1984", PiiKind::Date),
    ("12-MAR-1984", PiiKind::Date),
    ("May 3, 1984", PiiKind::Date),
    ("john.doe@example.org", PiiKind::Email),
    ("contact: j.müller@klinik-nord.de", PiiKind::Email),
    ("+49 30 1234567", PiiKind::Phone),
    ("+1 (555) 010-0199", PiiKind::Phone),
    ("(030) 123-4567", PiiKind::Phone),
    ("030 1234 567", PiiKind::Phone),
    ("555-123-4567", PiiKind::Phone),
    ("DOE^JOHN", PiiKind::PersonName),
    ("MÜLLER^HANS^^DR", PiiKind::PersonName),
    ("DOE^", PiiKind::PersonName),
    ("Dr. Smith", PiiKind::PersonName),
    ("Mr John Doe", PiiKind::PersonName),
    ("reviewed by Prof. Meier", PiiKind::PersonName),
    ("Frau Schmidt", PiiKind::PersonName),
    ("123456", PiiKind::Mrn),
    ("0012345678", PiiKind::Mrn),
    ("MRN12345", PiiKind::Mrn),
    ("ACC0012345", PiiKind::Mrn),
    ("P-12345", PiiKind::Mrn),
    ("MRN: 4711", PiiKind::Mrn),
    ("accession 0815", PiiKind::Mrn),
    ("case 12345678901", PiiKind::Mrn),
];

const MUST_ACCEPT: &[&str] = &[
    "SIEMENS",
    "SOMATOM Force",
    "Ingenia 3.0T",
    "Discovery CT750 HD",
    "uCT 760",
    "Aquilion ONE",
    "GE MEDICAL SYSTEMS",
    "Philips Medical Systems",
    "MAGNETOM Vida 3T",
    "Revolution Apex",
    "liver-seg",
    "lung-nodule-det",
    "2.3.0",
    "10.4.1-rc.2",
    "1.0.0+build.42",
    "0.9.12",
    "hu_mean",
    "vol_ml_liver",
    "p95_intensity",
    "snr_db",
    "intensity^2",
    "liver",
    "tumor_1",
    "CT",
    "MR",
    "ok",
    "edited",
    "rejected",
    "3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f",
    "3F2B8C1E-1234-5678-9012-123456789012",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "DE",
    "site-berlin-01",
    "60-69",
    "90+",
    "0.731",
    "512x512x128",
    "",
    "MS lesion load",
    "ACUSON S2000",
    "Biograph Vision 600",
    "resnet50",
    "v2.3.0",
    "Mr. MR",
];

#[test]
fn refuses_identifier_shaped_values() {
    for &(value, kind) in MUST_REFUSE {
        assert_eq!(
            screen_str("v", value),
            Err(PrivacyFinding::new("v", kind)),
            "value {value:?}"
        );
    }
}

#[test]
fn accepts_values_sites_legitimately_send() {
    for &value in MUST_ACCEPT {
        assert_eq!(screen_str("v", value), Ok(()), "value {value:?}");
        assert_eq!(classify_key(value), None, "key {value:?}");
    }
}

#[test]
fn refuses_identifier_keys() {
    for key in [
        "PatientName",
        "patient_name",
        "birth-date",
        "DOB",
        "AccessionNumber",
        "StudyInstanceUID",
    ] {
        assert_eq!(
            classify_key(key),
            Some(PiiKind::IdentifierField),
            "key {key:?}"
        );
    }
    for key in ["name", "model", "version", "scanner", "features", "labels"] {
        assert_eq!(classify_key(key), None, "key {key:?}");
    }
}

#[test]
fn realistic_batch_passes_with_timestamp_fields_skipped() {
    let batch = json!({"events": [{
        "event_id": "3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f",
        "case_ref": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "occurred_at": "2024-05-01T12:00:00Z",
        "model": {"name": "liver-seg", "version": "10.4.1-rc.2"},
        "scanner": {"manufacturer": "SIEMENS", "model": "SOMATOM Force", "modality": "CT"},
        "age_band": "60-69",
        "features": {"hu_mean": 54.2, "vol_ml_liver": 1530.0, "p95_intensity": 180.0},
        "labels": {"liver": 0.97, "tumor_1": 0.81},
        "review": {"outcome": "edited", "reviewed_at": "2024-05-02T08:00:00Z"}
    }]});
    let skip = ["events[*].occurred_at", "events[*].review.reviewed_at"];
    assert_eq!(screen_json_except(&batch, "", &skip), vec![]);
    assert_eq!(
        screen_json(&batch, "").len(),
        2,
        "timestamps are dates when not skipped"
    );
}

/// Values whose shape must be refused; used as seeds embedded in random text.
const SEEDS: &[&str] = &[
    "DOE^JOHN",
    "1.2.840.113619.2.55.3",
    "1984-03-12",
    "MRN12345",
    "a.b@example.com",
];

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = screen_str("v", &s);
        let _ = screen_json(&json!({ s.clone(): [s.clone()] }), "");
    }

    #[test]
    fn finding_never_contains_the_value(
        pre in "[a-z ]{0,6}", post in "[ a-z]{0,6}", seed in prop::sample::select(SEEDS),
    ) {
        let value = format!("{pre}{seed}{post}");
        let finding = screen_str("events[0].x", &value).expect_err("seed must be refused");
        prop_assert!(!finding.to_string().contains(seed));
        let debug = format!("{:?}", finding);
        prop_assert!(!debug.contains(seed));
        let found = screen_json(&json!({ value.clone(): value.clone() }), "");
        prop_assert_eq!(found.len(), 2, "key and value are both refused");
        for f in found {
            prop_assert!(!f.to_string().contains(seed));
            prop_assert!(!serde_json::to_string(&f).unwrap_or_default().contains(seed));
        }
    }
}

/// The module must stay pure (DESIGN.md section 3): no framework, database or I/O crates.
#[test]
fn tidy_no_forbidden_imports() {
    let sources = [
        include_str!("mod.rs"),
        include_str!("finding.rs"),
        include_str!("rules.rs"),
        include_str!("screen.rs"),
        include_str!("fields.rs"),
        include_str!("suppression.rs"),
    ];
    for source in sources {
        for crate_name in [
            "actix", "diesel", "tokio", "lettre", "ort", "reqwest", "std::fs", "std::net",
        ] {
            let needle = format!("use {crate_name}");
            assert!(!source.contains(&needle), "forbidden import {needle}");
        }
    }
}
