//! User roles and what each may do. Sites are not users: they hold site keys and may only
//! write their own events and reviews.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The role of a user token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages sites, users and keys; may do everything.
    Admin,
    /// Regulatory affairs: reports, read access.
    Regulatory,
    /// Quality managers: alerts, incidents, read access.
    Quality,
    /// ML team: models, shadow evaluation, retraining.
    Ml,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Regulatory, Role::Quality, Role::Ml];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Regulatory => "regulatory",
            Role::Quality => "quality",
            Role::Ml => "ml",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; expected admin, regulatory, quality or ml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_is_refused() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
