//! How figures are written on the console's pages: estimates to four significant decimals,
//! p-values as in statistical reports (below 0.0001 as `< 0.0001`), intervals as `[lo, hi]`,
//! and a dash for what was not computed, never a misleading zero.

/// An estimate or statistic; `—` when absent or not finite.
pub fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let digits = if x.abs() >= 1000.0 { 1 } else { 4 };
            format!("{x:.digits$}")
        }
        _ => "—".to_string(),
    }
}

/// A p- or q-value.
pub fn p_value(v: Option<f64>) -> String {
    match v {
        Some(p) if p.is_finite() && p < 1e-4 => "< 0.0001".to_string(),
        other => num(other),
    }
}

/// A confidence interval; `—` unless both ends exist.
pub fn interval(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() => {
            format!("[{}, {}]", num(Some(a)), num(Some(b)))
        }
        _ => "—".to_string(),
    }
}

/// The first 12 characters of a hash, enough to tell versions apart on a page.
pub fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_rounded_and_missing_values_are_dashes() {
        assert_eq!(num(Some(0.884_21)), "0.8842");
        assert_eq!(num(Some(1520.34)), "1520.3");
        assert_eq!(num(None), "—");
        assert_eq!(num(Some(f64::NAN)), "—");
        assert_eq!(p_value(Some(3e-7)), "< 0.0001");
        assert_eq!(p_value(Some(0.0312)), "0.0312");
        assert_eq!(interval(Some(0.871), Some(0.897)), "[0.8710, 0.8970]");
        assert_eq!(interval(Some(0.871), None), "—");
        assert_eq!(short_hash("abcdef0123456789"), "abcdef012345");
        assert_eq!(short_hash("abc"), "abc");
    }
}
