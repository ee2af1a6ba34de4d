//! Column drift over a table: a reference frozen once per column (numeric: sorted values,
//! quantile bin edges, reference shares, mean and std; categorical: category counts), stored as
//! JSON with the model version, and one call that compares a current window with it, column by
//! column in parallel, then controls the false discovery rate across columns (BH).
//!
//! Defaults follow the lean scipy anchor and alibi-detect: two-sample KS for numeric columns and
//! the chi-square homogeneity test for categorical ones; PSI, Jensen-Shannon, Hellinger (on the
//! frozen bins) and normed Wasserstein can replace them as distance measures with thresholds.
//! The reference is never re-sorted and current columns are borrowed, so the only per-check
//! allocation is one sorted copy of each numeric column in flight.

use rayon::prelude::*;

use super::StatsError;
use super::binning::{quantile_counts_sorted, quantile_edges, smooth_zeros};
use super::chi2::{Lambda, chi2_contingency};
pub use super::column_drift_types::*;
use super::distance::{hellinger, jensenshannon, psi, wasserstein_normed, wasserstein_sorted};
use super::fast_sort::{sort_in_place, sorted_finite_copy};
use super::ks::{Alternative, KsMethod, ks_2samp_sorted};
use super::label_count::LabelCounts;
use super::multiplicity::{FdrMethod, fdr_adjust};

impl FrozenReference {
    /// Freeze a reference table. Numeric columns are moved in and sorted in place (no copy);
    /// categorical columns are only counted.
    pub fn prepare(
        columns: Vec<(String, ReferenceInput<'_>)>,
        bins: usize,
    ) -> Result<Self, StatsError> {
        let bins = bins.max(1);
        let columns = columns
            .into_par_iter()
            .map(|(name, col)| {
                let reference = match col {
                    ReferenceInput::Numeric(v) => {
                        ColumnReference::Numeric(freeze_numeric(v, bins)?)
                    }
                    ReferenceInput::Categorical(v) => {
                        ColumnReference::Categorical(freeze_categorical(v))
                    }
                };
                Ok(FrozenColumn { name, reference })
            })
            .collect::<Result<Vec<_>, StatsError>>()?;
        Ok(Self {
            version: 1,
            bins,
            columns,
        })
    }
}

fn freeze_numeric(mut v: Vec<f64>, bins: usize) -> Result<NumericReference, StatsError> {
    let before = v.len();
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return Err(StatsError::input(
            "a numeric reference column has no non-NaN value",
        ));
    }
    sort_in_place(&mut v);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
    let edges = quantile_edges(&v, bins);
    let shares = quantile_counts_sorted(&edges, &v)
        .iter()
        .map(|&k| k as f64 / n)
        .collect();
    Ok(NumericReference {
        n_missing: (before - v.len()) as u64,
        sorted: v,
        edges,
        shares,
        mean,
        std,
    })
}

fn freeze_categorical(v: &[&str]) -> CategoricalReference {
    let pairs = LabelCounts::count_all(v).into_sorted();
    CategoricalReference {
        categories: pairs.iter().map(|p| p.0.to_owned()).collect(),
        counts: pairs.iter().map(|p| p.1).collect(),
    }
}

/// Compare a current window with the frozen reference. Every reference column must be present
/// in `current` (matched by name) with the same kind.
pub fn check_drift(
    reference: &FrozenReference,
    current: &[(&str, ColumnValues<'_>)],
    config: &DriftConfig,
) -> Result<DriftReport, StatsError> {
    let mut columns = reference
        .columns
        .par_iter()
        .map(|col| {
            let values = current
                .iter()
                .find(|(n, _)| *n == col.name)
                .map(|c| c.1)
                .ok_or_else(|| {
                    StatsError::input(format!(
                        "column {:?} missing from the current window",
                        col.name
                    ))
                })?;
            check_column(col, values, config)
        })
        .collect::<Result<Vec<_>, StatsError>>()?;
    let tested: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].pvalue.is_some())
        .collect();
    let ps: Vec<f64> = tested
        .iter()
        .map(|&i| columns[i].pvalue.unwrap_or(1.0))
        .collect();
    let adjusted = fdr_adjust(&ps, FdrMethod::Bh)?;
    for (&i, q) in tested.iter().zip(adjusted) {
        columns[i].p_adjusted = Some(q);
        columns[i].drifted = q <= config.alpha;
    }
    let n_drifted = columns.iter().filter(|c| c.drifted).count();
    Ok(DriftReport { columns, n_drifted })
}

fn check_column(
    col: &FrozenColumn,
    values: ColumnValues<'_>,
    cfg: &DriftConfig,
) -> Result<ColumnResult, StatsError> {
    match (&col.reference, values) {
        (ColumnReference::Numeric(r), ColumnValues::Numeric(v)) => {
            numeric_column(&col.name, r, v, cfg)
        }
        (ColumnReference::Categorical(r), ColumnValues::Categorical(v)) => {
            categorical_column(&col.name, r, v, cfg)
        }
        _ => Err(StatsError::input(format!(
            "column {:?}: kind differs from the reference",
            col.name
        ))),
    }
}

