//! One file per subcommand; each exposes `run(args) -> exit code`.

pub mod seg_metrics;
pub mod stats;
pub mod validate;

use crate::cli::{Cli, Command};

/// Run the chosen command and return the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Stats(args)) => stats::run(&args),
        Some(Command::Validate(args)) => validate::run(&args),
        Some(Command::SegMetrics(args)) => seg_metrics::run(&args),
        None => {
            eprintln!("vigil serve is not built yet");
            2
        }
    }
}
