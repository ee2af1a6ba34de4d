//! Format checks for the two fields whose shape is the privacy guarantee itself: `case_ref` must
//! be the site's HMAC pseudonym (64 lowercase hex), and ages must arrive as ten-year bands. A raw
//! identifier in `case_ref` or an exact age would pass a generic screen, so they get exact tests.

use super::finding::{PiiKind, PrivacyFinding};

/// The agreed age bands; anything finer is a quasi-identifier.
pub const AGE_BANDS: [&str; 10] = [
    "0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+",
];

/// Accepts exactly 64 lowercase hex characters. Uppercase is refused too: the pseudonym is a
/// join key, and two spellings of one HMAC would split a case in two.
/// The finding's path is `case_ref`; use [`PrivacyFinding::at`] to place it in a document.
pub fn check_case_ref(value: &str) -> Result<(), PrivacyFinding> {
    let is_pseudonym = value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if is_pseudonym {
        Ok(())
    } else {
        Err(PrivacyFinding::new("case_ref", PiiKind::InvalidCaseRef))
    }
}

/// Accepts one of [`AGE_BANDS`]. The finding's path is `age_band`.
pub fn check_age_band(value: &str) -> Result<(), PrivacyFinding> {
    if AGE_BANDS.contains(&value) {
        Ok(())
    } else {
        Err(PrivacyFinding::new("age_band", PiiKind::InvalidAgeBand))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HMAC: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn case_ref_accepts_only_lowercase_64_hex() {
        assert_eq!(check_case_ref(HMAC), Ok(()));
        for bad in [
            "",
            &HMAC[..63],
            &format!("{HMAC}0"),
            &HMAC.to_uppercase(),
            &HMAC.replace('9', "g"),
            "MRN12345",
            "3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f",
        ] {
            let err = check_case_ref(bad).expect_err(bad);
            assert_eq!(err.kind, PiiKind::InvalidCaseRef);
            assert_eq!(err.path, "case_ref");
        }
    }

    #[test]
    fn age_bands() {
        for ok in AGE_BANDS {
            assert_eq!(check_age_band(ok), Ok(()));
        }
        for bad in [
            "47", "90-99", "0-10", "40 - 49", "", "90+ ", "100+", "40-49y",
        ] {
            assert_eq!(
                check_age_band(bad),
                Err(PrivacyFinding::new("age_band", PiiKind::InvalidAgeBand)),
                "{bad}"
            );
        }
    }
}
