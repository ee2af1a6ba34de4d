//! The Manufacturer Incident Report as EUDAMED DTX `mir_2Type` XML (root `mir_2Element`,
//! namespace `.../Entity/Vigilance/v1`), written beside the MIR 7.2.1 file from the same
//! incident and report-stage data, with quick-xml in the element order of the XSD's sequences.
//! Pure: it takes the stored stage fields, the incident's facts and the device, returns bytes.
//!
//! As for the trend report (`mtr.rs`), the DTX schema leaves its enumerations (report type,
//! classification, legislation, risk class, issuing entity, IMDRF codes) to EUDAMED's
//! enumeration service, so `xmllint --schema` checks structure and types only; the values in
//! `ENUMERATION_VALUES`, `report_type` and `classification` are Vigil's reading of the form
//! and must be mapped to EUDAMED's codes before a machine-to-machine submission.
//!
//! What Vigil does not hold is left out, as the schema permits (every block below is
//! optional there): submitter, manufacturer and authorised-representative contacts (EUDAMED
//! fills them from the submitting actor's SRN), linked MIR/FSCA references, and the patient
//! block (age, gender, weight, height, conditions: never held, never written), device dates and
//! market distribution (enumerated months and country lists). The EMDN term's text is not
//! held: the required `deviceNomenclatureDescription_manual` carries the intended purpose, as
//! MIR 7.2.1's device description does. The similar-
//! incidents counts stay in the MIR 7.2.1 file; the EUDAMED block wants them as enumerated
//! periods Vigil cannot code without EUDAMED's lists. The Annex E/F block is written only
//! when both annexes have codes (the schema requires at least one of each).

use chrono::NaiveDate;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::deadline::Seriousness;
use super::device::Device;
use super::mtr::NAMESPACE;
use super::stage::{ReportStage, StageFields};

type W = Writer<Vec<u8>>;
type R = std::io::Result<()>;

/// The enumeration values this writer uses, by element (see the module comment).
pub const ENUMERATION_VALUES: &[(&str, &str)] = &[
    ("applicableLegislation", "MDR"),
    ("deviceIDnotInEUDAMED_BUDI_IssuingEnt", "GS1"),
];

/// Everything one EUDAMED MIR needs; the same sources as `mir::MirInput`.
pub struct Mir2Input<'a> {
    pub stage: ReportStage,
    pub fields: &'a StageFields,
    /// The manufacturer's reference (the incident id).
    pub mfr_ref: &'a str,
    pub awareness_date: NaiveDate,
    pub seriousness: Option<Seriousness>,
    pub description: &'a str,
    pub device: &'a Device,
    /// The software version the incident's model version names (MIR 2.4).
    pub software_version: &'a str,
    pub imdrf_release: &'a str,
}

/// The `reportType` value for a stage.
pub fn report_type(stage: ReportStage) -> &'static str {
    match stage {
        ReportStage::Initial => "INITIAL",
        ReportStage::FollowUp => "FOLLOW_UP",
        ReportStage::FinalReportable => "FINAL_REPORTABLE",
        ReportStage::FinalNonReportable => "FINAL_NON_REPORTABLE",
        ReportStage::CombinedInitialFinal => "INITIAL_AND_FINAL",
    }
}

/// The `eventClassification` value for a seriousness class.
pub fn classification(s: Seriousness) -> &'static str {
    match s {
        Seriousness::SeriousPublicHealthThreat => "SERIOUS_PUBLIC_HEALTH_THREAT",
        Seriousness::Death => "DEATH",
        Seriousness::UnanticipatedSeriousDeterioration => {
            "UNANTICIPATED_SERIOUS_DETERIORATION_IN_STATE_OF_HEALTH"
        }
        Seriousness::OtherReportable => "ALL_OTHER_REPORTABLE_INCIDENTS",
    }
}

fn enum_value(element: &str) -> &'static str {
    ENUMERATION_VALUES
        .iter()
        .find(|(e, _)| *e == element)
        .map_or("", |(_, v)| v)
}

fn open(w: &mut W, name: &str) -> R {
    w.write_event(Event::Start(BytesStart::new(name)))
}

