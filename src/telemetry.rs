//! Logging setup: `tracing` to stderr, human-readable or JSON (`VIGIL_LOG_FORMAT=json`); colour
//! only when stderr is a terminal.
//! No request or response bodies are ever logged: they may hold what a site should not send.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Install the global subscriber once; later calls are ignored (tests build many apps).
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person at a terminal: piped into journald or a file they are noise.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
