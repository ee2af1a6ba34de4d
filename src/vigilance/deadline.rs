//! The MDR Art. 87 reporting clocks: 2, 10 or 15 calendar days after the day the manufacturer
//! became aware (day 0; counting starts the next day), ended per Reg. (EEC, Euratom) 1182/71
//! Art. 3: a period whose last day is a Saturday, Sunday or public holiday of the reporting
//! country ends on the next working day (3(4)), and "any period of two days or more shall
//! include at least two working days" (3(5)).
//!
//! Art. 3(5) is applied to every clock. Why: the MDR is a Union act and 1182/71 governs its
//! time limits unless the act says otherwise, which Art. 87 does not; MDCG 2023-3 itself points
//! to 1182/71 for the roll-over. In practice it only changes the 2-day clock: awareness on a
//! Friday gives Sunday, rolled to Monday, which holds one working day, so the period ends on
//! Tuesday. A quality manager who wants the stricter reading can still report earlier; the
//! clock shows the legal limit.
//!
//! History: every classification appends a clock event. Re-classification recomputes the due
//! date from the same awareness date and the earliest due date of the period wins; a
//! re-assessment as reportable (after "not reportable") starts a new period from the new
//! awareness date.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{CalendarError, HolidayCalendar};

/// The seriousness class a person chooses; it sets the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Seriousness {
    /// Serious public health threat: 2 days.
    SeriousPublicHealthThreat,
    /// Death: 10 days.
    Death,
    /// Unanticipated serious deterioration in state of health: 10 days.
    UnanticipatedSeriousDeterioration,
    /// All other reportable serious incidents: 15 days.
    OtherReportable,
}

impl Seriousness {
    /// Calendar days of the clock (Art. 87(3)-(5)).
    pub fn days(self) -> i64 {
        match self {
            Seriousness::SeriousPublicHealthThreat => 2,
            Seriousness::Death | Seriousness::UnanticipatedSeriousDeterioration => 10,
            Seriousness::OtherReportable => 15,
        }
    }

    /// The MIR 7.2.1 `eventClassification` value.
    pub fn mir_value(self) -> &'static str {
        match self {
            Seriousness::SeriousPublicHealthThreat => "Serious public health threat",
            Seriousness::Death => "Death",
            Seriousness::UnanticipatedSeriousDeterioration => {
                "Unanticipated serious deterioration in state of health"
            }
            Seriousness::OtherReportable => "All other reportable incidents",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Seriousness::SeriousPublicHealthThreat => "serious_public_health_threat",
            Seriousness::Death => "death",
            Seriousness::UnanticipatedSeriousDeterioration => "unanticipated_serious_deterioration",
            Seriousness::OtherReportable => "other_reportable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// The last day to report: `awareness + days`, rolled forward to a working day of `country`,
/// then extended until the period holds two working days (Art. 3(4) and 3(5) of 1182/71).
pub fn due_date(
    cal: &HolidayCalendar,
    country: &str,
    awareness: NaiveDate,
    days: i64,
) -> Result<NaiveDate, CalendarError> {
    let mut end = awareness + Duration::days(days);
    while !cal.is_working_day(country, end)? {
        end += Duration::days(1);
    }
    let mut working = 0;
    let mut day = awareness + Duration::days(1);
    while day <= end {
        if cal.is_working_day(country, day)? {
            working += 1;
        }
        day += Duration::days(1);
    }
    while working < 2 {
        end += Duration::days(1);
        if cal.is_working_day(country, end)? {
            working += 1;
        }
    }
    Ok(end)
}

/// What a clock event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockEventKind {
    /// Classified (or re-classified) as reportable: a due date for the current period.
    Classified,
    /// Assessed as not reportable: the clock stops.
    NotReportable,
    /// Re-assessed as reportable after "not reportable": a new period from a new awareness date.
    Reassessed,
}

/// One entry of an incident's clock history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockEvent {
    pub at: DateTime<Utc>,
    pub kind: ClockEventKind,
    pub seriousness: Option<Seriousness>,
    /// Day 0 of the period this event belongs to.
    pub awareness_date: NaiveDate,
    pub due: Option<NaiveDate>,
    /// Why (screened free text).
    pub reason: String,
    pub by: String,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// No seriousness chosen yet: no legal due date can be shown.
    AwaitingClassification,
    /// Running and not yet due.
    Due,
    /// Past its due date with no submitted report.
    Overdue,
    /// An initial (or combined) report was submitted in this period.
    Reported,
    /// Assessed as not reportable.
    NotReportable,
}

/// The clock as shown: state, due date, days left.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    pub state: ClockState,
    pub awareness_date: NaiveDate,
    pub seriousness: Option<Seriousness>,
    pub due: Option<NaiveDate>,
    /// Days from today to the due date; negative when overdue.
    pub days_left: Option<i64>,
    pub overdue: bool,
    /// Submission date of the report that met (or missed) this period's clock.
    pub reported_on: Option<NaiveDate>,
}

/// The clock of the current period. `awareness` is the incident's first awareness date,
/// `submissions` the submission dates of initial or combined reports.
pub fn clock_view(
    awareness: NaiveDate,
    events: &[ClockEvent],
    submissions: &[NaiveDate],
    today: NaiveDate,
) -> ClockView {
    let start = events
        .iter()
        .rposition(|e| e.kind == ClockEventKind::Reassessed)
        .unwrap_or(0);
    let period = &events[start.min(events.len())..];
    let period_start = period
        .iter()
        .find(|e| e.kind == ClockEventKind::Reassessed)
        .map_or(awareness, |e| e.awareness_date);
    let due = period.iter().filter_map(|e| e.due).min();
    let last = period.last();
    let seriousness = last.and_then(|e| e.seriousness);
    let reported_on = submissions
        .iter()
        .filter(|d| **d >= period_start)
        .min()
        .copied();
    let not_reportable = last.is_some_and(|e| e.kind == ClockEventKind::NotReportable);
    let state = match (not_reportable, due, reported_on) {
        (true, _, _) => ClockState::NotReportable,
        (false, None, _) => ClockState::AwaitingClassification,
        (false, Some(_), Some(_)) => ClockState::Reported,
        (false, Some(d), None) if today > d => ClockState::Overdue,
        (false, Some(_), None) => ClockState::Due,
    };
    let live = !not_reportable;
    ClockView {
        state,
        awareness_date: period_start,
        seriousness: if live { seriousness } else { None },
        due: due.filter(|_| live),
        days_left: due.filter(|_| live).map(|d| (d - today).num_days()),
        overdue: state == ClockState::Overdue,
        reported_on: reported_on.filter(|_| live),
    }
}
