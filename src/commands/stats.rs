//! `vigil stats`: placeholder until its implementation lands.

/// Arguments of `vigil stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {}

/// Run the command; returns the exit code.
pub fn run(_args: &StatsArgs) -> i32 {
    eprintln!("not implemented yet");
    2
}
