//! The detection rules of the privacy screen: one function per kind of personal data, each a
//! shape test on a single string. Rules are deliberately conservative (they refuse when in doubt)
//! but are tuned against the values sites legitimately send: scanner names, semantic versions,
//! feature and label names, UUIDs and 64-hex pseudonyms.

use super::finding::PiiKind;
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Canonical UUIDs (event ids) are random and carry no patient data, but their digit groups
/// would otherwise trip the phone and MRN rules.
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("literal regex")
});
/// Long hex runs are digests or pseudonyms (`case_ref`, blob SHA-256): random, not identifying.
static HEX_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9a-fA-F]{32,}").expect("literal regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}")
        .expect("literal regex")
});
/// DICOM PN: family^given^middle^prefix^suffix. Two letters before the caret keep `x^2` out.
static DICOM_PN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}{2,}\^+(?:\p{L}|\s*$)").expect("literal regex"));
/// A title followed by a capitalised word. Case-sensitive so that modality `MR` or `MS` and
/// all-caps vendor names (`GE MEDICAL SYSTEMS`) do not match.
static TITLED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Herr|Frau|Mme|Mlle)(?:\.\s*|\s+)\p{Lu}\p{Ll}+")
        .expect("literal regex")
});
/// Year-first dates and date-times: 1984-03-12, 1984/3/12, 1984.03.12, 1984-03-12T10:00Z.
static DATE_YMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^0-9])(19[0-9]{2}|20[0-9]{2}|2100)[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[^0-9]|$)",
    )
    .expect("literal regex")
});
/// Day- or month-first dates: 12.03.1984, 03/12/1984, 12-03-1984.
static DATE_DMY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^0-9])([0-9]{1,2})[-/.]([0-9]{1,2})[-/.](19[0-9]{2}|20[0-9]{2}|2100)(?:[^0-9]|$)",
    )
    .expect("literal regex")
});
/// Dates with a month name (English/German abbreviations): 12 March 1984, 12-MAR-1984, May 3, 1984.
static DATE_MONTH_NAME: LazyLock<Regex> = LazyLock::new(|| {
    const M: &str = r"(?:jan|feb|mar|mär|apr|may|mai|jun|jul|aug|sep|oct|okt|nov|dec|dez)\p{L}*\.?";
    let pattern = format!(
        r"(?i)\b[0-9]{{1,2}}\.?[ \-]*{M}[ ,\-]*(?:19|20)[0-9]{{2}}\b|\b{M}[ ]+[0-9]{{1,2}},?[ ]+(?:19|20)[0-9]{{2}}\b"
    );
    Regex::new(&pattern).expect("literal regex")
});
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9]+").expect("literal regex"));
static DOTTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:\.[0-9]+)+").expect("literal regex"));
/// Digit groups joined by single separators, the way phone numbers are written.
static NUMBER_GROUPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:[ ./\-][0-9]+)+").expect("literal regex"));
static PHONE_PLUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+\s*[0-9][0-9 ().\-/]*[0-9]").expect("literal regex"));
static PHONE_AREA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\(\s*\+?[0-9]{1,5}\s*\)[ .\-/]*[0-9]+(?:[ .\-/][0-9]+)*").expect("literal regex")
});
/// A letter prefix glued to 5+ digits: MRN12345, ACC0012345, P-12345. Scanner model numbers
/// glued to letters have at most four digits (`CT750`, `S2000`), so five is the bar.
static MRN_PREFIXED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}[-_:#]?[0-9]{5,}").expect("literal regex"));
/// An identifier keyword followed by a number, even a short one: `MRN: 4711`, `accession 0815`.
static MRN_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\p{L}])(?:mrn|pid|patid|patient|accession|acc)[\s:#.\-_]*[0-9]{3,}")
        .expect("literal regex")
});

/// Object keys that name a direct identifier, compared after lower-casing and dropping
/// everything but letters and digits (`PatientName`, `patient_name`, `patient-name` alike).
/// Bare `name` is absent on purpose: model objects legitimately carry `name`.
const IDENTIFIER_KEYS: &[&str] = &[
    "patientname",
    "patientsname",
    "patientid",
    "patientsid",
    "otherpatientids",
    "patientbirthdate",
    "patientsbirthdate",
    "birthdate",
    "dateofbirth",
    "dob",
    "firstname",
    "lastname",
    "surname",
    "givenname",
    "familyname",
    "fullname",
    "ssn",
    "socialsecuritynumber",
    "insurancenumber",
    "accessionnumber",
    "mrn",
    "medicalrecordnumber",
    "email",
    "phone",
    "phonenumber",
    "telephone",
    "address",
    "patientaddress",
    "studyinstanceuid",
    "seriesinstanceuid",
    "sopinstanceuid",
];

