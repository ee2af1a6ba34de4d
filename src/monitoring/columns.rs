//! What the monitor sees of each case and each review: the numeric columns (the model's
//! declared features plus the acquisition and runtime columns every event carries), the
//! built-in categorical columns (scanner, its manufacturer and model, the output status), and
//! the values of the strata it can be split by.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::plan::Stratum;

/// Numeric columns events carry besides their declared features (`kvp` when sent).
pub const BUILTIN_NUMERIC: [&str; 4] = [
    "slice_thickness_mm",
    "pixel_spacing_mm",
    "kvp",
    "latency_ms",
];

/// The categorical column `"<manufacturer> <model>"` of the scanner.
pub const SCANNER: &str = "scanner";

/// Categorical columns every event carries (tested with chi-square, PSI or JS).
pub const BUILTIN_CATEGORICAL: [&str; 4] = [
    SCANNER,
    "scanner_manufacturer",
    "scanner_model",
    "output_status",
];

/// Whether a column is one of the built-in categorical columns.
pub fn is_categorical(name: &str) -> bool {
    BUILTIN_CATEGORICAL.contains(&name)
}

/// The stratum holding every case.
pub const ALL: &str = "all";

/// Prefix of a reference column holding per-case Dice of a label, e.g. `dice.liver`.
pub const DICE_PREFIX: &str = "dice.";

/// Every column name a plan may monitor for a model declaring `declared` features.
pub fn monitorable(declared: &[String]) -> Vec<String> {
    let mut names: Vec<String> = declared.to_vec();
    names.extend(BUILTIN_NUMERIC.iter().map(|s| s.to_string()));
    names.extend(BUILTIN_CATEGORICAL.iter().map(|s| s.to_string()));
    names.sort();
    names.dedup();
    names
}

/// The values of one case that strata are drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StratumValues {
    pub site: String,
    pub manufacturer: String,
    pub scanner_model: String,
    pub modality: String,
    pub age_band: Option<String>,
    pub sex: Option<String>,
}

impl Stratum {
    /// Name used in stratum keys, e.g. `site` in `site=st-lukas`.
    pub fn key_name(self) -> &'static str {
        match self {
            Stratum::Site => "site",
            Stratum::Scanner => "scanner",
            Stratum::ScannerManufacturer => "scanner_manufacturer",
            Stratum::ScannerModel => "scanner_model",
            Stratum::Modality => "modality",
            Stratum::AgeBand => "age_band",
            Stratum::Sex => "sex",
        }
    }

    /// The stratum key of a case, e.g. `site=st-lukas`; `None` when the case does not say
    /// (age band and sex are optional).
    pub fn key_of(self, v: &StratumValues) -> Option<String> {
        let value = match self {
            Stratum::Site => v.site.clone(),
            Stratum::Scanner => format!("{} {}", v.manufacturer, v.scanner_model),
            Stratum::ScannerManufacturer => v.manufacturer.clone(),
            Stratum::ScannerModel => v.scanner_model.clone(),
            Stratum::Modality => v.modality.clone(),
            Stratum::AgeBand => v.age_band.clone()?,
            Stratum::Sex => v.sex.clone()?,
        };
        Some(format!("{}={value}", self.key_name()))
    }
}

/// Every stratum key a case belongs to: `all`, then one per plan dimension it reports.
pub fn keys_of(dims: &[Stratum], v: &StratumValues) -> Vec<String> {
    let mut keys = vec![ALL.to_string()];
    keys.extend(dims.iter().filter_map(|d| d.key_of(v)));
    keys
}

/// One inference event as the monitor reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseObs {
    pub day: NaiveDate,
    pub strata: StratumValues,
    /// Declared features (input and output) and the built-in numeric columns.
    pub numeric: BTreeMap<String, f64>,
    pub scanner: String,
    /// The stored content hash: what the data fingerprint of a finding is built from.
    pub content_hash: String,
    /// `ok` or `failed`.
    pub output_status: String,
}

impl CaseObs {
    /// The value of a built-in categorical column; `None` for any other name.
    pub fn category(&self, name: &str) -> Option<&str> {
        match name {
            SCANNER => Some(&self.scanner),
            "scanner_manufacturer" => Some(&self.strata.manufacturer),
            "scanner_model" => Some(&self.strata.scanner_model),
            "output_status" => Some(&self.output_status),
            _ => None,
        }
    }
}

/// One clinician review as the monitor reads it (with the strata of its event).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewObs {
    pub day: NaiveDate,
    pub strata: StratumValues,
    /// `accepted`, `edited` or `rejected`.
    pub outcome: String,
    /// Dice per label: the server's value from uploaded masks where there is one, else the
    /// site's.
    pub dice: BTreeMap<String, f64>,
    pub content_hash: String,
}

/// Observations of one stratum, borrowed from the loaded window.
#[derive(Debug, Default)]
pub struct StratumData<'a> {
    pub cases: Vec<&'a CaseObs>,
    pub reviews: Vec<&'a ReviewObs>,
}

/// Split cases and reviews into their strata (`all` included), keyed and sorted by name.
pub fn split<'a>(
    dims: &[Stratum],
    cases: impl IntoIterator<Item = &'a CaseObs>,
    reviews: impl IntoIterator<Item = &'a ReviewObs>,
) -> BTreeMap<String, StratumData<'a>> {
    let mut out: BTreeMap<String, StratumData<'a>> = BTreeMap::new();
    for c in cases {
        for k in keys_of(dims, &c.strata) {
            out.entry(k).or_default().cases.push(c);
        }
    }
    for r in reviews {
        for k in keys_of(dims, &r.strata) {
            out.entry(k).or_default().reviews.push(r);
        }
    }
    out
}

/// The values of a numeric column across cases (cases without it are skipped).
pub fn numeric_column(cases: &[&CaseObs], name: &str) -> Vec<f64> {
    cases
        .iter()
        .filter_map(|c| c.numeric.get(name).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> StratumValues {
        StratumValues {
            site: "st-lukas".into(),
            manufacturer: "Siemens".into(),
            scanner_model: "SOMATOM Force".into(),
            modality: "CT".into(),
            age_band: None,
            sex: Some("F".into()),
        }
    }

    #[test]
    fn keys_name_the_dimension_and_skip_unreported_values() {
        let dims = [
            Stratum::Site,
            Stratum::Scanner,
            Stratum::AgeBand,
            Stratum::Sex,
        ];
        assert_eq!(
            keys_of(&dims, &values()),
            [
                "all",
                "site=st-lukas",
                "scanner=Siemens SOMATOM Force",
                "sex=F"
            ]
        );
    }

    #[test]
    fn monitorable_columns_add_the_builtins_once() {
        let cols = monitorable(&["hu_mean".into(), "latency_ms".into()]);
        assert_eq!(
            cols,
            [
                "hu_mean",
                "kvp",
                "latency_ms",
                "output_status",
                "pixel_spacing_mm",
                "scanner",
                "scanner_manufacturer",
                "scanner_model",
                "slice_thickness_mm"
            ]
        );
    }
}
