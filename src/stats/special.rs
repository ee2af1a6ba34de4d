//! Special functions the tests and intervals need, accurate enough to match scipy to 1e-9
//! relative: normal and Student-t tails and quantiles, and binomial and Poisson probabilities.
//! statrs supplies the primitives (erfc, the incomplete beta), but its quantile functions are
//! only approximate, so every quantile here is polished by a safeguarded Newton iteration on an
//! accurate tail function. Discrete probabilities use Loader's saddle-point formulas, which keep
//! full relative precision at n = 10^6 where differences of log-gamma values would not.

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
use statrs::function::{beta, erf};

/// Upper tail of the standard normal distribution, `P(Z > z)`.
pub fn norm_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function to a few 1e-15 relative (statrs' is good to only ~1e-10). Below 1
/// it is 1 - erf with erf from its all-positive series; from 1 up it is the continued
/// fraction of Laplace, with exp(-x^2) split so the rounding of x^2 does not spoil the tail.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.3 {
        return 0.0;
    }
    // exp(-x^2) = exp(-h^2) exp(-(x-h)(x+h)) with h = x rounded to 1/16, so h^2 is exact.
    let h = (x * 16.0).trunc() / 16.0;
    let gauss = (-h * h).exp() * (-(x - h) * (x + h)).exp();
    // erfc(x) = exp(-x^2)/sqrt(pi) * 2x / (2x^2+1 - 1*2/(2x^2+5 - 3*4/(2x^2+9 - ...))),
    // evaluated by the modified Lentz method.
    let tiny = 1e-300;
    let x2 = 2.0 * x * x;
    let mut f = x2 + 1.0;
    let (mut c, mut d) = (f, 0.0);
    for n in 1..5000 {
        let nf = f64::from(n);
        let a = -(2.0 * nf - 1.0) * (2.0 * nf);
        let b = x2 + 1.0 + 4.0 * nf;
        d = b + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    gauss / std::f64::consts::PI.sqrt() * 2.0 * x / f
}

/// erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)), all terms positive.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    for n in 1..200 {
        term *= 2.0 * x2 / f64::from(2 * n + 1);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum
}

/// Lower tail of the standard normal distribution, `P(Z <= z)`.
pub fn norm_cdf(z: f64) -> f64 {
    norm_sf(-z)
}

/// Quantile of the standard normal distribution (scipy's `ndtri`): statrs' inverse as the
/// start, polished by Newton steps on the accurate tail.
pub fn norm_ppf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 || p == 1.0 {
        return if p == 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let mut x = -std::f64::consts::SQRT_2 * erf::erfc_inv(2.0 * p);
    for _ in 0..3 {
        let density = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        // Work on the smaller tail so the residual keeps its relative precision.
        let step = if x < 0.0 {
            (norm_cdf(x) - p) / density
        } else {
            (p - 1.0 + norm_sf(x)) / density
        };
        if !step.is_finite() || density == 0.0 {
            break;
        }
        x -= step;
    }
    x
}

/// Upper tail of Student's t with `df` degrees of freedom, `P(T > t)`.
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    // The two-sided tail P(|T| > |t|) is I_x(df/2, 1/2) with x = df/(df+t^2). When x is
    // close to 1 the complement argument t^2/(df+t^2) is formed directly, not as 1 - x,
    // so that small |t| keeps its precision.
    let (a, b) = (0.5 * df, 0.5);
    let t2 = t * t;
    let x = df / (df + t2);
    let two_tail = if x < (a + 1.0) / (a + b + 2.0) {
        beta::beta_reg(a, b, x)
    } else {
        1.0 - beta::beta_reg(b, a, t2 / (df + t2))
    };
    if t > 0.0 {
        0.5 * two_tail
    } else {
        1.0 - 0.5 * two_tail
    }
}

/// Lower tail of Student's t, `P(T <= t)`.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    t_sf(-t, df)
}

