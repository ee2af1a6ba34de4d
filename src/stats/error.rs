//! The one error type of the statistics engine. `code` is stable (snake_case) and is what
//! `vigil stats` prints; `message` explains it to a person.

/// A refused statistical request: bad input, or a computation that is undefined for it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StatsError {
    pub code: &'static str,
    pub message: String,
}

impl StatsError {
    /// A request that is malformed or names unknown options (`invalid_request`).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: "invalid_request",
            message: message.into(),
        }
    }

    /// Input for which the statistic is undefined, e.g. an empty sample (`invalid_input`).
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            code: "invalid_input",
            message: message.into(),
        }
    }

    /// A `function` name that `vigil stats` does not know (`unknown_function`).
    pub fn unknown_function(name: &str) -> Self {
        Self {
            code: "unknown_function",
            message: format!("unknown function {name:?}"),
        }
    }
}