fn result(
    name: &str,
    method: &str,
    statistic: f64,
    pvalue: Option<f64>,
    drifted: bool,
    n: (u64, u64, u64),
) -> ColumnResult {
    ColumnResult {
        name: name.to_owned(),
        method: method.to_owned(),
        statistic,
        pvalue,
        p_adjusted: None,
        drifted,
        n_ref: n.0,
        n_cur: n.1,
        n_cur_missing: n.2,
    }
}

fn numeric_column(
    name: &str,
    r: &NumericReference,
    v: &[f64],
    cfg: &DriftConfig,
) -> Result<ColumnResult, StatsError> {
    let thr = cfg.distance_threshold;
    if cfg.numeric == NumericMethod::Psi
        || cfg.numeric == NumericMethod::JensenShannon
        || cfg.numeric == NumericMethod::Hellinger
    {
        let counts = super::binning::quantile_counts(&r.edges, v);
        let n_cur: u64 = counts.iter().sum();
        let n = (r.sorted.len() as u64, n_cur, v.len() as u64 - n_cur);
        if n_cur == 0 {
            return Err(StatsError::input(format!(
                "column {name:?}: no non-NaN current value"
            )));
        }
        let cur: Vec<f64> = counts.iter().map(|&k| k as f64 / n_cur as f64).collect();
        let (m, d) = distance(
            cfg.numeric == NumericMethod::Psi,
            cfg.numeric == NumericMethod::Hellinger,
            &r.shares,
            cur,
        )?;
        return Ok(result(name, m, d, None, d >= thr, n));
    }
    let sorted = sorted_finite_copy(v);
    let n = (
        r.sorted.len() as u64,
        sorted.len() as u64,
        (v.len() - sorted.len()) as u64,
    );
    if sorted.is_empty() {
        return Err(StatsError::input(format!(
            "column {name:?}: no non-NaN current value"
        )));
    }
    if cfg.numeric == NumericMethod::WassersteinNormed {
        let d = wasserstein_normed(wasserstein_sorted(&r.sorted, &sorted), r.std);
        return Ok(result(name, "wasserstein_normed", d, None, d >= thr, n));
    }
    let ks = ks_2samp_sorted(&r.sorted, &sorted, Alternative::TwoSided, KsMethod::Auto)?;
    Ok(result(name, "ks", ks.statistic, Some(ks.pvalue), false, n))
}

/// PSI (smoothed), Hellinger or Jensen-Shannon (natural log) on aligned shares.
fn distance(
    is_psi: bool,
    is_hellinger: bool,
    ref_shares: &[f64],
    mut cur: Vec<f64>,
) -> Result<(&'static str, f64), StatsError> {
    if is_psi {
        let mut r = ref_shares.to_vec();
        smooth_zeros(&mut r);
        smooth_zeros(&mut cur);
        return Ok(("psi", psi(&r, &cur)));
    }
    if is_hellinger {
        return Ok(("hellinger", hellinger(ref_shares, &cur)));
    }
    Ok(("jensen_shannon", jensenshannon(ref_shares, &cur, None)?))
}

fn categorical_column(
    name: &str,
    r: &CategoricalReference,
    v: &[&str],
    cfg: &DriftConfig,
) -> Result<ColumnResult, StatsError> {
    // Count the window's labels, then align them with the reference categories (both sorted);
    // labels the reference never saw follow as extra cells with reference count 0.
    let counted = LabelCounts::count_all(v).into_sorted();
    let mut cur = vec![0u64; r.categories.len()];
    let mut new_sorted: Vec<(&str, u64)> = Vec::new();
    for (label, c) in counted {
        match r.categories.binary_search_by(|k| k.as_str().cmp(label)) {
            Ok(i) => cur[i] = c,
            Err(_) => new_sorted.push((label, c)),
        }
    }
    let mut ref_counts: Vec<f64> = r.counts.iter().map(|&c| c as f64).collect();
    let mut cur_counts: Vec<f64> = cur.iter().map(|&c| c as f64).collect();
    for (_, c) in new_sorted {
        ref_counts.push(0.0);
        cur_counts.push(c as f64);
    }
    let n_ref: u64 = r.counts.iter().sum();
    let n = (n_ref, v.len() as u64, 0);
    if v.is_empty() {
        return Err(StatsError::input(format!(
            "column {name:?}: empty current window"
        )));
    }
    if cfg.categorical == CategoricalMethod::Chi2 {
        let t = chi2_contingency(&[ref_counts, cur_counts], true, Lambda::Pearson)?;
        return Ok(result(name, "chi2", t.statistic, Some(t.pvalue), false, n));
    }
    let rs: Vec<f64> = ref_counts.iter().map(|c| c / n_ref as f64).collect();
    let cs: Vec<f64> = cur_counts.iter().map(|c| c / v.len() as f64).collect();
    let (m, d) = distance(
        cfg.categorical == CategoricalMethod::Psi,
        cfg.categorical == CategoricalMethod::Hellinger,
        &rs,
        cs,
    )?;
    Ok(result(name, m, d, None, d >= cfg.distance_threshold, n))
}
