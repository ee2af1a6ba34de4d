//! Report stages and their order: Initial -> Follow-up (any number) -> Final (reportable) or
//! Final (non-reportable); or one Combined initial and final. A final or combined report closes
//! the sequence. Also what a person must supply at each stage: the fields the MIR 7.2.1 XSD of
//! that report type requires (checked here first so the refusal names the API field, not an
//! XML element), with the XSD's length caps.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::imdrf::{Annex, CodeList};
use crate::domain::FieldIssue;

/// A stage of the report sequence; one MIR XSD each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStage {
    Initial,
    FollowUp,
    FinalReportable,
    FinalNonReportable,
    CombinedInitialFinal,
}

impl ReportStage {
    /// The MIR `reportType` value.
    pub fn mir_value(self) -> &'static str {
        match self {
            ReportStage::Initial => "Initial",
            ReportStage::FollowUp => "Follow up",
            ReportStage::FinalReportable => "Final (Reportable incident)",
            ReportStage::FinalNonReportable => "Final (Non-reportable incident)",
            ReportStage::CombinedInitialFinal => "Combined initial and final",
        }
    }

    /// The XSD that validates this stage: `incident-<name>-v7.2.1.xsd`.
    pub fn xsd_name(self) -> &'static str {
        match self {
            ReportStage::Initial => "Initial",
            ReportStage::FollowUp => "Followup",
            ReportStage::FinalReportable => "FinalRep",
            ReportStage::FinalNonReportable => "FinalNonRep",
            ReportStage::CombinedInitialFinal => "InitialFinal",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStage::Initial => "initial",
            ReportStage::FollowUp => "follow_up",
            ReportStage::FinalReportable => "final_reportable",
            ReportStage::FinalNonReportable => "final_non_reportable",
            ReportStage::CombinedInitialFinal => "combined_initial_final",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    /// Whether this stage opens the sequence (its submission meets the Art. 87 clock).
    pub fn is_first(self) -> bool {
        matches!(
            self,
            ReportStage::Initial | ReportStage::CombinedInitialFinal
        )
    }

    fn is_final(self) -> bool {
        !matches!(self, ReportStage::Initial | ReportStage::FollowUp)
    }

    /// Whether the report states a reportable incident (needs a seriousness class).
    pub fn needs_classification(self) -> bool {
        self != ReportStage::FinalNonReportable
    }
}

/// Why `next` may not follow `previous` (in order), or `None` if it may.
pub fn sequence_error(previous: &[ReportStage], next: ReportStage) -> Option<String> {
    match previous.last() {
        None if next.is_first() => None,
        None => Some(format!(
            "a {} report needs an initial report first",
            next.as_str()
        )),
        Some(last) if last.is_final() => Some(format!(
            "the sequence was closed by a {} report",
            last.as_str()
        )),
        Some(_) if next.is_first() => Some(format!(
            "an initial report exists; a {} report cannot follow it",
            next.as_str()
        )),
        Some(_) => None,
    }
}

/// MIR 7.2.1 XSD caps of the stage fields that have one: `ncaName` is `string200T`,
/// `ncaReportNo` `string50T`, `riskAssResults` `string4000T`. The other narrative fields are
/// unbounded `stringT` there (and `xs:string` in EUDAMED's `mir_2Type`), so they take the
/// general free-text cap (`domain::text_rule::FREE_TEXT_MAX_CHARS`).
pub const NCA_NAME_MAX_CHARS: usize = 200;
pub const NCA_REPORT_NO_MAX_CHARS: usize = 50;
pub const RISK_ASSESSMENT_RESULTS_MAX_CHARS: usize = 4000;

