//! A reference sample as uploaded (the validation set's feature vectors, CSV or JSON) or as
//! collected from the first events after go-live, before it is frozen. Column names are
//! checked against what the model declares: numeric features, the built-in numeric and
//! categorical columns (`scanner`, `scanner_manufacturer`, `scanner_model`, `output_status`),
//! and `dice.<label>` for per-case Dice of the validation set.

use std::collections::BTreeMap;

use serde_json::Value;

use super::columns::{BUILTIN_CATEGORICAL, CaseObs, DICE_PREFIX, ReviewObs, is_categorical};

/// Why a reference sample was refused; `column` names where, when it is one column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid reference sample{}: {message}", column.as_ref().map(|c| format!(" (column {c:?})")).unwrap_or_default())]
pub struct TableError {
    pub column: Option<String>,
    pub message: String,
}

fn err(column: Option<&str>, message: impl Into<String>) -> TableError {
    TableError {
        column: column.map(str::to_string),
        message: message.into(),
    }
}

/// Columns of a reference sample. Missing numeric cells are NaN (and counted as missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub numeric: BTreeMap<String, Vec<f64>>,
    pub categorical: BTreeMap<String, Vec<String>>,
    /// Per-case Dice by label.
    pub dice: BTreeMap<String, Vec<f64>>,
    pub rows: usize,
    /// Review outcomes (only when collected from reviews): edited and rejected counts.
    pub outcomes: Option<(u64, u64, u64)>,
}

enum Kind {
    Numeric,
    Categorical,
    Dice(String),
}

fn classify(name: &str, numeric: &[String]) -> Result<Kind, TableError> {
    if is_categorical(name) {
        return Ok(Kind::Categorical);
    }
    if let Some(label) = name.strip_prefix(DICE_PREFIX) {
        let ok = !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        return if ok {
            Ok(Kind::Dice(label.to_string()))
        } else {
            Err(err(Some(name), "a Dice column needs a label: dice.<label>"))
        };
    }
    if numeric.iter().any(|n| n == name) {
        return Ok(Kind::Numeric);
    }
    Err(err(
        Some(name),
        format!(
            "not a declared feature, built-in column or dice.<label>; known: {}, dice.<label>",
            numeric
                .iter()
                .map(String::as_str)
                .chain(BUILTIN_CATEGORICAL)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

fn number(text: &str, column: &str, row: usize) -> Result<f64, TableError> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") {
        return Ok(f64::NAN);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(err(Some(column), format!("row {row}: not a finite number"))),
    }
}

impl Table {
    fn push(
        &mut self,
        kind: &Kind,
        name: &str,
        cell: Cell<'_>,
        row: usize,
    ) -> Result<(), TableError> {
        match (kind, cell) {
            (Kind::Categorical, Cell::Text(t)) => self
                .categorical
                .entry(name.to_string())
                .or_default()
                .push(t.trim().to_string()),
            (Kind::Categorical, Cell::Number(v)) => self
                .categorical
                .entry(name.to_string())
                .or_default()
                .push(v.to_string()),
            (Kind::Categorical, Cell::Missing) => {}
            (Kind::Numeric, c) => {
                let v = c.number(name, row)?;
                self.numeric.entry(name.to_string()).or_default().push(v)
            }
            (Kind::Dice(label), c) => {
                let v = c.number(name, row)?;
                if !v.is_nan() && !(0.0..=1.0).contains(&v) {
                    return Err(err(Some(name), format!("row {row}: Dice outside [0, 1]")));
                }
                self.dice.entry(label.clone()).or_default().push(v)
            }
        }
        Ok(())
    }

    /// Parse CSV with a header row; `numeric` are the names allowed as numeric columns.
    pub fn from_csv(text: &str, numeric: &[String]) -> Result<Self, TableError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(None, format!("header: {e}")))?
            .clone();
        let kinds = headers
            .iter()
            .map(|h| classify(h, numeric))
            .collect::<Result<Vec<_>, _>>()?;
        check_unique(headers.iter())?;
        let mut table = Table::default();
        for (i, record) in reader.records().enumerate() {
            let row = i + 1;
            let record = record.map_err(|e| err(None, format!("row {row}: {e}")))?;
            for ((name, kind), cell) in headers.iter().zip(&kinds).zip(record.iter()) {
                table.push(kind, name, Cell::Text(cell), row)?;
            }
            table.rows += 1;
        }
        table.finish()
    }

    /// Parse JSON `{"columns": {"name": [values...], ...}}` (all columns of equal length;
    /// `null` is a missing value).
    pub fn from_json(text: &str, numeric: &[String]) -> Result<Self, TableError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| err(None, format!("JSON: {e}")))?;
        let columns = root
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("columns"))
            .and_then(Value::as_object)
            .ok_or_else(|| err(None, "expected {\"columns\": {name: [values]}}"))?;
        let mut table = Table::default();
        let mut rows = None;
        for (name, values) in columns {
            let kind = classify(name, numeric)?;
            let values = values
                .as_array()
                .ok_or_else(|| err(Some(name), "expected an array"))?;
            if *rows.get_or_insert(values.len()) != values.len() {
                return Err(err(Some(name), "columns differ in length"));
            }
            for (i, v) in values.iter().enumerate() {
                let cell = match v {
                    Value::Null => Cell::Missing,
                    Value::Number(n) => Cell::Number(n.as_f64().unwrap_or(f64::NAN)),
                    Value::String(s) => Cell::Text(s),
                    _ => return Err(err(Some(name), format!("row {}: not a value", i + 1))),
                };
                table.push(&kind, name, cell, i + 1)?;
            }
        }
        table.rows = rows.unwrap_or(0);
        table.finish()
    }

    fn finish(self) -> Result<Self, TableError> {
        if self.rows < 2 {
            return Err(err(None, "need at least 2 rows"));
        }
        if self.numeric.is_empty() && self.categorical.is_empty() && self.dice.is_empty() {
            return Err(err(None, "no column to freeze"));
        }
        Ok(self)
    }

    /// Collect a reference sample from stored cases and reviews (freeze after go-live).
    pub fn from_history(cases: &[&CaseObs], reviews: &[&ReviewObs]) -> Self {
        let mut table = Table {
            rows: cases.len(),
            ..Table::default()
        };
        let names: std::collections::BTreeSet<&String> =
            cases.iter().flat_map(|c| c.numeric.keys()).collect();
        for name in names {
            let col = cases
                .iter()
                .map(|c| c.numeric.get(name).copied().unwrap_or(f64::NAN))
                .collect();
            table.numeric.insert(name.clone(), col);
        }
        if !cases.is_empty() {
            for name in BUILTIN_CATEGORICAL {
                let values = cases
                    .iter()
                    .map(|c| c.category(name).unwrap_or_default().to_string())
                    .collect();
                table.categorical.insert(name.to_string(), values);
            }
        }
        for r in reviews {
            for (label, v) in &r.dice {
                table.dice.entry(label.clone()).or_default().push(*v);
            }
        }
        let count = |o: &str| reviews.iter().filter(|r| r.outcome == o).count() as u64;
        if !reviews.is_empty() {
            table.outcomes = Some((reviews.len() as u64, count("edited"), count("rejected")));
        }
        table
    }
}

