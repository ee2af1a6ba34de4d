//! Entry point: parse the command line and hand over to the chosen command.

use clap::Parser;

fn main() {
    let cli = vigil::cli::Cli::parse();
    let code = vigil::commands::dispatch(cli);
    std::process::exit(code);
}
