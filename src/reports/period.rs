//! Data periods of PSURs and PMS reports (MDCG 2022-21 §5, Annex III): a PSUR period starts
//! on the certificate date or one of its anniversaries, lasts 12 months (class IIb, III) or 24
//! months (class IIa), and follows the previous one back to back: no overlap, no gap. A PMS
//! report (class I, Art. 85) has no fixed length but follows the same back-to-back rule.
//! Regenerating a report for the exact period of an earlier one is allowed (a new version).
//! Every refusal names the request field it is about.

use chrono::{Duration, Months, NaiveDate};

use super::model::{Period, ReportKind};
use crate::vigilance::device::MdrClass;

/// A refused period, with the field it is about (`kind`, `period.from`, `period.to`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PeriodError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: String) -> PeriodError {
    PeriodError { field, message }
}

/// Months of one PSUR period for a class; `None` for class I (no PSUR).
pub fn psur_months(class: MdrClass) -> Option<u32> {
    match class {
        MdrClass::I => None,
        MdrClass::IIa => Some(24),
        MdrClass::IIb | MdrClass::III => Some(12),
    }
}

/// The period of `months` starting at `from`: ends the day before the next anniversary.
pub fn period_of(from: NaiveDate, months: u32) -> Option<Period> {
    let next = from.checked_add_months(Months::new(months))?;
    Some(Period {
        from,
        to: next - Duration::days(1),
    })
}

/// What a requested period is checked against.
pub struct PeriodRules<'a> {
    pub kind: ReportKind,
    pub class: MdrClass,
    /// The certificate date (start of the first period).
    pub anchor: NaiveDate,
    /// Periods of the device's earlier reports of the same kind.
    pub previous: &'a [Period],
}

/// Check a requested period; `Ok` when it may be generated.
pub fn check_period(rules: &PeriodRules<'_>, p: Period) -> Result<(), PeriodError> {
    if p.to < p.from {
        return Err(refuse("period.to", "must not be before period.from".into()));
    }
    match rules.kind {
        ReportKind::Psur => check_psur_alignment(rules, p)?,
        ReportKind::Pms if rules.class != MdrClass::I => {
            return Err(refuse(
                "kind",
                format!(
                    "a class {} device reports in a PSUR (Art. 86); the PMS report is for class I",
                    rules.class.as_str()
                ),
            ));
        }
        _ => {
            if p.from < rules.anchor {
                return Err(refuse(
                    "period.from",
                    format!("must not be before the certificate date {}", rules.anchor),
                ));
            }
        }
    }
    check_back_to_back(rules, p)
}

fn check_psur_alignment(rules: &PeriodRules<'_>, p: Period) -> Result<(), PeriodError> {
    let months = psur_months(rules.class).ok_or_else(|| {
        refuse(
            "kind",
            "a class I device has no PSUR; request kind pms (Art. 85)".into(),
        )
    })?;
    let mut start = rules.anchor;
    let mut k = 0u32;
    while start < p.from {
        k += 1;
        start = rules
            .anchor
            .checked_add_months(Months::new(months * k))
            .ok_or_else(|| refuse("period.from", "out of range".into()))?;
    }
    if start != p.from {
        let before = period_of_k(rules.anchor, months, k.saturating_sub(1));
        return Err(refuse(
            "period.from",
            format!(
                "must be the certificate date {} or an anniversary {} months apart (nearest: {} or {})",
                rules.anchor,
                months,
                before.map_or(rules.anchor, |b| b.from),
                start
            ),
        ));
    }
    let expected =
        period_of(p.from, months).ok_or_else(|| refuse("period.to", "out of range".into()))?;
    if p.to != expected.to {
        return Err(refuse(
            "period.to",
            format!(
                "a class {} PSUR covers {months} months: from {} the period ends {}",
                rules.class.as_str(),
                p.from,
                expected.to
            ),
        ));
    }
    Ok(())
}

fn period_of_k(anchor: NaiveDate, months: u32, k: u32) -> Option<Period> {
    period_of(anchor.checked_add_months(Months::new(months * k))?, months)
}

