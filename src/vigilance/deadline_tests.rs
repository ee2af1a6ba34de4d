//! The deadline table: each case's due date was worked out by hand from a printed calendar and
//! the national holidays of the reporting country (comment on each row), and cross-checked
//! against the PyPI `holidays` package (`src/vigilance/data/holidays/check_deadlines.py`).

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::{CalendarError, HolidayCalendar};
use super::deadline::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// (country, awareness day 0, days, expected due).
const CASES: &[(&str, &str, i64, &str)] = &[
    // Plain weekdays: Mon + 15 = Tue 20 Jan.
    ("DE", "2026-01-05", 15, "2026-01-20"),
    // Mon + 10 = Thu 15 Jan.
    ("DE", "2026-01-05", 10, "2026-01-15"),
    // Mon + 2 = Wed 7 Jan; Tue and Wed are two working days.
    ("DE", "2026-01-05", 2, "2026-01-07"),
    // Thu + 2 = Sat 10 -> Mon 12; Fri 9 and Mon 12 are two working days.
    ("DE", "2026-01-08", 2, "2026-01-12"),
    // Fri + 2 = Sun 11 -> Mon 12, only one working day in the period -> Tue 13 (Art. 3(5)).
    ("DE", "2026-01-09", 2, "2026-01-13"),
    // Sat + 2 = Mon 12, one working day -> Tue 13 (Art. 3(5)).
    ("DE", "2026-01-10", 2, "2026-01-13"),
    // Sat 3 Jan + 15 = Sun 18 -> Mon 19.
    ("DE", "2026-01-03", 15, "2026-01-19"),
    // Fri 2 Jan + 10 = Mon 12.
    ("DE", "2026-01-02", 10, "2026-01-12"),
    // Thu 19 Mar + 15 = Good Friday 3 Apr (DE) -> Sat, Sun, Easter Monday -> Tue 7 Apr.
    ("DE", "2026-03-19", 15, "2026-04-07"),
    // Same in FR: Good Friday is no national holiday -> Fri 3 Apr.
    ("FR", "2026-03-19", 15, "2026-04-03"),
    // Same in NL: Good Friday is in the NL list -> Tue 7 Apr.
    ("NL", "2026-03-19", 15, "2026-04-07"),
    // Tue 24 Mar + 10 = Good Friday 3 Apr -> Tue 7 Apr.
    ("DE", "2026-03-24", 10, "2026-04-07"),
    // Wed 1 Apr + 2 = Good Friday -> Tue 7 Apr; Thu 2 and Tue 7 are two working days.
    ("DE", "2026-04-01", 2, "2026-04-07"),
    // Thu 2 Apr + 2 = Sat 4 -> Tue 7, one working day -> Wed 8 Apr.
    ("DE", "2026-04-02", 2, "2026-04-08"),
    // Sun 12 Apr + 15 = Mon 27 Apr, King's Day (NL) -> Tue 28.
    ("NL", "2026-04-12", 15, "2026-04-28"),
    // Same in DE: 27 Apr is a working day.
    ("DE", "2026-04-12", 15, "2026-04-27"),
    // Sat 25 Apr + 2 = King's Day -> Tue 28, one working day -> Wed 29 Apr.
    ("NL", "2026-04-25", 2, "2026-04-29"),
    // Wed 29 Apr + 2 = Fri 1 May (FR) -> Mon 4 May; Thu 30 Apr and Mon 4 May are two.
    ("FR", "2026-04-29", 2, "2026-05-04"),
    // Thu 23 Apr + 15 = Fri 8 May, Victory Day (FR) -> Mon 11 May.
    ("FR", "2026-04-23", 15, "2026-05-11"),
    // Same in DE: 8 May is a working day.
    ("DE", "2026-04-23", 15, "2026-05-08"),
    // Wed 29 Apr + 15 = Thu 14 May, Ascension (FR) -> Fri 15 May.
    ("FR", "2026-04-29", 15, "2026-05-15"),
    // Sun 10 May + 15 = Mon 25 May, Whit Monday (NL) -> Tue 26 May.
    ("NL", "2026-05-10", 15, "2026-05-26"),
    // Sat 4 Jul + 10 = Tue 14 Jul, national day (FR) -> Wed 15 Jul.
    ("FR", "2026-07-04", 10, "2026-07-15"),
    // Tue 27 Oct + 15 = Wed 11 Nov, Armistice Day (FR) -> Thu 12 Nov.
    ("FR", "2026-10-27", 15, "2026-11-12"),
    // Thu 1 Oct + 2 = Sat 3 Oct -> Mon 5 Oct; Fri 2 and Mon 5 are two working days.
    ("DE", "2026-10-01", 2, "2026-10-05"),
    // Mon 21 Dec + 2 = Wed 23 Dec.
    ("DE", "2026-12-21", 2, "2026-12-23"),
    // Wed 23 Dec + 2 = Christmas (Fri) -> Sat 26 holiday, Sun -> Mon 28; Thu 24 and Mon 28.
    ("DE", "2026-12-23", 2, "2026-12-28"),
    // Thu 24 Dec + 2 = Sat 26 -> Mon 28, one working day -> Tue 29 Dec.
    ("DE", "2026-12-24", 2, "2026-12-29"),
    // Year end: Thu 17 Dec + 15 = Fri 1 Jan 2027 (holiday) -> Mon 4 Jan 2027.
    ("DE", "2026-12-17", 15, "2027-01-04"),
    // Tue 22 Dec + 10 = Fri 1 Jan 2027 (NL) -> Mon 4 Jan 2027.
    ("NL", "2026-12-22", 10, "2027-01-04"),
    // Wed 30 Dec + 2 = Fri 1 Jan -> Mon 4 Jan; Thu 31 Dec and Mon 4 Jan are two working days.
    ("FR", "2026-12-30", 2, "2027-01-04"),
    // Thu 31 Dec + 2 = Sat 2 Jan -> Mon 4 Jan, one working day (1 Jan holiday) -> Tue 5 Jan.
    ("FR", "2026-12-31", 2, "2027-01-05"),
    // Thu 11 Mar 2027 + 15 = Good Friday 26 Mar (DE) -> Easter Monday 29 -> Tue 30 Mar.
    ("DE", "2027-03-11", 15, "2027-03-30"),
    // Same in FR: Fri 26 Mar 2027 is a working day.
    ("FR", "2027-03-11", 15, "2027-03-26"),
    // Sat 17 Apr 2027 + 10 = Tue 27 Apr, King's Day (NL) -> Wed 28 Apr.
    ("NL", "2027-04-17", 10, "2027-04-28"),
    // Wed 21 Apr 2027 + 15 = Thu 6 May, Ascension (FR) -> Fri 7 May.
    ("FR", "2027-04-21", 15, "2027-05-07"),
    // Awareness on a holiday, Thu 6 May 2027 + 2 = Sat 8 May -> Mon 10; Fri 7 and Mon 10.
    ("FR", "2027-05-06", 2, "2027-05-10"),
    // Fri 7 May 2027 + 10 = Mon 17 May, Whit Monday (DE) -> Tue 18 May.
    ("DE", "2027-05-07", 10, "2027-05-18"),
    // Fri 22 Oct 2027 + 10 = Mon 1 Nov, All Saints (FR) -> Tue 2 Nov.
    ("FR", "2027-10-22", 10, "2027-11-02"),
    // Tue 9 Nov 2027 + 2 = Thu 11 Nov (FR) -> Fri 12; Wed 10 and Fri 12 are two working days.
    ("FR", "2027-11-09", 2, "2027-11-12"),
    // Thu 23 Dec 2027 + 2 = Sat 25 -> Mon 27; Fri 24 and Mon 27 are two working days.
    ("DE", "2027-12-23", 2, "2027-12-27"),
    // Fri 24 Dec 2027 + 2 = Sun 26 -> Mon 27, one working day -> Tue 28 Dec.
    ("NL", "2027-12-24", 2, "2027-12-28"),
    // Fri 17 Dec 2027 + 15 = Sat 1 Jan 2028 -> Mon 3 Jan 2028.
    ("DE", "2027-12-17", 15, "2028-01-03"),
    // Awareness on New Year's Day 2026 (Thu) + 10 = Sun 11 Jan -> Mon 12 Jan.
    ("DE", "2026-01-01", 10, "2026-01-12"),
    // Tue 12 May 2026 + 2 = Thu 14 May, Ascension (DE) -> Fri 15; Wed 13 and Fri 15.
    ("DE", "2026-05-12", 2, "2026-05-15"),
];

