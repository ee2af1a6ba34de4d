//! The EUDAMED `mir_2Type` writer on its own: every report stage, with every stage field filled
//! and with the least each stage needs, validates with xmllint against the EUDAMED DTX schema
//! (`tests/fixtures/eudamed/`); the namespace and data version match the schema's shipped valid
//! example; stage fields land in the elements the form names, and nothing patient-related is
//! written.

use chrono::NaiveDate;
use serde_json::json;
use vigil::vigilance::deadline::Seriousness;
use vigil::vigilance::device::Device;
use vigil::vigilance::mir2::{Mir2Input, write_mir2};
use vigil::vigilance::stage::{ReportStage, StageFields};

use crate::incidents::device;

const STAGES: [ReportStage; 5] = [
    ReportStage::Initial,
    ReportStage::FollowUp,
    ReportStage::FinalReportable,
    ReportStage::FinalNonReportable,
    ReportStage::CombinedInitialFinal,
];

fn fixture(path: &str) -> String {
    format!(
        "{}/tests/fixtures/eudamed/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Validate `xml` against the EUDAMED DTX vigilance schema with xmllint; panics with its output.
pub fn xmllint_eudamed(xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eudamed.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &fixture("v1/vigilance-elements.xsd")])
        .arg(&file)
        .output()
        .expect("xmllint installed (apt package libxml2-utils)");
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn registered() -> Device {
    let mut d = device();
    d["created_at"] = json!("2026-01-01T00:00:00Z");
    serde_json::from_value(d).unwrap()
}

fn full_fields() -> StageFields {
    serde_json::from_value(json!({
        "nca_name": "BfArM",
        "nca_report_no": "DE-2026-4711",
        "report_next_date": "2027-01-15",
        "adverse_event_from": "2026-12-01",
        "adverse_event_to": "2026-12-03",
        "device_problem_codes": ["A0908", "A25"],
        "clinical_codes": ["E0123"],
        "health_impact_codes": ["F13"],
        "investigation_type_codes": ["B12"],
        "investigation_finding_codes": ["C1010"],
        "investigation_conclusion_codes": ["D19"],
        "component_codes": ["G0101"],
        "num_patients_involved": 3,
        "preliminary_analysis": "Input intensity drift after a scanner update.",
        "initial_corrective_action": "Site asked to review volumes manually.",
        "further_investigations": "Retrospective analysis of the affected studies.",
        "root_causes": "Training data under-represented the new kernel.",
        "why_not_reportable": "Latency only.",
        "root_cause_confirmed": true,
        "risk_assessment_reviewed": true,
        "risk_assessment_adequate": false,
        "risk_assessment_results": "Risk file updated.",
        "corrective_action": "Model retrained and validated.",
        "corrective_action_schedule": "Rolled out by 2027-02-01.",
        "final_comments": "Closed after retraining.",
        "comments": "None."
    }))
    .unwrap()
}

fn least_fields() -> StageFields {
    serde_json::from_value(json!({"nca_name": "IGJ", "device_problem_codes": ["A25"]})).unwrap()
}

fn write(stage: ReportStage, fields: &StageFields, device: &Device) -> String {
    let input = Mir2Input {
        stage,
        fields,
        mfr_ref: "inc-1",
        awareness_date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        seriousness: Some(Seriousness::UnanticipatedSeriousDeterioration),
        description: "Segmentation volumes too small at one site.",
        device,
        software_version: "2.3.0",
        imdrf_release: "imdrf-aet-2023",
    };
    String::from_utf8(write_mir2(&input).unwrap()).unwrap()
}

#[test]
fn every_stage_of_the_eudamed_mir_validates_against_the_dtx_schema() {
    let device = registered();
    for stage in STAGES {
        for fields in [full_fields(), least_fields()] {
            xmllint_eudamed(&write(stage, &fields, &device));
        }
    }
}

/// The shipped valid example's `xmlns:vig` and `version` attribute are what the writer uses.
#[test]
fn eudamed_mir_uses_the_namespace_and_version_of_the_schemas_valid_example() {
    let sample = std::fs::read_to_string(fixture("v1/Dossier_Sample.xml")).unwrap();
    let ns = sample
        .split("xmlns:vig=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(sample.contains("xsi:type=\"vig:ncar_2Type\" version=\"1\""));
    let xml = write(ReportStage::Initial, &least_fields(), &registered());
    assert!(
        xml.contains(&format!("<mir_2Element xmlns=\"{ns}\" version=\"1\">")),
        "{xml}"
    );
}

#[test]
fn eudamed_mir_maps_stage_fields_and_writes_no_patient_data() {
    let xml = write(ReportStage::FinalReportable, &full_fields(), &registered());
    for expected in [
        "<reportType>FINAL_REPORTABLE</reportType>",
        "<ncaReportRef>DE-2026-4711</ncaReportRef>",
        "<startDateofIncident>2026-12-01</startDateofIncident>",
        "<endDateofIncident>2026-12-03</endDateofIncident>",
        "<mfAwarenessDate>2026-12-07</mfAwarenessDate>",
        "<eventClassification>UNANTICIPATED_SERIOUS_DETERIORATION_IN_STATE_OF_HEALTH</eventClassification>",
        "<deviceRiskClass>class IIa</deviceRiskClass>",
        "<deviceNotinEUDAMED_BUDI_Code>++EVIGILLIVERSEG01</deviceNotinEUDAMED_BUDI_Code>",
        "<deviceName>LiverSeg AI</deviceName>",
        "<deviceNomenclatureCode>Z12040192</deviceNomenclatureCode>",
        "<affectedSoftwareNo>2.3.0</affectedSoftwareNo>",
        "<natureOfIncident>Segmentation volumes too small at one site.</natureOfIncident>",
        "<imdrfCodeAnnexA ordinal=\"2\">A25</imdrfCodeAnnexA>",
        "<imdrfCodeAnnexE ordinal=\"1\">E0123</imdrfCodeAnnexE>",
        "<imdrfCodeAnnexF ordinal=\"1\">F13</imdrfCodeAnnexF>",
        "<imdrfCodeAnnexG ordinal=\"1\">G0101</imdrfCodeAnnexG>",
        "<rootCauseConfirmed>true</rootCauseConfirmed>",
        "<adequateRisk>false</adequateRisk>",
        "<causeInvestigationConclusions>Training data under-represented the new kernel.</causeInvestigationConclusions>",
    ] {
        assert!(xml.contains(expected), "{expected} missing:\n{xml}");
    }
    assert!(!xml.contains("patient"), "{xml}");
    let non_rep = write(
        ReportStage::FinalNonReportable,
        &least_fields(),
        &registered(),
    );
    assert!(!non_rep.contains("eventClassification"), "{non_rep}");
    assert!(
        !non_rep.contains("clinicalInformation"),
        "E/F need both annexes"
    );
}
