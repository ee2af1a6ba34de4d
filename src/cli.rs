//! The `vigil` command tree. Each subcommand's arguments live beside its implementation in
//! `commands/`, so this file only names the commands and explains them for `--help`.

use clap::{Parser, Subcommand};

use crate::commands;

/// Vigil: post-market surveillance for AI medical imaging devices (EU MDR).
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one statistical computation: a JSON request on stdin, a JSON result on stdout.
    /// Requests name scipy's function and keyword arguments; results use scipy's field names.
    Stats(commands::stats::StatsArgs),
    /// Run the built-in verification suite against the reference vectors and print a
    /// validation record (case, expected, obtained, tolerance, verdict, tool version).
    Validate(commands::validate::ValidateArgs),
    /// Compute Dice, IoU, HD, HD95, MASD, ASSD and NSD between two NIfTI label volumes.
    SegMetrics(commands::seg_metrics::SegMetricsArgs),
}