#[derive(Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    Missing,
}

impl Cell<'_> {
    fn number(self, column: &str, row: usize) -> Result<f64, TableError> {
        match self {
            Cell::Text(t) => number(t, column, row),
            Cell::Number(v) if v.is_finite() => Ok(v),
            Cell::Number(_) => Err(err(Some(column), format!("row {row}: not finite"))),
            Cell::Missing => Ok(f64::NAN),
        }
    }
}

fn check_unique<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), TableError> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(err(Some(n), "column appears twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> Vec<String> {
        vec!["hu_mean".into(), "latency_ms".into()]
    }

    #[test]
    fn csv_and_json_give_the_same_table() {
        let csv = "hu_mean,scanner,dice.liver\n50.5,GE Revolution,0.93\n,Siemens Force,0.91\n";
        let json = r#"{"columns": {"hu_mean": [50.5, null], "scanner": ["GE Revolution", "Siemens Force"], "dice.liver": [0.93, 0.91]}}"#;
        let a = Table::from_csv(csv, &declared()).unwrap();
        let b = Table::from_json(json, &declared()).unwrap();
        assert_eq!(a.rows, 2);
        assert_eq!(a.categorical, b.categorical);
        assert_eq!(a.dice, b.dice);
        assert_eq!(a.numeric["hu_mean"][0], 50.5);
        assert!(a.numeric["hu_mean"][1].is_nan() && b.numeric["hu_mean"][1].is_nan());
    }

    #[test]
    fn unknown_columns_and_bad_cells_are_named() {
        let e = Table::from_csv("hu_mean,age\n1,2\n3,4\n", &declared()).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("age"));
        let e = Table::from_csv("hu_mean\n1\nabc\n", &declared()).unwrap_err();
        assert_eq!(e.column.as_deref(), Some("hu_mean"));
        assert!(e.message.contains("row 2"), "{e}");
        let e = Table::from_csv("dice.liver\n0.5\n1.5\n", &declared()).unwrap_err();
        assert!(e.message.contains("outside"), "{e}");
        let e = Table::from_json(
            r#"{"columns": {"hu_mean": [1, 2], "latency_ms": [1]}}"#,
            &declared(),
        )
        .unwrap_err();
        assert!(e.message.contains("length"), "{e}");
        assert!(Table::from_csv("hu_mean\n1\n", &declared()).is_err());
    }
}
