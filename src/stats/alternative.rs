//! The alternative hypothesis of a test, with scipy's names ("two-sided", "less",
//! "greater") and statsmodels' aliases ("larger", "smaller") for the rate tests.

use super::StatsError;

/// Direction of the alternative hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// The effect may go either way.
    TwoSided,
    /// The first sample (or the statistic) is stochastically smaller.
    Less,
    /// The first sample (or the statistic) is stochastically larger.
    Greater,
}

impl Alternative {
    /// Parse scipy's spelling; statsmodels' "larger"/"smaller" only when `allow_sm` is set,
    /// because accepting both everywhere would hide typos in requests.
    pub fn parse(s: &str, allow_sm: bool) -> Result<Self, StatsError> {
        match s {
            "two-sided" => Ok(Self::TwoSided),
            "less" => Ok(Self::Less),
            "greater" => Ok(Self::Greater),
            "smaller" if allow_sm => Ok(Self::Less),
            "larger" if allow_sm => Ok(Self::Greater),
            _ => Err(StatsError::invalid(format!("unknown alternative {s:?}"))),
        }
    }
}