/// The first kind of personal data found in `value`, checked in a fixed priority order so the
/// reported kind is deterministic (a UID that contains a date-like run is reported as a UID).
pub(crate) fn classify_value(value: &str) -> Option<PiiKind> {
    // Fast path for the common case (scanner names, feature keys, enum values): every rule
    // but the titled-name rule needs a digit, an `@` or a `^`, so a string without any of
    // them can only be a titled name. This keeps the screen cheap on the ingest hot path.
    if !value
        .chars()
        .any(|c| c.is_numeric() || c == '@' || c == '^')
    {
        return TITLED_NAME.is_match(value).then_some(PiiKind::PersonName);
    }
    let masked = mask_random_ids(value);
    let s = masked.as_ref();
    if EMAIL.is_match(s) {
        Some(PiiKind::Email)
    } else if DICOM_PN.is_match(s) || TITLED_NAME.is_match(s) {
        Some(PiiKind::PersonName)
    } else if has_dicom_uid(s) {
        Some(PiiKind::DicomUid)
    } else if has_date(s) {
        Some(PiiKind::Date)
    } else if has_phone(s) {
        Some(PiiKind::Phone)
    } else if has_mrn(s) {
        Some(PiiKind::Mrn)
    } else {
        None
    }
}

/// Keys are checked like values, and additionally against the identifier-field list.
pub(crate) fn classify_key(key: &str) -> Option<PiiKind> {
    let normalised: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if IDENTIFIER_KEYS.contains(&normalised.as_str()) {
        return Some(PiiKind::IdentifierField);
    }
    classify_value(key)
}

/// Replaces UUIDs and long hex digests with `#` so that their digits are not read as phone
/// numbers or MRNs. A hex run needs four or more letters: an all-digit run is a number, not a hash.
fn mask_random_ids(value: &str) -> Cow<'_, str> {
    let after_uuid = UUID.replace_all(value, "#");
    let has_hex_digest = HEX_RUN
        .find_iter(&after_uuid)
        .any(|m| is_digest_like(m.as_str()));
    if !has_hex_digest {
        return after_uuid;
    }
    let masked = HEX_RUN.replace_all(&after_uuid, |caps: &regex::Captures<'_>| {
        let run = &caps[0];
        if is_digest_like(run) {
            "#".to_owned()
        } else {
            run.to_owned()
        }
    });
    Cow::Owned(masked.into_owned())
}

fn is_digest_like(run: &str) -> bool {
    run.chars().filter(char::is_ascii_alphabetic).count() >= 4
}

/// Dotted digit runs: five or more components, or four that are long, or three that are very
/// long (UUID-derived `2.25.<decimal>` UIDs). Versions like `10.4.1` stay below every bar.
fn has_dicom_uid(s: &str) -> bool {
    DOTTED.find_iter(s).any(|m| {
        let run = m.as_str();
        let components = run.split('.').count();
        components >= 5
            || (components >= 4 && run.len() >= 12)
            || (components >= 3 && run.len() >= 20)
    })
}

fn has_date(s: &str) -> bool {
    let ymd = DATE_YMD
        .captures_iter(s)
        .any(|c| plausible_day_month(&c[3], &c[2]));
    let dmy = DATE_DMY
        .captures_iter(s)
        .any(|c| plausible_day_month(&c[1], &c[2]) || plausible_day_month(&c[2], &c[1]));
    ymd || dmy || DATE_MONTH_NAME.is_match(s) || has_compact_date(s)
}

/// DICOM DA/DT style: YYYYMMDD, optionally followed by HHMM or HHMMSS (12 or 14 digits).
fn has_compact_date(s: &str) -> bool {
    DIGITS.find_iter(s).any(|m| {
        let run = m.as_str();
        matches!(run.len(), 8 | 12 | 14) && plausible_yyyymmdd(&run[..8])
    })
}

fn plausible_yyyymmdd(run: &str) -> bool {
    let year: u32 = run[..4].parse().unwrap_or(0);
    (1900..=2100).contains(&year) && plausible_day_month(&run[6..8], &run[4..6])
}

fn plausible_day_month(day: &str, month: &str) -> bool {
    let (Ok(day), Ok(month)) = (day.parse::<u32>(), month.parse::<u32>()) else {
        return false;
    };
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// International (`+49 30 1234567`), area-code (`(030) 123-4567`) and plain grouped numbers
/// (`030 1234 567`): seven or more digits in total across separated groups.
fn has_phone(s: &str) -> bool {
    let enough = |text: &str| text.chars().filter(char::is_ascii_digit).count() >= 7;
    PHONE_PLUS.find_iter(s).any(|m| enough(m.as_str()))
        || PHONE_AREA.find_iter(s).any(|m| enough(m.as_str()))
        || NUMBER_GROUPS.find_iter(s).any(|m| enough(m.as_str()))
}

/// Six or more consecutive digits, a short letter prefix glued to five or more, or an
/// identifier keyword followed by a number.
fn has_mrn(s: &str) -> bool {
    DIGITS.find_iter(s).any(|m| m.as_str().len() >= 6)
        || MRN_PREFIXED.is_match(s)
        || MRN_KEYWORD.is_match(s)
}
