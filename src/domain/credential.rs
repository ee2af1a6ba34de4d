//! Site keys and user tokens: random, shown once, stored only as SHA-256 hashes. The prefix
//! (`vsk_` for sites, `vut_` for users) lets secret scanners and people tell them apart.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Which kind of principal a credential belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    SiteKey,
    UserToken,
}

impl CredentialKind {
    pub fn prefix(self) -> &'static str {
        match self {
            CredentialKind::SiteKey => "vsk_",
            CredentialKind::UserToken => "vut_",
        }
    }

    /// The kind a presented token claims by its prefix.
    pub fn of_token(token: &str) -> Option<Self> {
        [CredentialKind::SiteKey, CredentialKind::UserToken]
            .into_iter()
            .find(|k| token.starts_with(k.prefix()))
    }
}

/// A fresh credential: 256 random bits from the OS generator, hex-encoded after the prefix.
pub fn generate(kind: CredentialKind) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{}{}", kind.prefix(), hex::encode(bytes))
}

/// Lowercase hex SHA-256, the only form in which credentials are stored.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_unique_prefixed_and_hash_stably() {
        let a = generate(CredentialKind::SiteKey);
        let b = generate(CredentialKind::SiteKey);
        assert_ne!(a, b);
        assert_eq!(CredentialKind::of_token(&a), Some(CredentialKind::SiteKey));
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        // Known SHA-256 of "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
