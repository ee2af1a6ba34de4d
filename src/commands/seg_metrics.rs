//! `vigil seg-metrics`: placeholder until its implementation lands.

/// Arguments of `vigil seg-metrics`.
#[derive(Debug, clap::Args)]
pub struct SegMetricsArgs {}

/// Run the command; returns the exit code.
pub fn run(_args: &SegMetricsArgs) -> i32 {
    eprintln!("not implemented yet");
    2
}