/// What a person supplies for one report stage (the MIR fields Vigil cannot derive).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StageFields {
    /// 1.1 receiving national competent authority, e.g. `BfArM`.
    pub nca_name: String,
    /// 1.1 the authority's reference, required from the follow-up on ("Unknown" allowed).
    pub nca_report_no: Option<String>,
    /// 1.2 expected date of the next report (initial and follow-up).
    pub report_next_date: Option<NaiveDate>,
    /// 1.2 when the adverse event happened (a range if unknown); default the awareness date.
    pub adverse_event_from: Option<NaiveDate>,
    pub adverse_event_to: Option<NaiveDate>,
    /// 3.2 IMDRF Annex A device problem codes, 1-6.
    pub device_problem_codes: Vec<String>,
    /// 3.3 Annex E clinical signs and Annex F health impact, 0-6 each.
    pub clinical_codes: Vec<String>,
    pub health_impact_codes: Vec<String>,
    /// 4.2 Annex B (0-8), C (0-6), D (0-6) and G (0-6) codes.
    pub investigation_type_codes: Vec<String>,
    pub investigation_finding_codes: Vec<String>,
    pub investigation_conclusion_codes: Vec<String>,
    pub component_codes: Vec<String>,
    /// 3.1 number of patients involved, if known.
    pub num_patients_involved: Option<u32>,
    /// 4.1 preliminary analysis (initial, follow-up).
    pub preliminary_analysis: Option<String>,
    pub initial_corrective_action: Option<String>,
    pub further_investigations: Option<String>,
    /// 4.2 investigation and conclusion (final reports).
    pub root_causes: Option<String>,
    pub why_not_reportable: Option<String>,
    pub root_cause_confirmed: Option<bool>,
    pub risk_assessment_reviewed: Option<bool>,
    pub risk_assessment_adequate: Option<bool>,
    pub risk_assessment_results: Option<String>,
    pub corrective_action: Option<String>,
    pub corrective_action_schedule: Option<String>,
    pub final_comments: Option<String>,
    /// 5 general comments.
    pub comments: Option<String>,
}

impl StageFields {
    /// The free-text fields with their API names (for the privacy screen). The authority's
    /// report number is a reference the authority issued, not text a person wrote; the screen's
    /// phone-number rule would refuse ordinary references like `DE-2026-4711`.
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("nca_name", Some(self.nca_name.as_str())),
            ("preliminary_analysis", self.preliminary_analysis.as_deref()),
            (
                "initial_corrective_action",
                self.initial_corrective_action.as_deref(),
            ),
            (
                "further_investigations",
                self.further_investigations.as_deref(),
            ),
            ("root_causes", self.root_causes.as_deref()),
            ("why_not_reportable", self.why_not_reportable.as_deref()),
            (
                "risk_assessment_results",
                self.risk_assessment_results.as_deref(),
            ),
            ("corrective_action", self.corrective_action.as_deref()),
            (
                "corrective_action_schedule",
                self.corrective_action_schedule.as_deref(),
            ),
            ("final_comments", self.final_comments.as_deref()),
            ("comments", self.comments.as_deref()),
        ];
        all.into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }
}

fn issue(path: &str, code: &str, message: String) -> FieldIssue {
    FieldIssue {
        index: None,
        path: path.to_string(),
        code: code.to_string(),
        message,
    }
}

/// Every missing or over-long field for `stage`, in field order; empty when complete.
pub fn missing_fields(stage: ReportStage, f: &StageFields) -> Vec<FieldIssue> {
    use ReportStage::*;
    let text = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let open = matches!(stage, Initial | FollowUp);
    let fin = matches!(stage, FinalReportable | CombinedInitialFinal);
    let first = matches!(stage, Initial | CombinedInitialFinal);
    let checks = [
        (!f.nca_name.trim().is_empty(), "nca_name"),
        (first || text(&f.nca_report_no), "nca_report_no"),
        (!open || f.report_next_date.is_some(), "report_next_date"),
        (!f.device_problem_codes.is_empty(), "device_problem_codes"),
        (
            !open || text(&f.preliminary_analysis),
            "preliminary_analysis",
        ),
        (
            stage != FollowUp || text(&f.initial_corrective_action),
            "initial_corrective_action",
        ),
        (
            stage != FollowUp || text(&f.further_investigations),
            "further_investigations",
        ),
        (!fin || text(&f.root_causes), "root_causes"),
        (
            stage != FinalNonReportable || text(&f.why_not_reportable),
            "why_not_reportable",
        ),
        (
            !fin || f.root_cause_confirmed.is_some(),
            "root_cause_confirmed",
        ),
        (
            !fin || f.risk_assessment_reviewed.is_some(),
            "risk_assessment_reviewed",
        ),
        (
            !fin || !f.investigation_type_codes.is_empty(),
            "investigation_type_codes",
        ),
        (
            !fin || !f.investigation_finding_codes.is_empty(),
            "investigation_finding_codes",
        ),
        (
            !fin || !f.investigation_conclusion_codes.is_empty(),
            "investigation_conclusion_codes",
        ),
        (!fin || text(&f.corrective_action), "corrective_action"),
    ];
    let mut out: Vec<FieldIssue> = checks
        .into_iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, path)| {
            let message = format!("{path} is required for a {} report", stage.as_str());
            issue(path, "required", message)
        })
        .collect();
    out.extend(length_issues(f));
    out
}

