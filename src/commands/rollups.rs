//! `vigil rollups rebuild [--from DAY] [--to DAY] [--days-per-step N]`: recompute the daily
//! rollups of a range of days from the stored events and reviews, one transaction per step of
//! N days, with a progress bar. Ingest keeps the rollups up to date and the migration that
//! created them filled them from the data already stored; this is the repair tool (and what
//! the scale bench runs after loading events with COPY).
//!
//! Steps bound the temporary space the database needs (a whole-table rebuild of 73 M events
//! filled PostgreSQL's disk with sort spill) and the damage of a crash: each step commits its
//! days whole, so after a crash every day is either as it was or rebuilt, and rerunning from
//! the failed step's first day finishes the job.

use std::io::IsTerminal;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Subcommand;

use crate::config::Settings;
use crate::storage::RollupStore;
use crate::storage::rollups::day_steps;

#[derive(Debug, Subcommand)]
pub enum RollupsCommand {
    /// Delete the daily rollups of a range of days and recompute them from the stored events
    /// and reviews, one transaction per step of days; rollups of other days are left as they
    /// are. Prints the rollup rows written, the days and the time taken.
    Rebuild(RebuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    /// First day to rebuild (YYYY-MM-DD, UTC); default: the first day with events, reviews or
    /// rollups.
    #[arg(long, value_name = "DAY")]
    pub from: Option<NaiveDate>,
    /// Last day to rebuild (YYYY-MM-DD, UTC), included; default: the last day with events,
    /// reviews or rollups.
    #[arg(long, value_name = "DAY")]
    pub to: Option<NaiveDate>,
    /// Days per transaction: the database's temporary space and a crash's loss are bounded by
    /// one step.
    #[arg(long, value_name = "N", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days_per_step: u32,
}

pub fn run(settings: &Settings, cmd: RollupsCommand) -> i32 {
    let RollupsCommand::Rebuild(args) = cmd;
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        eprintln!("error: --from {from} lies after --to {to}; give a --from on or before --to");
        return 2;
    }
    let store = match crate::app::open_store_migrated(settings) {
        Ok((store, _)) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    match rebuild(&store, &args) {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(line) => {
            eprintln!("{line}");
            1
        }
    }
}

/// Rebuild the requested days that lie within the stored data's span (outside it there is
/// nothing to read or delete); returns the summary line or the error line.
fn rebuild(store: &dyn RollupStore, args: &RebuildArgs) -> Result<String, String> {
    let started = Instant::now();
    let span = store
        .rollup_day_span()
        .map_err(|e| format!("error: reading the days to rebuild: {e}"))?;
    let Some((first, last)) = span else {
        return Ok("rebuilt daily rollups: 0 rows: no events, reviews or rollups stored".into());
    };
    let from = args.from.map_or(first, |d| d.max(first));
    let to = args.to.map_or(last, |d| d.min(last));
    let steps = day_steps(from, to, args.days_per_step);
    if steps.is_empty() {
        return Ok(format!(
            "rebuilt daily rollups: 0 rows: no events, reviews or rollups in the range \
             (stored days: {first} to {last})"
        ));
    }
    let visible = std::io::stderr().is_terminal();
    let bar = crate::commands::simulate::progress_bar(steps.len() as u64, "steps", visible);
    let mut rows = 0u64;
    for (i, &(a, b)) in steps.iter().enumerate() {
        bar.set_message(format!("{a} to {b}"));
        let written = store.rebuild_rollup_days(a, b).map_err(|e| {
            bar.abandon();
            format!(
                "error: rebuilding the daily rollups of {a} to {b} (step {} of {}): {e}; days \
                 before {a} are rebuilt and the others are as they were: rerun with --from {a}",
                i + 1,
                steps.len()
            )
        })?;
        rows += written;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(format!(
        "rebuilt daily rollups: {rows} rows in {:.1} s, days {from} to {to} in {} steps of \
         up to {} days",
        started.elapsed().as_secs_f64(),
        steps.len(),
        args.days_per_step
    ))
}