#[test]
fn deadline_table() {
    let cal = HolidayCalendar::embedded().unwrap();
    assert!(CASES.len() >= 40);
    for (country, awareness, days, want) in CASES {
        let got = due_date(&cal, country, d(awareness), *days).unwrap();
        assert_eq!(got, d(want), "{country} {awareness} +{days}");
    }
}

#[test]
fn a_deadline_outside_the_calendar_is_an_error_not_a_guess() {
    let cal = HolidayCalendar::embedded().unwrap();
    // Fri 20 Dec 2030 + 15 = 4 Jan 2031: the file stops at 2030.
    assert!(matches!(
        due_date(&cal, "DE", d("2030-12-20"), 15),
        Err(CalendarError::YearNotCovered { year: 2031, .. })
    ));
    assert!(matches!(
        due_date(&cal, "US", d("2026-01-05"), 15),
        Err(CalendarError::UnknownCountry(_))
    ));
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn event(
    kind: ClockEventKind,
    s: Option<Seriousness>,
    aware: &str,
    due: Option<&str>,
) -> ClockEvent {
    ClockEvent {
        at: at("2026-01-10T10:00:00Z"),
        kind,
        seriousness: s,
        awareness_date: d(aware),
        due: due.map(d),
        reason: "r".into(),
        by: "user:qm".into(),
    }
}

#[test]
fn reclassification_both_ways_keeps_the_earliest_due_date() {
    use ClockEventKind::*;
    use Seriousness::*;
    // Aware Mon 5 Jan 2026: 15 days -> Tue 20 Jan; raised to a public health threat -> Wed 7.
    let up = [
        event(
            Classified,
            Some(OtherReportable),
            "2026-01-05",
            Some("2026-01-20"),
        ),
        event(
            Classified,
            Some(SeriousPublicHealthThreat),
            "2026-01-05",
            Some("2026-01-07"),
        ),
    ];
    let v = clock_view(d("2026-01-05"), &up, &[], d("2026-01-06"));
    assert_eq!(
        (v.due, v.days_left, v.state),
        (Some(d("2026-01-07")), Some(1), ClockState::Due)
    );
    // Lowered from 2 to 15 days: the earlier due date still wins.
    let down = [up[1].clone(), up[0].clone()];
    let v = clock_view(d("2026-01-05"), &down, &[], d("2026-01-08"));
    assert_eq!(v.due, Some(d("2026-01-07")));
    assert_eq!(v.seriousness, Some(OtherReportable));
    assert!(v.overdue);
    assert_eq!(v.days_left, Some(-1));
}

#[test]
fn reassessment_as_reportable_starts_a_new_period() {
    use ClockEventKind::*;
    use Seriousness::*;
    let events = [
        event(
            Classified,
            Some(OtherReportable),
            "2026-01-05",
            Some("2026-01-20"),
        ),
        event(NotReportable, None, "2026-01-05", None),
    ];
    let v = clock_view(d("2026-01-05"), &events, &[], d("2026-02-01"));
    assert_eq!(
        (v.state, v.due, v.overdue),
        (ClockState::NotReportable, None, false)
    );
    // New information on Mon 2 Feb: 10 days -> Thu 12 Feb, from the new awareness date.
    let mut again = events.to_vec();
    again.push(event(
        Reassessed,
        Some(Death),
        "2026-02-02",
        Some("2026-02-12"),
    ));
    let v = clock_view(d("2026-01-05"), &again, &[], d("2026-02-03"));
    assert_eq!(v.awareness_date, d("2026-02-02"));
    assert_eq!(
        (v.state, v.due, v.days_left),
        (ClockState::Due, Some(d("2026-02-12")), Some(9))
    );
    // A submission before the new period does not meet the new clock; one after does.
    let v = clock_view(d("2026-01-05"), &again, &[d("2026-01-19")], d("2026-02-13"));
    assert_eq!(v.state, ClockState::Overdue);
    let v = clock_view(d("2026-01-05"), &again, &[d("2026-02-10")], d("2026-02-13"));
    assert_eq!(
        (v.state, v.reported_on),
        (ClockState::Reported, Some(d("2026-02-10")))
    );
}

#[test]
fn an_unclassified_incident_shows_no_due_date() {
    let v = clock_view(d("2026-01-05"), &[], &[], d("2026-01-06"));
    assert_eq!((v.state, v.due), (ClockState::AwaitingClassification, None));
}
