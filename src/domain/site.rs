//! A hospital site: a pseudonymous id chosen by the operator, never the hospital's patients.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A registered site.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Site {
    /// Pseudonymous id, e.g. `site-de-014`.
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub key_rotated_at: DateTime<Utc>,
}

/// Validate an operator-chosen identifier: 1..=64 chars of `[a-z0-9._-]`, starting alphanumeric.
pub fn check_identifier(what: &str, id: &str) -> Result<(), String> {
    let ok_chars = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let ok_start = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if id.is_empty() || id.len() > 64 || !ok_chars || !ok_start {
        return Err(format!(
            "{what} must be 1-64 characters of a-z, 0-9, '.', '_' or '-'"
        ));
    }
    Ok(())
}

/// Validate an ISO 3166-1 alpha-2 country code (two upper-case letters).
pub fn check_country(code: &str) -> Result<(), String> {
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err("country must be an ISO 3166-1 alpha-2 code such as DE".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_countries_are_checked() {
        assert!(check_identifier("site id", "site-de-014").is_ok());
        assert!(check_identifier("site id", "Site 1").is_err());
        assert!(check_identifier("site id", "-x").is_err());
        assert!(check_identifier("site id", &"a".repeat(65)).is_err());
        assert!(check_country("DE").is_ok());
        assert!(check_country("de").is_err());
    }
}