/// The `t` with `P(T > t) = q`, for `q` in (0, 1) (scipy's `t.isf`).
pub fn t_isf(q: f64, df: f64) -> f64 {
    if q.is_nan() || df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    if q == 0.0 {
        return f64::INFINITY;
    }
    if q == 1.0 {
        return f64::NEG_INFINITY;
    }
    if q > 0.5 {
        return -t_isf(1.0 - q, df);
    }
    let Ok(dist) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    let start = dist.inverse_cdf(1.0 - q);
    let start = if start.is_finite() && start >= 0.0 {
        start
    } else {
        1.0
    };
    // P(T > t) decreases in t; Newton on it with the density as slope.
    let f = |t: f64| t_sf(t, df) - q;
    let slope = |t: f64| -dist.pdf(t);
    solve_decreasing(f, slope, start, 0.0, f64::INFINITY)
}

/// Root of a decreasing function `f` with derivative `slope` in `[lo, hi]`, by Newton steps
/// that fall back to bisection (or doubling while `hi` is infinite) when a step leaves the
/// bracket. Accurate to a few ulps when `f` is accurate.
pub fn solve_decreasing(
    f: impl Fn(f64) -> f64,
    slope: impl Fn(f64) -> f64,
    start: f64,
    mut lo: f64,
    mut hi: f64,
) -> f64 {
    let mut x = start;
    for _ in 0..200 {
        let fx = f(x);
        if fx == 0.0 {
            return x;
        }
        if fx > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let step = fx / slope(x);
        let mut next = x - step;
        if !next.is_finite() || next <= lo || next >= hi {
            next = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                2.0 * x.max(1.0)
            };
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs() || next == lo || next == hi {
            return next;
        }
        x = next;
    }
    x
}

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Loader's Stirling-formula error `ln(n!) - ((n + 1/2) ln n - n + ln sqrt(2 pi))`.
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        // n is a whole number here; n! is exact in f64 up to 15! and its log is accurate.
        let mut fact = 1.0_f64;
        let mut i = 2.0;
        while i <= n {
            fact *= i;
            i += 1.0;
        }
        return fact.ln() - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// Loader's deviance term `x ln(x/np) + np - x`, computed without cancellation near x = np.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let next = s + ej / f64::from(2 * j + 1);
            if next == s {
                return next;
            }
            s = next;
        }
        return s;
    }
    x * (x / np).ln() + np - x
}

/// Binomial probability `P(X = k)` for `X ~ Binomial(n, p)`.
pub fn binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    let q = 1.0 - p;
    if p == 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if q == 0.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let (kf, nf) = (k as f64, n as f64);
    if k == 0 {
        let lc = if p < 0.1 {
            -bd0(nf, nf * q) - nf * p
        } else {
            nf * q.ln()
        };
        return lc.exp();
    }
    if k == n {
        let lc = if q < 0.1 {
            -bd0(nf, nf * p) - nf * q
        } else {
            nf * p.ln()
        };
        return lc.exp();
    }
    let rest = nf - kf;
    let lc = stirlerr(nf) - stirlerr(kf) - stirlerr(rest) - bd0(kf, nf * p) - bd0(rest, nf * q);
    let lf = 2.0 * LN_SQRT_2PI + kf.ln() + (-kf / nf).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// Poisson probability `P(X = k)` for `X ~ Poisson(mu)`.
pub fn pois_pmf(k: u64, mu: f64) -> f64 {
    if mu == 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if k == 0 {
        return (-mu).exp();
    }
    let kf = k as f64;
    (-stirlerr(kf) - bd0(kf, mu)).exp() / (2.0 * std::f64::consts::PI * kf).sqrt()
}

/// `sum pmf(i)` for `i` in `lo..=hi`, where `pmf` is unimodal with its mode at `mode`. A tail
/// that lies on one side of the mode is summed from its inner end outward and stops once the
/// terms no longer change the sum; a range that covers the mode is one minus the two outer tails.
fn unimodal_sum(pmf: &dyn Fn(u64) -> f64, lo: u64, hi: u64, mode: u64, max: u64) -> f64 {
    if lo > hi {
        return 0.0;
    }
    if hi < mode {
        return outward_sum(pmf, hi, lo, false);
    }
    if lo > mode {
        return outward_sum(pmf, lo, hi, true);
    }
    let below = if lo == 0 {
        0.0
    } else {
        outward_sum(pmf, lo - 1, 0, false)
    };
    let above = if hi >= max {
        0.0
    } else {
        outward_sum(pmf, hi + 1, max, true)
    };
    (1.0 - below - above).max(0.0)
}

