//! Session rules of the console: how long a sign-in lasts, how session ids and CSRF tokens
//! are made and compared, and which `next` targets a login may redirect to (only console
//! paths, so a crafted link cannot bounce a user to another site).

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const COOKIE: &str = "vigil_session";
/// Name of the short-lived cookie that guards the login form against login CSRF.
pub const LOGIN_COOKIE: &str = "vigil_login";
/// A sign-in lasts one working day; then the user signs in again.
pub const LIFETIME_HOURS: i64 = 10;

/// A fresh random token: 32 bytes as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the store keeps of a session id: its SHA-256, hex.
pub fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// When a session created at `now` expires.
pub fn expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::hours(LIFETIME_HOURS)
}

/// Whether a session expiring at `expires_at` is still valid at `now`.
pub fn is_live(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expires_at
}

/// Compare two tokens without revealing through timing where they first differ.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The redirect target after login: a console path, or the fleet overview.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/console" || n.starts_with("/console/"))
                && !n.contains("//")
                && !n.contains('\\')
                && n.chars().all(|c| c.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/console".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_hash_differs_from_id() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id_hash(&a), a);
        assert_eq!(id_hash(&a), id_hash(&a));
    }

    #[test]
    fn sessions_expire_after_their_lifetime() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let exp = expiry(now);
        assert!(is_live(exp, now + Duration::hours(LIFETIME_HOURS - 1)));
        assert!(!is_live(exp, exp));
        assert!(!is_live(exp, exp + Duration::seconds(1)));
    }

    #[test]
    fn token_comparison_needs_equal_non_empty_tokens() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn only_console_paths_are_redirect_targets() {
        assert_eq!(safe_next(Some("/console/alerts/x")), "/console/alerts/x");
        assert_eq!(safe_next(Some("/console")), "/console");
        for bad in [
            "https://evil.example",
            "//evil.example/console/",
            "/console//evil",
            "/consolex",
            "/api/v1/alerts",
            "/console/\\evil",
            "/console/a b",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console", "{bad}");
        }
        assert_eq!(safe_next(None), "/console");
    }
}
