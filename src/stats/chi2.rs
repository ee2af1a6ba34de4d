//! Chi-square test of homogeneity on an R×K contingency table (drift of a categorical column:
//! row 0 = reference counts, row 1 = current counts), as scipy's `chi2_contingency`: expected
//! frequencies from the margins, Yates' correction only when dof == 1, Pearson's X² or the G-test
//! (`lambda_="log-likelihood"`), and a refusal when an expected frequency is zero. The log of the
//! p-value is also returned: it stays finite where p underflows, so extreme drifts still rank.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::gamma::ln_gamma;

use super::StatsError;
use super::np_sum::np_sum;

/// Which power-divergence statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lambda {
    /// Pearson's X² = Σ (O − E)² / E.
    Pearson,
    /// G = 2 Σ O ln(O / E), with 0·ln 0 = 0.
    LogLikelihood,
}

/// Result with scipy's field names.
#[derive(Debug, Clone, PartialEq)]
pub struct Chi2Result {
    pub statistic: f64,
    pub pvalue: f64,
    pub log_pvalue: f64,
    pub dof: usize,
    pub expected_freq: Vec<Vec<f64>>,
}

/// `scipy.stats.chi2_contingency(observed, correction, lambda_)`.
pub fn chi2_contingency(
    observed: &[Vec<f64>],
    correction: bool,
    lambda: Lambda,
) -> Result<Chi2Result, StatsError> {
    let (r, k) = check_table(observed)?;
    let expected = expected_freq(observed)?;
    let dof = (r - 1) * (k - 1);
    if dof == 0 {
        return Ok(Chi2Result {
            statistic: 0.0,
            pvalue: 1.0,
            log_pvalue: 0.0,
            dof,
            expected_freq: expected,
        });
    }
    let mut obs: Vec<f64> = observed.iter().flatten().copied().collect();
    let exp: Vec<f64> = expected.iter().flatten().copied().collect();
    if dof == 1 && correction {
        for (o, e) in obs.iter_mut().zip(&exp) {
            let diff = e - *o;
            *o += diff.abs().min(0.5) * diff.signum() * f64::from(u8::from(diff != 0.0));
        }
    }
    let terms: Vec<f64> = obs
        .iter()
        .zip(&exp)
        .map(|(&o, &e)| match lambda {
            Lambda::Pearson => (o - e) * (o - e) / e,
            Lambda::LogLikelihood if o == 0.0 => 0.0,
            Lambda::LogLikelihood => 2.0 * (o * (o / e).ln()),
        })
        .collect();
    let statistic = np_sum(&terms);
    let (pvalue, log_pvalue) = chi2_sf_and_log(statistic, dof as f64);
    Ok(Chi2Result {
        statistic,
        pvalue,
        log_pvalue,
        dof,
        expected_freq: expected,
    })
}

fn check_table(observed: &[Vec<f64>]) -> Result<(usize, usize), StatsError> {
    let r = observed.len();
    let k = observed.first().map_or(0, Vec::len);
    if r == 0 || k == 0 || observed.iter().any(|row| row.len() != k) {
        return Err(StatsError::input(
            "observed must be a non-empty rectangular table",
        ));
    }
    if observed
        .iter()
        .flatten()
        .any(|&v| !v.is_finite() || v < 0.0)
    {
        return Err(StatsError::input(
            "All values in `observed` must be nonnegative.",
        ));
    }
    Ok((r, k))
}

/// Expected frequencies row_sum·col_sum/total; refused when one is zero (scipy raises).
pub fn expected_freq(observed: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, StatsError> {
    let k = observed[0].len();
    let row_sums: Vec<f64> = observed.iter().map(|row| np_sum(row)).collect();
    let col_sums: Vec<f64> = (0..k)
        .map(|j| np_sum(&observed.iter().map(|row| row[j]).collect::<Vec<_>>()))
        .collect();
    let total = np_sum(&observed.iter().flatten().copied().collect::<Vec<_>>());
    let expected: Vec<Vec<f64>> = row_sums
        .iter()
        .map(|rs| col_sums.iter().map(|cs| rs * cs / total).collect())
        .collect();
    for (i, row) in expected.iter().enumerate() {
        if let Some(j) = row.iter().position(|&e| e == 0.0) {
            return Err(StatsError::input(format!(
                "The internally computed table of expected frequencies has a zero element at ({i}, {j})."
            )));
        }
    }
    Ok(expected)
}

/// Upper tail of the chi-square distribution and its logarithm. The log is computed from the
/// continued fraction of the upper incomplete gamma when p underflows double precision.
pub fn chi2_sf_and_log(x: f64, dof: f64) -> (f64, f64) {
    if x.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (1.0, 0.0);
    }
    let p = ChiSquared::new(dof).map(|d| d.sf(x)).unwrap_or(f64::NAN);
    if p > 1e-290 {
        return (p, p.ln());
    }
    (p, ln_upper_gamma_q(dof / 2.0, x / 2.0))
}

/// ln Q(a, z) by the Lentz continued fraction (valid for z > a + 1, where p is tiny).
fn ln_upper_gamma_q(a: f64, z: f64) -> f64 {
    let tiny = 1e-300;
    let mut b = z + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..1000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    -z + a * z.ln() - ln_gamma(a) + h.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_p_stays_finite_when_p_underflows() {
        let (p, lp) = chi2_sf_and_log(5000.0, 3.0);
        assert_eq!(p, 0.0);
        assert!(lp.is_finite() && lp < -2400.0);
        // Continuity with the direct value where both exist.
        let (p, _) = chi2_sf_and_log(400.0, 1.0);
        assert!((ln_upper_gamma_q(0.5, 200.0) - p.ln()).abs() < 1e-9 * p.ln().abs());
    }

    #[test]
    fn zero_expected_cell_is_refused() {
        let t = vec![vec![40.0, 0.0, 60.0], vec![50.0, 0.0, 50.0]];
        let e = chi2_contingency(&t, true, Lambda::Pearson).unwrap_err();
        assert!(e.message.contains("zero element at (0, 1)"));
    }
}
