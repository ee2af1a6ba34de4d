//! The frozen baseline of a model version: what every later window is compared with. Per
//! column it keeps the statistics engine's frozen reference (sorted sample, quantile bin
//! edges and shares, mean and SD; category counts for the scanner), and per label the
//! in-control mean and SD of per-case Dice that the quality charts are centred on.
//!
//! An uploaded validation set gives one pooled reference. Freezing from the first days after
//! go-live also keeps one reference per stratum with enough cases, so a site's own scanner
//! and protocol are its baseline (a pooled reference would flag every site whose protocol
//! differs from the fleet's mix).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::baseline_table::Table;
use super::columns::{CaseObs, ReviewObs, StratumData, split};
use super::plan::Stratum;
use crate::stats::column_drift::{FrozenReference, ReferenceInput};

/// Quantile bins kept for the binned distances (PSI, Jensen-Shannon).
pub const BINS: usize = 10;

/// In-control per-case Dice of one label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityReference {
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub sd: f64,
    pub n: u64,
}

/// Review outcome shares in the baseline period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutcomeReference {
    pub reviews: u64,
    pub edited: u64,
    pub rejected: u64,
}

/// The frozen reference of one stratum (or the pooled one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumReference {
    pub rows: u64,
    pub features: FrozenReference,
    pub quality: BTreeMap<String, QualityReference>,
    #[serde(default)]
    pub outcomes: Option<OutcomeReference>,
}

/// A model version's baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub pooled: StratumReference,
    /// Stratum key (e.g. `site=st-lukas`) -> its own reference.
    #[serde(default)]
    pub by_stratum: BTreeMap<String, StratumReference>,
    /// First day the monitor evaluates (the day after a freeze period ends).
    #[serde(default)]
    pub monitor_from: Option<NaiveDate>,
}

impl Baseline {
    /// Names of the pooled reference's columns, in stored order.
    pub fn column_names(&self) -> Vec<&str> {
        self.pooled
            .features
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The reference a stratum is compared with: its own, or the pooled one.
    pub fn for_stratum(&self, key: &str) -> &StratumReference {
        self.by_stratum.get(key).unwrap_or(&self.pooled)
    }
}

/// Why a baseline could not be frozen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FreezeError {
    #[error(transparent)]
    Table(#[from] super::baseline_table::TableError),
    #[error("cannot freeze: {0}")]
    Stats(String),
    #[error("too little data to freeze: {0}")]
    TooLittle(String),
}

fn mean_sd(values: &[f64]) -> Option<QualityReference> {
    let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    Some(QualityReference {
        mean,
        sd: var.sqrt(),
        n: v.len() as u64,
    })
}

impl StratumReference {
    /// Freeze a reference sample.
    pub fn freeze(table: Table) -> Result<Self, FreezeError> {
        let cats: Vec<(String, Vec<&str>)> = table
            .categorical
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().map(String::as_str).collect()))
            .collect();
        let mut columns: Vec<(String, ReferenceInput<'_>)> = Vec::new();
        for (name, values) in table.numeric {
            if values.iter().all(|v| v.is_nan()) {
                continue;
            }
            columns.push((name, ReferenceInput::Numeric(values)));
        }
        for (name, values) in &cats {
            columns.push((name.clone(), ReferenceInput::Categorical(values)));
        }
        let features = FrozenReference::prepare(columns, BINS)
            .map_err(|e| FreezeError::Stats(e.to_string()))?;
        let quality = table
            .dice
            .iter()
            .filter_map(|(label, v)| mean_sd(v).map(|q| (label.clone(), q)))
            .collect();
        let outcomes = table
            .outcomes
            .map(|(reviews, edited, rejected)| OutcomeReference {
                reviews,
                edited,
                rejected,
            });
        Ok(Self {
            rows: table.rows as u64,
            features,
            quality,
            outcomes,
        })
    }
}

/// Freeze an uploaded validation set: one pooled reference.
pub fn from_upload(table: Table) -> Result<Baseline, FreezeError> {
    Ok(Baseline {
        pooled: StratumReference::freeze(table)?,
        by_stratum: BTreeMap::new(),
        monitor_from: None,
    })
}

/// Freeze the first events (and reviews) after go-live: a pooled reference, and one per
/// stratum of the plan's dimensions that holds at least `min_samples` cases.
pub fn from_history(
    cases: &[CaseObs],
    reviews: &[ReviewObs],
    dims: &[Stratum],
    min_samples: usize,
    monitor_from: NaiveDate,
) -> Result<Baseline, FreezeError> {
    if cases.len() < min_samples.max(2) {
        return Err(FreezeError::TooLittle(format!(
            "{} events, need at least {}",
            cases.len(),
            min_samples.max(2)
        )));
    }
    let freeze =
        |d: &StratumData<'_>| StratumReference::freeze(Table::from_history(&d.cases, &d.reviews));
    let mut by_stratum = BTreeMap::new();
    let mut pooled = None;
    for (key, data) in split(dims, cases, reviews) {
        if key == super::columns::ALL {
            pooled = Some(freeze(&data)?);
        } else if data.cases.len() >= min_samples {
            by_stratum.insert(key, freeze(&data)?);
        }
    }
    Ok(Baseline {
        pooled: pooled.ok_or_else(|| FreezeError::TooLittle("no events".into()))?,
        by_stratum,
        monitor_from: Some(monitor_from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::columns::StratumValues;
    use crate::stats::column_drift::ColumnReference;

    fn case(site: &str, hu: f64) -> CaseObs {
        CaseObs {
            day: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            strata: StratumValues {
                site: site.into(),
                ..StratumValues::default()
            },
            numeric: [("hu_mean".to_string(), hu)].into(),
            scanner: "GE Revolution".into(),
            content_hash: String::new(),
            output_status: "ok".into(),
        }
    }

    #[test]
    fn history_keeps_a_reference_per_large_enough_stratum() {
        let mut cases: Vec<CaseObs> = (0..30).map(|i| case("a", i as f64)).collect();
        cases.extend((0..5).map(|i| case("b", 100.0 + i as f64)));
        let day = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let b = from_history(&cases, &[], &[Stratum::Site], 10, day).unwrap();
        assert_eq!(b.pooled.rows, 35);
        assert_eq!(b.by_stratum.keys().collect::<Vec<_>>(), ["site=a"]);
        // Site b falls back to the pooled reference.
        assert_eq!(b.for_stratum("site=b").rows, 35);
        let ColumnReference::Numeric(r) = &b.for_stratum("site=a").features.columns[0].reference
        else {
            panic!("numeric expected")
        };
        assert_eq!((r.sorted.len(), r.mean), (30, 14.5));
        assert!(from_history(&cases[..3], &[], &[], 10, day).is_err());
    }

    #[test]
    fn dice_columns_become_quality_references() {
        let t = Table::from_csv("dice.liver\n0.9\n0.94\n0.92\n", &[]).unwrap();
        let b = from_upload(t).unwrap();
        let q = b.pooled.quality["liver"];
        assert!((q.mean - 0.92).abs() < 1e-12 && (q.sd - 0.02).abs() < 1e-12);
        assert_eq!(q.n, 3);
    }
}