fn outward_sum(pmf: &dyn Fn(u64) -> f64, start: u64, end: u64, upward: bool) -> f64 {
    let mut sum = 0.0;
    let mut i = start;
    loop {
        let term = pmf(i);
        let next = sum + term;
        if term == 0.0 || (next == sum && sum > 0.0) {
            return sum;
        }
        sum = next;
        if i == end {
            return sum;
        }
        i = if upward { i + 1 } else { i - 1 };
    }
}

/// Binomial `P(lo <= X <= hi)`.
pub fn binom_range(lo: u64, hi: u64, n: u64, p: f64) -> f64 {
    let mode = ((n as f64 + 1.0) * p).floor().min(n as f64) as u64;
    unimodal_sum(&|i| binom_pmf(i, n, p), lo, hi.min(n), mode, n)
}

/// Binomial `P(X <= k)`.
pub fn binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    binom_range(0, k, n, p)
}

/// Binomial `P(X >= k)`.
pub fn binom_sf_incl(k: u64, n: u64, p: f64) -> f64 {
    binom_range(k, n, n, p)
}

/// Poisson `P(lo <= X <= hi)`; `hi = u64::MAX` means no upper limit.
pub fn pois_range(lo: u64, hi: u64, mu: f64) -> f64 {
    let mode = mu.floor().min(1e18) as u64;
    unimodal_sum(&|i| pois_pmf(i, mu), lo, hi, mode, u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn normal_tails_match_known_values() {
        // Phi(-1) and the 97.5% quantile, to the digits scipy prints.
        assert!(rel(norm_cdf(-1.0), 0.15865525393145707) < 1e-15);
        assert!(rel(norm_ppf(0.975), 1.959963984540054) < 1e-14);
        // Rounding z/sqrt(2) costs ~1e-14 relative at z = 10, as in scipy's ndtr.
        assert!(rel(norm_sf(10.0), 7.61985302416047e-24) < 1e-13);
        for (x, want) in [
            (0.3, 0.6713732405408726),
            (1.0, 0.15729920705028513),
            (2.0, 0.004677734981047266),
            (5.0, 1.537_459_794_428_035e-12),
            (10.0, 2.088487583762545e-45),
        ] {
            assert!(rel(erfc(x), want) < 1e-14, "erfc({x}) = {:e}", erfc(x));
        }
        assert!(rel(norm_ppf(1e-10), -6.361340902404056) < 1e-14);
    }

    #[test]
    fn t_quantile_inverts_the_tail() {
        // statrs' incomplete beta loses ~1e-11 relative at df ~ 1e6 (its log-gamma
        // differences), hence the looser bound there.
        for &df in &[1.0, 4.0, 99.0, 999_999.0] {
            let tol = if df > 1e4 { 1e-9 } else { 1e-12 };
            for &q in &[0.025, 0.05, 1e-6, 0.4] {
                let t = t_isf(q, df);
                assert!(rel(t_sf(t, df), q) < tol, "df={df} q={q}");
            }
        }
        // t_{0.975, 4} from tables.
        assert!(rel(t_isf(0.025, 4.0), 2.7764451051977934) < 1e-13);
    }

    #[test]
    fn binomial_probabilities_sum_to_one_and_match_closed_forms() {
        let total: f64 = (0..=20).map(|k| binom_pmf(k, 20, 0.3)).sum();
        assert!((total - 1.0).abs() < 1e-14);
        assert!(rel(binom_pmf(10, 10, 0.5), 0.0009765625) < 1e-15);
        // P(X >= 1) for Binomial(10^6, 10^-6) is 1 - (1 - 1e-6)^1e6.
        let want = -(1e6 * (-1e-6f64).ln_1p()).exp_m1();
        assert!(rel(binom_sf_incl(1, 1_000_000, 1e-6), want) < 1e-12);
    }

    #[test]
    fn poisson_tails_are_consistent() {
        let mu = 7.0;
        let le = pois_range(0, 7, mu);
        let ge = pois_range(7, u64::MAX, mu);
        assert!((le + ge - pois_pmf(7, mu) - 1.0).abs() < 1e-14);
        assert!(rel(pois_pmf(0, 0.5), (-0.5f64).exp()) < 1e-15);
    }
}
