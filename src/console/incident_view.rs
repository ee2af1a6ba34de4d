//! What the incident pages show beside the stored case: the deadline clock in words (state,
//! due date, days left or overdue), the report stages a person may add next (from the same
//! sequence rule the service enforces), and the stages' and classes' labels.

use crate::vigilance::deadline::{ClockState, ClockView, Seriousness};
use crate::vigilance::stage::{ReportStage, sequence_error};

/// Every report stage in the order a person meets them.
pub const STAGES: [ReportStage; 5] = [
    ReportStage::Initial,
    ReportStage::CombinedInitialFinal,
    ReportStage::FollowUp,
    ReportStage::FinalReportable,
    ReportStage::FinalNonReportable,
];

/// The classes a quality manager may choose, with their labels (the API's `class` values).
pub const CLASSES: [(&str, &str); 5] = [
    (
        "serious_public_health_threat",
        "Serious public health threat (2 days)",
    ),
    ("death", "Death (10 days)"),
    (
        "unanticipated_serious_deterioration",
        "Unanticipated serious deterioration (10 days)",
    ),
    (
        "other_reportable",
        "Other reportable serious incident (15 days)",
    ),
    ("not_reportable", "Not reportable (stops the clock)"),
];

/// A stage as a person reads it.
pub fn stage_label(s: ReportStage) -> &'static str {
    match s {
        ReportStage::Initial => "Initial",
        ReportStage::FollowUp => "Follow-up",
        ReportStage::FinalReportable => "Final (reportable)",
        ReportStage::FinalNonReportable => "Final (not reportable)",
        ReportStage::CombinedInitialFinal => "Combined initial and final",
    }
}

/// A seriousness class as a person reads it.
pub fn class_label(s: Option<Seriousness>) -> &'static str {
    match s {
        None => "not classified",
        Some(Seriousness::SeriousPublicHealthThreat) => "serious public health threat",
        Some(Seriousness::Death) => "death",
        Some(Seriousness::UnanticipatedSeriousDeterioration) => {
            "unanticipated serious deterioration"
        }
        Some(Seriousness::OtherReportable) => "other reportable",
    }
}

/// The clock in words: a badge kind (for colour, never the only cue), the state's label and
/// one sentence with the due date and the days left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockText {
    pub badge: &'static str,
    pub state: &'static str,
    pub sentence: String,
}

fn days(n: i64) -> String {
    if n.abs() == 1 {
        format!("{n} day")
    } else {
        format!("{n} days")
    }
}

/// Describe a clock for the list and the incident page.
pub fn clock_text(c: &ClockView) -> ClockText {
    let due = c.due.map(|d| d.to_string()).unwrap_or_default();
    let (badge, state, sentence) = match c.state {
        ClockState::AwaitingClassification => (
            "medium",
            "awaiting classification",
            "No legal due date until a quality manager classifies the incident.".to_string(),
        ),
        ClockState::Due => {
            let left = c.days_left.unwrap_or(0);
            let when = match left {
                0 => "today".to_string(),
                n => format!("in {}", days(n)),
            };
            ("medium", "due", format!("Due {due}: {when}."))
        }
        ClockState::Overdue => {
            let late = -c.days_left.unwrap_or(0);
            let sentence = format!("Was due {due}: overdue by {}.", days(late));
            ("high", "overdue", sentence)
        }
        ClockState::Reported => {
            let on = c.reported_on.map(|d| d.to_string()).unwrap_or_default();
            let sentence = match c.due {
                Some(_) => format!("Initial report submitted {on}; it was due {due}."),
                None => format!("Initial report submitted {on}."),
            };
            ("ok", "reported", sentence)
        }
        ClockState::NotReportable => (
            "ok",
            "not reportable",
            "Assessed as not reportable; re-assess if new information arrives.".to_string(),
        ),
    };
    ClockText {
        badge,
        state,
        sentence,
    }
}

/// The stages that may follow `previous` (the service checks the same rule again).
pub fn next_stages(previous: &[ReportStage]) -> Vec<ReportStage> {
    STAGES
        .into_iter()
        .filter(|s| sequence_error(previous, *s).is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn clock(state: ClockState, days_left: Option<i64>) -> ClockView {
        ClockView {
            state,
            awareness_date: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            seriousness: Some(Seriousness::OtherReportable),
            due: NaiveDate::from_ymd_opt(2026, 12, 30),
            days_left,
            overdue: state == ClockState::Overdue,
            reported_on: NaiveDate::from_ymd_opt(2026, 12, 20),
        }
    }

    #[test]
    fn clocks_read_as_sentences_with_due_date_and_days() {
        let due = clock_text(&clock(ClockState::Due, Some(3)));
        assert_eq!(
            (due.state, due.sentence.as_str()),
            ("due", "Due 2026-12-30: in 3 days.")
        );
        let today = clock_text(&clock(ClockState::Due, Some(0)));
        assert_eq!(today.sentence, "Due 2026-12-30: today.");
        let late = clock_text(&clock(ClockState::Overdue, Some(-1)));
        assert_eq!(
            (late.badge, late.sentence.as_str()),
            ("high", "Was due 2026-12-30: overdue by 1 day.")
        );
        let done = clock_text(&clock(ClockState::Reported, None));
        assert!(done.sentence.contains("submitted 2026-12-20"), "{done:?}");
    }

    #[test]
    fn next_stages_follow_the_report_sequence() {
        assert_eq!(
            next_stages(&[]),
            [ReportStage::Initial, ReportStage::CombinedInitialFinal]
        );
        assert_eq!(
            next_stages(&[ReportStage::Initial]),
            [
                ReportStage::FollowUp,
                ReportStage::FinalReportable,
                ReportStage::FinalNonReportable
            ]
        );
        assert!(next_stages(&[ReportStage::Initial, ReportStage::FinalReportable]).is_empty());
    }
}