fn length_issues(f: &StageFields) -> Vec<FieldIssue> {
    let caps = [
        ("nca_name", Some(f.nca_name.as_str()), NCA_NAME_MAX_CHARS),
        (
            "nca_report_no",
            f.nca_report_no.as_deref(),
            NCA_REPORT_NO_MAX_CHARS,
        ),
        (
            "risk_assessment_results",
            f.risk_assessment_results.as_deref(),
            RISK_ASSESSMENT_RESULTS_MAX_CHARS,
        ),
    ];
    let mut out: Vec<FieldIssue> = caps
        .into_iter()
        .filter(|(_, v, cap)| v.is_some_and(|v| v.chars().count() > *cap))
        .map(|(p, _, cap)| {
            issue(
                p,
                "too_long",
                format!("{p} must be at most {cap} characters"),
            )
        })
        .collect();
    let counts = [
        ("device_problem_codes", f.device_problem_codes.len(), 6),
        ("clinical_codes", f.clinical_codes.len(), 6),
        ("health_impact_codes", f.health_impact_codes.len(), 6),
        (
            "investigation_type_codes",
            f.investigation_type_codes.len(),
            8,
        ),
        (
            "investigation_finding_codes",
            f.investigation_finding_codes.len(),
            6,
        ),
        (
            "investigation_conclusion_codes",
            f.investigation_conclusion_codes.len(),
            6,
        ),
        ("component_codes", f.component_codes.len(), 6),
    ];
    out.extend(
        counts
            .into_iter()
            .filter(|(_, n, cap)| n > cap)
            .map(|(p, _, cap)| issue(p, "too_many", format!("{p} takes at most {cap} codes"))),
    );
    out
}

/// Every code that is unknown, in the wrong annex, retired or not selectable in `list`.
pub fn code_issues(list: &CodeList, f: &StageFields) -> Vec<FieldIssue> {
    let groups: [(&str, Annex, &Vec<String>); 7] = [
        ("device_problem_codes", Annex::A, &f.device_problem_codes),
        ("clinical_codes", Annex::E, &f.clinical_codes),
        ("health_impact_codes", Annex::F, &f.health_impact_codes),
        (
            "investigation_type_codes",
            Annex::B,
            &f.investigation_type_codes,
        ),
        (
            "investigation_finding_codes",
            Annex::C,
            &f.investigation_finding_codes,
        ),
        (
            "investigation_conclusion_codes",
            Annex::D,
            &f.investigation_conclusion_codes,
        ),
        ("component_codes", Annex::G, &f.component_codes),
    ];
    let mut out = Vec::new();
    for (path, annex, codes) in groups {
        for (i, code) in codes.iter().enumerate() {
            if let Err(e) = list.check(annex, code) {
                // The code is a public IMDRF code, not personal data: naming it helps.
                out.push(issue(
                    &format!("{path}[{i}]"),
                    "invalid_imdrf_code",
                    e.to_string(),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ReportStage::*;
    use super::*;

    #[test]
    fn the_sequence_opens_with_initial_or_combined_and_closes_with_a_final() {
        assert_eq!(sequence_error(&[], Initial), None);
        assert_eq!(sequence_error(&[], CombinedInitialFinal), None);
        assert!(sequence_error(&[], FinalReportable).is_some());
        assert!(sequence_error(&[], FollowUp).is_some());
        assert_eq!(sequence_error(&[Initial], FollowUp), None);
        assert_eq!(sequence_error(&[Initial, FollowUp], FollowUp), None);
        assert_eq!(
            sequence_error(&[Initial, FollowUp], FinalNonReportable),
            None
        );
        assert!(sequence_error(&[Initial], Initial).is_some());
        assert!(sequence_error(&[Initial, FinalReportable], FollowUp).is_some());
        assert!(sequence_error(&[CombinedInitialFinal], FollowUp).is_some());
    }

    #[test]
    fn each_stage_names_what_its_xsd_requires() {
        let paths = |s, f: &StageFields| -> Vec<String> {
            missing_fields(s, f).into_iter().map(|i| i.path).collect()
        };
        let empty = StageFields::default();
        assert_eq!(
            paths(Initial, &empty),
            [
                "nca_name",
                "report_next_date",
                "device_problem_codes",
                "preliminary_analysis"
            ]
        );
        assert_eq!(
            paths(FinalNonReportable, &empty),
            [
                "nca_name",
                "nca_report_no",
                "device_problem_codes",
                "why_not_reportable"
            ]
        );
        assert!(paths(FinalReportable, &empty).contains(&"investigation_conclusion_codes".into()));
        assert!(!paths(CombinedInitialFinal, &empty).contains(&"nca_report_no".into()));
    }
}