fn close(w: &mut W, name: &str) -> R {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn leaf(w: &mut W, name: &str, text: &str) -> R {
    w.create_element(name)
        .write_text_content(BytesText::new(text))
        .map(|_| ())
}

fn opt(w: &mut W, name: &str, text: Option<&str>) -> R {
    match text {
        Some(t) if !t.trim().is_empty() => leaf(w, name, t),
        _ => Ok(()),
    }
}

fn opt_bool(w: &mut W, name: &str, value: Option<bool>) -> R {
    value.map_or(Ok(()), |b| leaf(w, name, if b { "true" } else { "false" }))
}

fn ordinals(w: &mut W, name: &str, codes: &[String]) -> R {
    for (i, code) in codes.iter().enumerate() {
        w.create_element(name)
            .with_attribute(("ordinal", (i + 1).to_string().as_str()))
            .write_text_content(BytesText::new(code))?;
    }
    Ok(())
}

/// The `mir_2Element` document for `input`.
pub fn write_mir2(input: &Mir2Input<'_>) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("mir_2Element");
    root.push_attribute(("xmlns", NAMESPACE));
    root.push_attribute(("version", "1"));
    w.write_event(Event::Start(root))?;
    open(&mut w, "mir_2")?;
    admin(&mut w, input)?;
    device(&mut w, input.device, input.software_version)?;
    incident(&mut w, input)?;
    analysis(&mut w, input.fields)?;
    open(&mut w, "generalComments")?;
    let comment = format!(
        "Manufacturer reference {}. IMDRF codes checked against release {}. Generated by Vigil \
         from post-market monitoring data; {}",
        input.mfr_ref,
        input.imdrf_release,
        input
            .fields
            .comments
            .as_deref()
            .unwrap_or("no further comments")
    );
    leaf(&mut w, "generalCommentsDescription", &comment)?;
    close(&mut w, "generalComments")?;
    close(&mut w, "mir_2")?;
    close(&mut w, "mir_2Element")?;
    Ok(w.into_inner())
}

fn admin(w: &mut W, i: &Mir2Input<'_>) -> R {
    let f = i.fields;
    open(w, "administrativeInformation")?;
    open(w, "adminInfoSection")?;
    leaf(w, "reportType", report_type(i.stage))?;
    opt(w, "ncaReportRef", f.nca_report_no.as_deref())?;
    close(w, "adminInfoSection")?;
    open(w, "dateOfIncidentSection")?;
    let from = f.adverse_event_from.unwrap_or(i.awareness_date);
    leaf(w, "startDateofIncident", &from.to_string())?;
    let to = f.adverse_event_to.unwrap_or(from);
    leaf(w, "endDateofIncident", &to.to_string())?;
    leaf(w, "mfAwarenessDate", &i.awareness_date.to_string())?;
    if let Some(next) = f.report_next_date {
        leaf(w, "reportNextDate", &next.to_string())?;
    }
    if let Some(s) = i.seriousness.filter(|_| i.stage.needs_classification()) {
        leaf(w, "eventClassification", classification(s))?;
    }
    close(w, "dateOfIncidentSection")?;
    close(w, "administrativeInformation")
}

fn device(w: &mut W, d: &Device, software_version: &str) -> R {
    open(w, "deviceInformationTab")?;
    open(w, "mirDeviceInformation")?;
    open(w, "deviceInformation")?;
    open(w, "deviceInformationSubHead")?;
    leaf(
        w,
        "applicableLegislation",
        enum_value("applicableLegislation"),
    )?;
    leaf(w, "deviceRiskClass", d.mdr_class.mir_value())?;
    open(w, "deviceNotinEUDAMED_BUDI")?;
    leaf(w, "deviceNotinEUDAMED_BUDI_Code", &d.basic_udi_di)?;
    let agency = enum_value("deviceIDnotInEUDAMED_BUDI_IssuingEnt");
    leaf(w, "deviceIDnotInEUDAMED_BUDI_IssuingEnt", agency)?;
    close(w, "deviceNotinEUDAMED_BUDI")?;
    leaf(w, "deviceName", &d.trade_name)?;
    leaf(w, "deviceNomenclatureCode", &d.emdn_code)?;
    leaf(
        w,
        "deviceNomenclatureDescription_manual",
        &d.intended_purpose,
    )?;
    close(w, "deviceInformationSubHead")?;
    open(w, "udiPISection")?;
    leaf(w, "affectedSoftwareNo", software_version)?;
    close(w, "udiPISection")?;
    close(w, "deviceInformation")?;
    close(w, "mirDeviceInformation")?;
    close(w, "deviceInformationTab")
}

fn incident(w: &mut W, i: &Mir2Input<'_>) -> R {
    let f = i.fields;
    open(w, "incidentInformation")?;
    open(w, "incidentInformationSection")?;
    leaf(w, "natureOfIncident", i.description)?;
    close(w, "incidentInformationSection")?;
    if !f.device_problem_codes.is_empty() {
        open(w, "medicalDeviceProblem")?;
        ordinals(w, "imdrfCodeAnnexA", &f.device_problem_codes)?;
        close(w, "medicalDeviceProblem")?;
    }
    if !f.clinical_codes.is_empty() && !f.health_impact_codes.is_empty() {
        open(w, "clinicalInformation")?;
        open(w, "imdrfAnnexEAnnexFSection")?;
        ordinals(w, "imdrfCodeAnnexE", &f.clinical_codes)?;
        ordinals(w, "imdrfCodeAnnexF", &f.health_impact_codes)?;
        close(w, "imdrfAnnexEAnnexFSection")?;
        close(w, "clinicalInformation")?;
    }
    close(w, "incidentInformation")
}

fn analysis(w: &mut W, f: &StageFields) -> R {
    open(w, "manufacturerAnalysis")?;
    let preliminary = [
        &f.preliminary_analysis,
        &f.initial_corrective_action,
        &f.further_investigations,
    ];
    if preliminary.iter().any(|t| t.is_some()) {
        open(w, "preliminaryCommentsSection")?;
        opt(
            w,
            "preliminaryConclusions",
            f.preliminary_analysis.as_deref(),
        )?;
        opt(w, "initialActions", f.initial_corrective_action.as_deref())?;
        opt(
            w,
            "furtherInvestigations",
            f.further_investigations.as_deref(),
        )?;
        close(w, "preliminaryCommentsSection")?;
    }
    conclusions(w, f)?;
    close(w, "manufacturerAnalysis")
}

fn conclusions(w: &mut W, f: &StageFields) -> R {
    open(w, "conclusionsSection")?;
    opt(w, "manufacturerConclusion", f.final_comments.as_deref())?;
    opt(
        w,
        "manufacturerNonReportableConclusion",
        f.why_not_reportable.as_deref(),
    )?;
    opt_bool(w, "rootCauseConfirmed", f.root_cause_confirmed)?;
    opt_bool(w, "riskReviewed", f.risk_assessment_reviewed)?;
    opt_bool(w, "adequateRisk", f.risk_assessment_adequate)?;
    opt(
        w,
        "assessmentResultDescription",
        f.risk_assessment_results.as_deref(),
    )?;
    let annexes = [
        ("imdrfCodeAnnexB", &f.investigation_type_codes),
        ("imdrfCodeAnnexC", &f.investigation_finding_codes),
        ("imdrfCodeAnnexD", &f.investigation_conclusion_codes),
        ("imdrfCodeAnnexG", &f.component_codes),
    ];
    if annexes.iter().any(|(_, c)| !c.is_empty()) {
        open(w, "causeInvestigationIMDRFSection")?;
        for (name, codes) in annexes {
            ordinals(w, name, codes)?;
        }
        close(w, "causeInvestigationIMDRFSection")?;
    }
    opt(w, "remedialActions", f.corrective_action.as_deref())?;
    opt(
        w,
        "implementationTimeSchedule",
        f.corrective_action_schedule.as_deref(),
    )?;
    opt(w, "causeInvestigationConclusions", f.root_causes.as_deref())?;
    close(w, "conclusionsSection")
}
