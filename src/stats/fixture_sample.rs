//! Decoder for the sample encodings of the reference fixtures: a plain list, `{"repeat":
//! {values, counts}}` or `{"modseq": {n, a, c, m, scale, offset}}`, wrapped as `{"data": ...,
//! "check": {...}}`. Numbers follow the `json_num` convention for NaN and infinities.

use serde_json::Value;

use super::json_num::from_json;

/// Expand a fixture sample (`{"data": ..., "check": ...}` or a bare encoding) to f64 values,
/// verifying `check.n` and `check.first` when present.
pub fn decode_sample(v: &Value) -> Result<Vec<f64>, String> {
    let data = v.get("data").unwrap_or(v);
    let values = expand(data)?;
    if let Some(check) = v.get("check") {
        verify(&values, check)?;
    }
    Ok(values)
}

fn numbers(v: &Value) -> Result<Vec<f64>, String> {
    v.as_array()
        .ok_or("expected a list")?
        .iter()
        .map(|x| from_json(x).ok_or_else(|| format!("not a number: {x}")))
        .collect()
}

fn expand(data: &Value) -> Result<Vec<f64>, String> {
    if data.is_array() {
        return numbers(data);
    }
    if let Some(rep) = data.get("repeat") {
        let values = numbers(rep.get("values").ok_or("repeat without values")?)?;
        let counts = rep
            .get("counts")
            .and_then(Value::as_array)
            .ok_or("repeat without counts")?;
        let mut out = Vec::new();
        for (value, count) in values.iter().zip(counts) {
            let c = count
                .as_u64()
                .ok_or("repeat count must be a non-negative integer")?;
            out.extend(std::iter::repeat_n(*value, c as usize));
        }
        return Ok(out);
    }
    if let Some(ms) = data.get("modseq") {
        let int = |k: &str| {
            ms.get(k)
                .and_then(Value::as_u64)
                .ok_or(format!("modseq.{k}"))
        };
        let real = |k: &str| {
            ms.get(k)
                .and_then(from_json_ref)
                .ok_or(format!("modseq.{k}"))
        };
        let (n, a, c, m) = (int("n")?, int("a")?, int("c")?, int("m")?);
        let (scale, offset) = (real("scale")?, real("offset")?);
        if m == 0 {
            return Err("modseq.m must be positive".into());
        }
        // Integer arithmetic for the residue, then divide, multiply, add in that order.
        return (0..n)
            .map(|i| {
                let r = a
                    .checked_mul(i)
                    .and_then(|v| v.checked_add(c))
                    .ok_or("modseq overflow")?;
                Ok(((r % m) as f64 / m as f64) * scale + offset)
            })
            .collect();
    }
    Err("unknown sample encoding".into())
}

fn from_json_ref(v: &Value) -> Option<f64> {
    from_json(v)
}

fn verify(values: &[f64], check: &Value) -> Result<(), String> {
    if let Some(n) = check.get("n").and_then(Value::as_u64)
        && n as usize != values.len()
    {
        return Err(format!("check.n {n} but decoded {}", values.len()));
    }
    // numpy's pairwise sum differs from an exactly rounded one in the last bits only.
    if let Some(want) = check.get("sum").and_then(from_json_ref) {
        let got = super::ttest::compensated_sum(values);
        if (got - want).abs() > 1e-12 * want.abs() {
            return Err(format!("check.sum {want:e} but decoded sum {got:e}"));
        }
    }
    if let Some(first) = check.get("first").and_then(Value::as_array) {
        for (i, want) in first.iter().enumerate() {
            let want = from_json(want).ok_or("check.first must hold numbers")?;
            if values.get(i).map(|v| v.to_bits()) != Some(want.to_bits()) {
                return Err(format!("check.first[{i}] mismatch"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeat_and_modseq_expand() {
        let r = decode_sample(
            &json!({"data": {"repeat": {"values": [1.5, 2], "counts": [2, 1]}},
            "check": {"n": 3}}),
        )
        .unwrap();
        assert_eq!(r, vec![1.5, 1.5, 2.0]);
        let m = decode_sample(
            &json!({"modseq": {"n": 3, "a": 3, "c": 1, "m": 4, "scale": 2.0,
            "offset": 1.0}}),
        )
        .unwrap();
        // residues 1, 0, 3 -> 0.25, 0, 0.75 -> *2 + 1
        assert_eq!(m, vec![1.5, 1.0, 2.5]);
    }

    #[test]
    fn failed_check_is_reported() {
        let bad = json!({"data": [1.0, 2.0], "check": {"n": 3}});
        assert!(decode_sample(&bad).is_err());
    }
}