fn check_back_to_back(rules: &PeriodRules<'_>, p: Period) -> Result<(), PeriodError> {
    if rules.previous.contains(&p) {
        return Ok(());
    }
    if let Some(o) = rules
        .previous
        .iter()
        .find(|o| o.from <= p.to && p.from <= o.to)
    {
        return Err(refuse(
            "period.from",
            format!(
                "overlaps the earlier {} for {}; periods are back to back",
                rules.kind.as_str(),
                o.label()
            ),
        ));
    }
    let last_before = rules.previous.iter().filter(|o| o.to < p.from).max();
    let expected_from = last_before.map_or(rules.anchor, |o| o.to + Duration::days(1));
    if p.from != expected_from {
        let after = last_before.map_or_else(
            || format!("the certificate date {}", rules.anchor),
            |o| format!("the {} for {}", rules.kind.as_str(), o.label()),
        );
        return Err(refuse(
            "period.from",
            format!("leaves a gap after {after}; the next period starts {expected_from}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(a: &str, b: &str) -> Period {
        Period {
            from: d(a),
            to: d(b),
        }
    }

    fn rules<'a>(class: MdrClass, previous: &'a [Period]) -> PeriodRules<'a> {
        PeriodRules {
            kind: ReportKind::Psur,
            class,
            anchor: d("2024-03-15"),
            previous,
        }
    }

    #[test]
    fn first_psur_starts_at_certification_and_lasts_12_or_24_months() {
        assert!(check_period(&rules(MdrClass::IIb, &[]), p("2024-03-15", "2025-03-14")).is_ok());
        assert!(check_period(&rules(MdrClass::IIa, &[]), p("2024-03-15", "2026-03-14")).is_ok());
        let e = check_period(&rules(MdrClass::IIa, &[]), p("2024-03-15", "2025-03-14"));
        assert_eq!(e.unwrap_err().field, "period.to");
    }

    #[test]
    fn unaligned_start_is_refused_naming_period_from() {
        let e = check_period(&rules(MdrClass::III, &[]), p("2024-04-01", "2025-03-31"));
        let e = e.unwrap_err();
        assert_eq!(e.field, "period.from");
        assert!(e.message.contains("2025-03-15"), "{}", e.message);
    }

    #[test]
    fn a_gap_after_the_previous_psur_is_refused() {
        let prev = [p("2024-03-15", "2025-03-14")];
        let ok = check_period(&rules(MdrClass::IIb, &prev), p("2025-03-15", "2026-03-14"));
        assert!(ok.is_ok());
        let gap = check_period(&rules(MdrClass::IIb, &prev), p("2026-03-15", "2027-03-14"));
        let gap = gap.unwrap_err();
        assert_eq!(gap.field, "period.from");
        assert!(gap.message.contains("gap"), "{}", gap.message);
        let first_gap = check_period(&rules(MdrClass::IIb, &[]), p("2025-03-15", "2026-03-14"));
        assert!(first_gap.unwrap_err().message.contains("gap"));
    }

    #[test]
    fn overlap_is_refused_and_the_same_period_may_be_regenerated() {
        let prev = [p("2024-03-15", "2026-03-14")];
        let again = check_period(&rules(MdrClass::IIa, &prev), p("2024-03-15", "2026-03-14"));
        assert!(again.is_ok());
        // The device was reclassified IIb: its 12-month period inside the old 24 overlaps.
        let o = check_period(&rules(MdrClass::IIb, &prev), p("2025-03-15", "2026-03-14"));
        let o = o.unwrap_err();
        assert_eq!(o.field, "period.from");
        assert!(o.message.contains("overlaps"), "{}", o.message);
    }

    #[test]
    fn class_i_gets_a_pms_report_not_a_psur() {
        let e = check_period(&rules(MdrClass::I, &[]), p("2024-03-15", "2025-03-14"));
        assert_eq!(e.unwrap_err().field, "kind");
        let pms = PeriodRules {
            kind: ReportKind::Pms,
            ..rules(MdrClass::I, &[])
        };
        assert!(check_period(&pms, p("2024-03-15", "2024-12-31")).is_ok());
        let wrong = PeriodRules {
            kind: ReportKind::Pms,
            ..rules(MdrClass::IIb, &[])
        };
        assert_eq!(
            check_period(&wrong, p("2024-03-15", "2024-12-31"))
                .unwrap_err()
                .field,
            "kind"
        );
    }

    #[test]
    fn leap_day_anniversaries_follow_chrono_month_arithmetic() {
        let r = PeriodRules {
            anchor: d("2024-02-29"),
            ..rules(MdrClass::IIb, &[])
        };
        assert_eq!(period_of(d("2024-02-29"), 12).unwrap().to, d("2025-02-27"));
        assert!(check_period(&r, p("2024-02-29", "2025-02-27")).is_ok());
    }
}
