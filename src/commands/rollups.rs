//! `vigil rollups rebuild`: recompute the daily rollups from the stored events and reviews.
//! Ingest keeps them up to date and the migration that created them filled them from the
//! data already stored; this is the repair tool (and what the scale bench runs after loading
//! events with COPY).

use std::time::Instant;

use clap::Subcommand;

use crate::config::Settings;
use crate::storage::RollupStore;

#[derive(Debug, Subcommand)]
pub enum RollupsCommand {
    /// Delete every daily rollup and recompute them from the stored events and reviews in
    /// one transaction; prints the rollup rows written and the time taken.
    Rebuild,
}

pub fn run(settings: &Settings, cmd: RollupsCommand) -> i32 {
    let RollupsCommand::Rebuild = cmd;
    let store = match crate::app::open_store_migrated(settings) {
        Ok((store, _)) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let started = Instant::now();
    match store.rebuild_rollups() {
        Ok(rows) => {
            println!(
                "rebuilt daily rollups: {rows} rows in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            0
        }
        Err(e) => {
            eprintln!("error: rebuilding the daily rollups: {e}");
            1
        }
    }
}
