//! Keyset paging of the read API's lists that grow without bound (findings, alerts,
//! evaluations, jobs): `limit` (each list documents its default and maximum) and `next`, an
//! opaque cursor naming where the previous page ended. Answers are `{"items": [...], "next":
//! "..." | null}`; a page continues exactly after the last row of the one before, in a total
//! order (a time, then the id), so rows sharing a timestamp are neither repeated nor skipped.
//! Also the one meaning of the `model` query parameter on every read route.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::FieldIssue;
use crate::error::AppError;
use crate::storage::Store;

/// One page of a list and the cursor of the next (`null` after the last page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `next` to get the following page; `null` when this page is the last.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The page of `rows` (fetched with `limit + 1`, so a further row tells that more follow),
    /// with `key` turning the page's last row into the next cursor.
    pub fn of(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Cursor) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|r| key(r).encode())
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// 422 `invalid_cursor` naming `next`.
pub fn bad_cursor() -> AppError {
    refuse(
        "next",
        "invalid_cursor",
        "next must be a cursor returned by this list (pass it back unchanged)".into(),
    )
}

fn refuse(field: &str, code: &'static str, message: String) -> AppError {
    AppError::Rule {
        code,
        conflict: false,
        message: message.clone(),
        details: vec![FieldIssue {
            index: None,
            path: field.into(),
            code: code.into(),
            message,
        }],
    }
}

/// The page size asked for: `default` when absent; 422 `invalid_limit` naming `limit` when it
/// is not a whole number from 1 to `max`.
pub fn limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, AppError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(refuse(
            "limit",
            "invalid_limit",
            format!("limit must be a whole number from 1 to {max}"),
        )),
    }
}

/// The position after which a page starts: which list it belongs to and the key of the last
/// row already shown. Encoded as hex of a JSON array, to be passed back unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub list: &'static str,
    pub key: Vec<String>,
}

impl Cursor {
    pub fn new(list: &'static str, key: Vec<String>) -> Self {
        Cursor { list, key }
    }

    pub fn encode(&self) -> String {
        let mut all = vec![self.list.to_string()];
        all.extend(self.key.iter().cloned());
        hex::encode(serde_json::to_vec(&all).unwrap_or_default())
    }

    /// The key of a cursor of `list` with `parts` elements; 422 `invalid_cursor` naming
    /// `next` for anything else (a cursor of another list, an edited one, garbage).
    pub fn decode(
        raw: Option<&str>,
        list: &'static str,
        parts: usize,
    ) -> Result<Option<Vec<String>>, AppError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let bad = bad_cursor;
        let bytes = hex::decode(raw.trim()).map_err(|_| bad())?;
        let all: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        match all.split_first() {
            Some((l, key)) if l == list && key.len() == parts => Ok(Some(key.to_vec())),
            _ => Err(bad()),
        }
    }
}

/// A time in a cursor: RFC 3339 with microseconds (what both backends store).
pub fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The time of a cursor key; 422 `invalid_cursor` when it is not one.
pub fn parse_time_key(s: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad_cursor())
}

/// The `model` query parameter, one meaning on every read route: a model name (all its
/// versions) or a model version id `name@version`. A model that is not registered is 404
/// `not_found` (a typo never reads as "nothing happened").
pub fn check_model(store: &dyn Store, model: &str) -> Result<(), AppError> {
    let known = store.list_models()?.iter().any(|m| {
        if model.contains('@') {
            m.id == model
        } else {
            m.name == model
        }
    });
    if known {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "no model {model:?} is registered (model is a name, or name@version)"
        )))
    }
}

/// The model name of a `model` parameter (`name@version` → `name`).
pub fn model_name(model: &str) -> &str {
    model.split_once('@').map_or(model, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_for_its_own_list() {
        let c = Cursor::new(
            "alerts",
            vec!["2026-01-01T00:00:00.000000Z".into(), "a-1".into()],
        );
        let raw = c.encode();
        assert_eq!(
            Cursor::decode(Some(&raw), "alerts", 2).unwrap(),
            Some(c.key)
        );
        assert!(Cursor::decode(Some(&raw), "findings", 2).is_err());
        assert!(Cursor::decode(Some(&raw), "alerts", 3).is_err());
        assert!(Cursor::decode(Some("zz"), "alerts", 2).is_err());
        assert_eq!(Cursor::decode(None, "alerts", 2).unwrap(), None);
    }

    #[test]
    fn limits_outside_their_range_are_refused() {
        assert_eq!(limit(None, 50, 100).unwrap(), 50);
        assert_eq!(limit(Some("100"), 50, 100).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            let e = limit(Some(bad), 50, 100).unwrap_err();
            assert_eq!(e.code(), "invalid_limit", "{bad}");
        }
    }
}
