//! README's error-code table is checked against the code's one table (`error::ERROR_CODES`)
//! and the mask decoder's codes, so neither can drift from the other unnoticed.

use std::collections::BTreeMap;

use vigil::error::ERROR_CODES;
use vigil::segmentation::MaskError;

/// Rows of the table under `### Error codes`: each code of the first cell with its status.
fn readme_error_rows() -> BTreeMap<String, u16> {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### Error codes")
        .nth(1)
        .expect("README has an error-code section");
    let mut rows = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Ok(status) = cells[2].parse::<u16>() else {
            continue; // header and separator
        };
        for code in cells[1].split(',') {
            rows.insert(code.trim().trim_matches('`').to_string(), status);
        }
    }
    rows
}

#[test]
fn readme_error_codes_match_the_code() {
    let rows = readme_error_rows();
    for (code, status, _) in ERROR_CODES {
        assert_eq!(rows.get(*code), Some(status), "README row for {code}");
    }
    let s = String::new;
    let masks = [
        MaskError::NotNifti(s()),
        MaskError::Truncated(s()),
        MaskError::Corrupt(s()),
        MaskError::InvalidHeader(s()),
        MaskError::NotThreeD(s()),
        MaskError::UnsupportedDatatype(0),
        MaskError::TooManyLabels(0),
        MaskError::ShapeMismatch {
            pred: [0; 3],
            reference: [0; 3],
        },
        MaskError::SpacingMismatch {
            pred: [0.0; 3],
            reference: [0.0; 3],
        },
        MaskError::InvalidRle(s()),
        MaskError::InvalidOption(s()),
    ];
    let mask_codes: Vec<&str> = masks.iter().map(MaskError::code).collect();
    for code in &mask_codes {
        assert_eq!(
            rows.get(*code),
            Some(&422),
            "README row for mask code {code}"
        );
    }
    for code in rows.keys() {
        let known =
            ERROR_CODES.iter().any(|(c, _, _)| c == code) || mask_codes.contains(&code.as_str());
        assert!(
            known,
            "README lists {code}, which the code does not answer with"
        );
    }
}
