//! Decoder for the sample encodings of the reference fixtures (`tests/fixtures/stats/`): a plain
//! JSON list, `{"repeat": {values, counts}}` or `{"modseq": {n, a, c, m, scale, offset}}`, and
//! the `{"data": ..., "check": ...}` wrapper. The JSON type of the values is the sample's dtype
//! (integers, floats or strings), which matters for Evidently's integer bin-width rule, so the
//! decoder keeps it.

use serde_json::Value;

use super::StatsError;
use super::json_num::from_json;

/// One decoded sample with its dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// Floating-point column (f64).
    Numeric(Vec<f64>),
    /// Integer column: values are kept as f64 (exact below 2^53) but flagged as integers.
    Integer(Vec<f64>),
    /// Categorical column.
    Categorical(Vec<String>),
}

impl Sample {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Sample::Numeric(v) | Sample::Integer(v) => v.len(),
            Sample::Categorical(v) => v.len(),
        }
    }

    /// True when the sample holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numeric values (integers included); `None` for a categorical sample.
    pub fn as_f64(&self) -> Option<&[f64]> {
        match self {
            Sample::Numeric(v) | Sample::Integer(v) => Some(v),
            Sample::Categorical(_) => None,
        }
    }
}

/// Decode a sample: a list, a `repeat` or `modseq` object, or a `{"data": ...}` wrapper.
pub fn decode_sample(v: &Value) -> Result<Sample, StatsError> {
    if let Some(data) = v.get("data") {
        return decode_sample(data);
    }
    if let Some(list) = v.as_array() {
        return decode_list(list);
    }
    if let Some(rep) = v.get("repeat") {
        return decode_repeat(rep);
    }
    if let Some(ms) = v.get("modseq") {
        return decode_modseq(ms).map(Sample::Numeric);
    }
    Err(StatsError::invalid(
        "a sample must be a list, {\"repeat\": ...} or {\"modseq\": ...}",
    ))
}

/// Decode a plain list; its first value decides the dtype. An empty list is numeric.
fn decode_list(list: &[Value]) -> Result<Sample, StatsError> {
    if list.iter().all(Value::is_string) && list.iter().any(|s| from_json(s).is_none()) {
        let cats = list
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_owned())
            .collect();
        return Ok(Sample::Categorical(cats));
    }
    let integer = !list.is_empty() && list.iter().all(|x| x.is_i64() || x.is_u64());
    let values = list
        .iter()
        .map(|x| from_json(x).ok_or_else(|| StatsError::invalid("sample values must be numbers")))
        .collect::<Result<Vec<f64>, _>>()?;
    Ok(if integer {
        Sample::Integer(values)
    } else {
        Sample::Numeric(values)
    })
}

fn decode_repeat(rep: &Value) -> Result<Sample, StatsError> {
    let values = rep
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| StatsError::invalid("repeat needs a \"values\" list"))?;
    let counts = rep
        .get("counts")
        .and_then(Value::as_array)
        .ok_or_else(|| StatsError::invalid("repeat needs a \"counts\" list"))?;
    if values.len() != counts.len() {
        return Err(StatsError::invalid(
            "repeat values and counts differ in length",
        ));
    }
    let mut expanded = Vec::new();
    for (v, c) in values.iter().zip(counts) {
        let c = c
            .as_u64()
            .ok_or_else(|| StatsError::invalid("repeat counts must be non-negative integers"))?;
        for _ in 0..c {
            expanded.push(v.clone());
        }
    }
    decode_list(&expanded)
}

/// `x_i = (f64((a*i + c) mod m) / f64(m)) * scale + offset`, integer part in 64 bits, then the
/// three double operations in exactly that order (no fused multiply-add) so every language
/// produces the same bits.
fn decode_modseq(ms: &Value) -> Result<Vec<f64>, StatsError> {
    let int = |k: &str| {
        ms.get(k)
            .and_then(Value::as_u64)
            .ok_or_else(|| StatsError::invalid(format!("modseq needs integer {k:?}")))
    };
    let float = |k: &str| {
        ms.get(k)
            .and_then(from_json)
            .ok_or_else(|| StatsError::invalid(format!("modseq needs number {k:?}")))
    };
    let (n, a, c, m) = (int("n")?, int("a")?, int("c")?, int("m")?);
    let (scale, offset) = (float("scale")?, float("offset")?);
    if m == 0 {
        return Err(StatsError::invalid("modseq m must be positive"));
    }
    let mf = m as f64;
    Ok((0..n)
        .map(|i| {
            let r = (a.wrapping_mul(i).wrapping_add(c)) % m;
            (r as f64 / mf) * scale + offset
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modseq_matches_the_fixture_check_values() {
        let v = json!({"modseq": {"n": 10001, "a": 7919, "c": 13, "m": 100003, "scale": 1.0, "offset": 0.0}});
        let Sample::Numeric(x) = decode_sample(&v).unwrap() else {
            panic!("numeric expected")
        };
        assert_eq!(x.len(), 10001);
        assert_eq!(x[0], 0.0001299961001169965);
        assert_eq!(x[1], 0.07931762047138585);
        let sum: f64 = x.iter().sum();
        assert!((sum - 5000.456776296711).abs() < 1e-8);
    }

    #[test]
    fn repeat_keeps_the_dtype() {
        let v = json!({"data": {"repeat": {"values": [0, 1], "counts": [2, 1]}}});
        assert_eq!(
            decode_sample(&v).unwrap(),
            Sample::Integer(vec![0.0, 0.0, 1.0])
        );
        let v = json!({"repeat": {"values": ["a", "b"], "counts": [1, 2]}});
        assert_eq!(
            decode_sample(&v).unwrap(),
            Sample::Categorical(vec!["a".into(), "b".into(), "b".into()])
        );
        let v = json!([1.0, "NaN"]);
        assert!(matches!(decode_sample(&v).unwrap(), Sample::Numeric(x) if x[1].is_nan()));
    }
}
