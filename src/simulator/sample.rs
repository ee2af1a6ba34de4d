//! Random draws the simulator needs, written out so the stream of numbers is fixed by this code
//! alone (no distribution crate whose algorithms might change between versions): one ChaCha8
//! stream per (seed, site, day), normal by Box-Muller, gamma by Marsaglia-Tsang, beta from two
//! gammas, Poisson as a sum of small Poisson draws by Knuth's product method.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random stream of one simulated site-day (sites are 1-based; site 0 is the reference
/// sample). ChaCha's 64-bit stream number keeps every stream independent of the others, so
/// any day can be generated alone, in any order.
pub fn stream(seed: u64, site: u32, day: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((u64::from(site) << 32) | u64::from(day));
    rng
}

/// The stream reserved for a site's fixed profile (scanner, protocol); no day uses it.
pub fn profile_stream(seed: u64, site: u32) -> ChaCha8Rng {
    stream(seed, site, u32::MAX)
}

/// Uniform on the open interval (0, 1), safe for logarithms.
pub fn open01(rng: &mut impl Rng) -> f64 {
    loop {
        let u: f64 = rng.random();
        if u > 0.0 {
            return u;
        }
    }
}

/// Standard normal by the Box-Muller transform (always two uniforms).
pub fn std_normal(rng: &mut impl Rng) -> f64 {
    let (u1, u2) = (open01(rng), open01(rng));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Normal with the given mean and standard deviation.
pub fn normal(rng: &mut impl Rng, mean: f64, sd: f64) -> f64 {
    mean + sd * std_normal(rng)
}

/// Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 use the U^(1/a) boost.
pub fn gamma(rng: &mut impl Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        return gamma(rng, shape + 1.0) * open01(rng).powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = std_normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = open01(rng);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// Beta with the given mean and standard deviation (needs sd^2 < mean * (1 - mean)).
pub fn beta_mean_sd(rng: &mut impl Rng, mean: f64, sd: f64) -> f64 {
    let common = mean * (1.0 - mean) / (sd * sd) - 1.0;
    let (a, b) = (mean * common, (1.0 - mean) * common);
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

/// Poisson with mean `lambda`: Poisson variables add, so large means are drawn as a sum of
/// draws of mean at most 50, each by Knuth's method (no underflow of e^-lambda).
pub fn poisson(rng: &mut impl Rng, lambda: f64) -> u64 {
    let mut left = lambda.max(0.0);
    let mut total = 0;
    while left > 0.0 {
        let part = left.min(50.0);
        left -= part;
        let limit = (-part).exp();
        let mut product = open01(rng);
        while product > limit {
            total += 1;
            product *= open01(rng);
        }
    }
    total
}

/// A random (version 4) UUID from the stream.
pub fn uuid(rng: &mut impl RngCore) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// 64 lowercase hex characters from the stream: a pseudonymous case reference.
pub fn case_ref(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// An index drawn with the given (not necessarily normalised) weights.
pub fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    #[test]
    fn draws_have_the_intended_moments() {
        let mut rng = stream(1, 0, 0);
        let n = 40_000;
        let norm: Vec<f64> = (0..n).map(|_| normal(&mut rng, 60.0, 12.0)).collect();
        let (m, s) = moments(&norm);
        assert!((m - 60.0).abs() < 0.3 && (s - 12.0).abs() < 0.3, "{m} {s}");
        let beta: Vec<f64> = (0..n).map(|_| beta_mean_sd(&mut rng, 0.93, 0.04)).collect();
        let (m, s) = moments(&beta);
        assert!(
            (m - 0.93).abs() < 0.002 && (s - 0.04).abs() < 0.002,
            "{m} {s}"
        );
        let small: Vec<f64> = (0..n).map(|_| gamma(&mut rng, 0.5)).collect();
        assert!((moments(&small).0 - 0.5).abs() < 0.02);
        let pois: Vec<f64> = (0..n / 4)
            .map(|_| poisson(&mut rng, 120.0) as f64)
            .collect();
        let (m, s) = moments(&pois);
        assert!(
            (m - 120.0).abs() < 0.5 && (s - 120f64.sqrt()).abs() < 0.3,
            "{m} {s}"
        );
    }

    #[test]
    fn streams_are_independent_of_each_other() {
        let a: u64 = stream(7, 1, 2).random();
        assert_eq!(a, stream(7, 1, 2).random::<u64>());
        assert_ne!(a, stream(7, 2, 1).random::<u64>());
        assert_ne!(a, stream(8, 1, 2).random::<u64>());
        assert_ne!(a, profile_stream(7, 1).random::<u64>());
    }

    #[test]
    fn ids_are_well_formed() {
        let mut rng = stream(3, 1, 1);
        assert_eq!(uuid(&mut rng).get_version_num(), 4);
        let r = case_ref(&mut rng);
        assert!(
            r.len() == 64
                && r.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}
