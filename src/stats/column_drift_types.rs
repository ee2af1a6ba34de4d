//! Types of the column drift check (`column_drift.rs`): the frozen reference, which is
//! serialised to JSON and stored with the model version, the borrowed current window, the
//! configuration and the per-column results. Kept apart so the monitoring code can read the
//! data model without the algorithms.

use serde::{Deserialize, Serialize};

/// Frozen reference of one numeric column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericReference {
    /// Non-NaN reference values, ascending.
    pub sorted: Vec<f64>,
    /// Interior quantile edges (bins open at both ends).
    pub edges: Vec<f64>,
    /// Reference share per bin (`edges.len() + 1` entries).
    pub shares: Vec<f64>,
    pub mean: f64,
    /// Population standard deviation (ddof 0), Evidently's Wasserstein norm.
    pub std: f64,
    /// NaN values dropped from the reference.
    pub n_missing: u64,
}

/// Frozen reference of one categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalReference {
    /// Categories, sorted.
    pub categories: Vec<String>,
    /// Count per category.
    pub counts: Vec<u64>,
}

/// Frozen reference of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnReference {
    Numeric(NumericReference),
    Categorical(CategoricalReference),
}

/// A named frozen column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenColumn {
    pub name: String,
    pub reference: ColumnReference,
}

/// The frozen reference table (serialisable; stored with the model version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenReference {
    /// Format version of this structure.
    pub version: u32,
    /// Quantile bins per numeric column.
    pub bins: usize,
    pub columns: Vec<FrozenColumn>,
}

/// Values of one column, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum ColumnValues<'a> {
    Numeric(&'a [f64]),
    Categorical(&'a [&'a str]),
}

/// Test or distance applied to numeric columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumericMethod {
    Ks,
    Psi,
    JensenShannon,
    Hellinger,
    WassersteinNormed,
}

/// Test or distance applied to categorical columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoricalMethod {
    Chi2,
    Psi,
    JensenShannon,
    Hellinger,
}

/// Configuration of a drift check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftConfig {
    pub numeric: NumericMethod,
    pub categorical: CategoricalMethod,
    /// False discovery rate (tests) across the columns of one check.
    pub alpha: f64,
    /// Drift when a distance is >= its threshold (PSI, JS, Hellinger, normed Wasserstein).
    pub distance_threshold: f64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        Self {
            numeric: NumericMethod::Ks,
            categorical: CategoricalMethod::Chi2,
            alpha: 0.05,
            distance_threshold: 0.1,
        }
    }
}

/// Outcome for one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnResult {
    pub name: String,
    /// `ks`, `chi2`, `psi`, `jensen_shannon`, `hellinger` or `wasserstein_normed`.
    pub method: String,
    /// Test statistic or distance.
    pub statistic: f64,
    /// p-value (tests only).
    pub pvalue: Option<f64>,
    /// BH-adjusted p-value across the tested columns of this check.
    pub p_adjusted: Option<f64>,
    pub drifted: bool,
    pub n_ref: u64,
    pub n_cur: u64,
    /// NaN values dropped from the current window.
    pub n_cur_missing: u64,
}

/// Result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub columns: Vec<ColumnResult>,
    pub n_drifted: usize,
}

/// A reference column handed over to `prepare`.
#[derive(Debug, Clone)]
pub enum ReferenceInput<'a> {
    /// Moved in: sorted in place and kept in the frozen reference.
    Numeric(Vec<f64>),
    /// Borrowed: only the counts are kept.
    Categorical(&'a [&'a str]),
}
