//! IMDRF Adverse Event Terminology (N43) as versioned data. The release shipped is
//! `imdrf-aet-2023` (1,983 terms of Annexes A-G; provenance in `src/vigilance/data/imdrf/README.md`).
//! Every report records the release its codes were checked against; a newer release can be
//! added beside it as another embedded file without changing old reports. Unknown, retired and
//! "not selectable" codes are refused, and the refusal names the release.

use std::collections::HashMap;

/// The release embedded in this build.
pub const CURRENT_RELEASE: &str = "imdrf-aet-2023";

const TERMS_2023: &str = include_str!("data/imdrf/imdrf_aet_terms.csv");

/// An IMDRF annex: which MIR field a code may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Annex {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
}

impl Annex {
    pub fn letter(self) -> char {
        match self {
            Annex::A => 'A',
            Annex::B => 'B',
            Annex::C => 'C',
            Annex::D => 'D',
            Annex::E => 'E',
            Annex::F => 'F',
            Annex::G => 'G',
        }
    }
}

/// One term of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub code: String,
    pub term: String,
    status: String,
}

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("{code} is not a code of IMDRF Annex {annex} in release {release}")]
    Unknown {
        code: String,
        annex: char,
        release: String,
    },
    #[error("{code} is retired in IMDRF release {release}")]
    Retired { code: String, release: String },
    #[error("{code} is not selectable in IMDRF release {release}: use a more detailed term")]
    NotSelectable { code: String, release: String },
    #[error("IMDRF release {0} is not known to this build")]
    UnknownRelease(String),
}

/// The terms of one release, by code.
#[derive(Debug, Clone)]
pub struct CodeList {
    pub release: String,
    terms: HashMap<String, (Annex, Term)>,
}

impl CodeList {
    /// The list of a release shipped with Vigil.
    pub fn release(name: &str) -> Result<Self, CodeError> {
        match name {
            CURRENT_RELEASE => Ok(Self::parse(name, TERMS_2023)),
            other => Err(CodeError::UnknownRelease(other.to_string())),
        }
    }

    /// The release current in this build.
    pub fn current() -> Self {
        Self::parse(CURRENT_RELEASE, TERMS_2023)
    }

    fn parse(release: &str, text: &str) -> Self {
        let mut terms = HashMap::new();
        for row in csv::Reader::from_reader(text.as_bytes())
            .records()
            .flatten()
        {
            let annex = match row.get(0) {
                Some("A") => Annex::A,
                Some("B") => Annex::B,
                Some("C") => Annex::C,
                Some("D") => Annex::D,
                Some("E") => Annex::E,
                Some("F") => Annex::F,
                Some("G") => Annex::G,
                _ => continue,
            };
            let term = Term {
                code: row.get(1).unwrap_or("").to_string(),
                term: row.get(2).unwrap_or("").to_string(),
                status: row.get(5).unwrap_or("").to_ascii_lowercase(),
            };
            terms.insert(term.code.clone(), (annex, term));
        }
        Self {
            release: release.to_string(),
            terms,
        }
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The term for `code` if it belongs to `annex` and may be selected.
    pub fn check(&self, annex: Annex, code: &str) -> Result<&Term, CodeError> {
        let unknown = || CodeError::Unknown {
            code: code.to_string(),
            annex: annex.letter(),
            release: self.release.clone(),
        };
        let (a, term) = self.terms.get(code).ok_or_else(unknown)?;
        if *a != annex {
            return Err(unknown());
        }
        if term.status.starts_with("retired") {
            return Err(CodeError::Retired {
                code: code.to_string(),
                release: self.release.clone(),
            });
        }
        if term.status.starts_with("not selectable") {
            return Err(CodeError::NotSelectable {
                code: code.to_string(),
                release: self.release.clone(),
            });
        }
        Ok(term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2023_release_has_its_1983_terms() {
        let list = CodeList::current();
        // 1,983 rows; some Annex E codes appear twice (the same code in two branches).
        assert_eq!(list.len(), 1793);
        // Terms as printed in REGULATORY.md section 5 (from the IMDRF annex files).
        assert_eq!(
            list.check(Annex::A, "A0908").unwrap().term,
            "Incorrect, Inadequate or Imprecise Result or Readings"
        );
        assert_eq!(
            list.check(Annex::C, "C1010").unwrap().term,
            "Artificial Intelligence Training/Validation Problem Identified"
        );
        assert!(list.check(Annex::F, "F13").is_ok());
        assert!(list.check(Annex::G, "G02008").is_ok());
    }

    #[test]
    fn unknown_wrong_annex_retired_and_not_selectable_codes_are_refused() {
        let list = CodeList::current();
        let err = list.check(Annex::A, "A999999").unwrap_err();
        assert!(err.to_string().contains("imdrf-aet-2023"), "{err}");
        assert!(matches!(
            list.check(Annex::B, "A0908"),
            Err(CodeError::Unknown { .. })
        ));
        assert!(matches!(
            list.check(Annex::A, "A071205"),
            Err(CodeError::Retired { .. })
        ));
        assert!(matches!(
            list.check(Annex::E, "E01"),
            Err(CodeError::NotSelectable { .. })
        ));
        assert!(matches!(
            CodeList::release("imdrf-aet-1999"),
            Err(CodeError::UnknownRelease(_))
        ));
    }
}
