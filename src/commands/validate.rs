//! `vigil validate`: placeholder until its implementation lands.

/// Arguments of `vigil validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {}

/// Run the command; returns the exit code.
pub fn run(_args: &ValidateArgs) -> i32 {
    eprintln!("not implemented yet");
    2
}
