//! The public-holiday calendar of the deadline clocks, shipped as data: national public holidays
//! of the EEA states, CH, TR and XI (Northern Ireland) for the years the file states, generated
//! from the PyPI `holidays` package by `data/holidays/generate.py` beside this file (the CSV's
//! first line records the package version, countries and years). A country or year outside that
//! coverage is an error, never a silent guess: a deadline computed without a country's holidays
//! could be early or late.

use std::collections::{BTreeSet, HashSet};

use chrono::{Datelike, NaiveDate, Weekday};

/// The embedded calendar file.
const HOLIDAYS_CSV: &str = include_str!("data/holidays/public_holidays.csv");

/// Why a day cannot be classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the holiday calendar has no data for country {0}")]
    UnknownCountry(String),
    #[error("the holiday calendar for {country} covers {first}-{last}, not {year}")]
    YearNotCovered {
        country: String,
        year: i32,
        first: i32,
        last: i32,
    },
    #[error("holiday calendar file is malformed: {0}")]
    Malformed(String),
}

/// National public holidays per country over a range of years.
#[derive(Debug, Clone)]
pub struct HolidayCalendar {
    /// The file's provenance line, without the leading `# `.
    pub source: String,
    pub countries: BTreeSet<String>,
    pub first_year: i32,
    pub last_year: i32,
    days: HashSet<(String, NaiveDate)>,
}

impl HolidayCalendar {
    /// The calendar shipped with Vigil.
    pub fn embedded() -> Result<Self, CalendarError> {
        Self::parse(HOLIDAYS_CSV)
    }

    /// Parse a calendar file: a `# source=...; years=A-B; countries=XX YY` line, a header,
    /// then `country,date,name` rows.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let bad = |m: &str| CalendarError::Malformed(m.to_string());
        let (first, rest) = text.split_once('\n').ok_or_else(|| bad("empty file"))?;
        let source = first
            .strip_prefix("# ")
            .ok_or_else(|| bad("first line must be the provenance comment"))?;
        let field = |key: &str| {
            source
                .split("; ")
                .find_map(|p| p.strip_prefix(key))
                .ok_or_else(|| bad(key))
        };
        let (a, b) = field("years=")?
            .split_once('-')
            .ok_or_else(|| bad("years"))?;
        let first_year: i32 = a.parse().map_err(|_| bad("first year"))?;
        let last_year: i32 = b.parse().map_err(|_| bad("last year"))?;
        let countries: BTreeSet<String> = field("countries=")?
            .split(' ')
            .map(str::to_string)
            .collect();
        let mut days = HashSet::new();
        let mut reader = csv::Reader::from_reader(rest.as_bytes());
        for row in reader.records() {
            let row = row.map_err(|e| bad(&e.to_string()))?;
            let (country, date) = (row.get(0).unwrap_or(""), row.get(1).unwrap_or(""));
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad("date"))?;
            if !countries.contains(country) {
                return Err(bad("row for a country outside the stated list"));
            }
            days.insert((country.to_string(), date));
        }
        Ok(Self {
            source: source.to_string(),
            countries,
            first_year,
            last_year,
            days,
        })
    }

    /// Whether `day` is a working day in `country`: not a Saturday, Sunday or national public
    /// holiday (Reg. 1182/71 Art. 2(2)). Errors outside the calendar's coverage.
    pub fn is_working_day(&self, country: &str, day: NaiveDate) -> Result<bool, CalendarError> {
        self.check_covered(country, day.year())?;
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        Ok(!weekend && !self.days.contains(&(country.to_string(), day)))
    }

    /// Refuse a country or year the file does not cover.
    pub fn check_covered(&self, country: &str, year: i32) -> Result<(), CalendarError> {
        if !self.countries.contains(country) {
            return Err(CalendarError::UnknownCountry(country.to_string()));
        }
        if year < self.first_year || year > self.last_year {
            return Err(CalendarError::YearNotCovered {
                country: country.to_string(),
                year,
                first: self.first_year,
                last: self.last_year,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn embedded_calendar_covers_the_stated_countries_and_years() {
        let cal = HolidayCalendar::embedded().unwrap();
        assert_eq!((cal.first_year, cal.last_year), (2025, 2030));
        assert_eq!(cal.countries.len(), 33);
        // Every stated country has rows in every stated year (no silent gap in the file).
        for c in &cal.countries {
            for y in 2025..=2030 {
                assert!(
                    cal.days.iter().any(|(k, day)| k == c && day.year() == y),
                    "{c} {y}"
                );
            }
        }
    }

    #[test]
    fn holidays_weekends_and_coverage() {
        let cal = HolidayCalendar::embedded().unwrap();
        // German Unity Day 2026 is a Saturday anyway; 2027-10-04 is a Monday working day.
        assert!(!cal.is_working_day("DE", d("2026-10-03")).unwrap());
        assert!(cal.is_working_day("DE", d("2027-10-04")).unwrap());
        // King's Day (NL) 2026-04-27 is a Monday holiday; it is a working day in DE.
        assert!(!cal.is_working_day("NL", d("2026-04-27")).unwrap());
        assert!(cal.is_working_day("DE", d("2026-04-27")).unwrap());
        // Armistice Day (FR) 2026-11-11, a Wednesday.
        assert!(!cal.is_working_day("FR", d("2026-11-11")).unwrap());
        assert!(matches!(
            cal.is_working_day("DE", d("2031-01-02")),
            Err(CalendarError::YearNotCovered { year: 2031, .. })
        ));
        assert!(matches!(
            cal.is_working_day("US", d("2026-01-02")),
            Err(CalendarError::UnknownCountry(_))
        ));
    }
}
