//! `vigil validate`: runs every reference case (scipy/statsmodels/Evidently vectors) through
//! the same dispatcher as `vigil stats` and prints the validation record: per case the id,
//! family, expected and obtained values, tolerance and verdict; the entries not checked and
//! why; a summary; the tool version and git commit. Exits 0 only if every case passes.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::stats::validation::{CaseRecord, Suite, all_cases, cases_from_dir, run_suite};

/// Arguments of `vigil validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Read the family files from this directory instead of the compiled-in fixtures.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Print the record as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// Version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Git commit this build was made from ("unknown" outside a git checkout).
pub fn git_commit() -> &'static str {
    option_env!("VIGIL_GIT_COMMIT").unwrap_or("unknown")
}

/// Run the command; returns the exit code.
pub fn run(args: &ValidateArgs) -> i32 {
    let suite = match &args.fixtures {
        Some(dir) => cases_from_dir(dir),
        None => all_cases(),
    };
    let suite = match suite {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: cannot load fixtures: {e} (point --fixtures at the folder of reference vectors)"
            );
            return 2;
        }
    };
    let records = run_suite(&suite);
    let failed = records.iter().filter(|r| !r.pass).count();
    if args.json {
        println!("{}", record_json(&suite, &records));
    } else {
        print_text(&suite, &records);
    }
    i32::from(failed > 0 || records.is_empty())
}

fn record_json(suite: &Suite, records: &[CaseRecord]) -> Value {
    let failed = records.iter().filter(|r| !r.pass).count();
    let cases: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({"id": r.id, "family": r.family, "function": r.function,
                "expected": r.expected, "obtained": r.obtained, "rel_tol": r.rel_tol,
                "abs_tol": r.abs_tol, "verdict": if r.pass { "PASS" } else { "FAIL" },
                "detail": r.detail})
        })
        .collect();
    let skipped: Vec<Value> = suite
        .skipped
        .iter()
        .map(|s| json!({"id": s.id, "family": s.family, "call": s.call, "reason": s.reason}))
        .collect();
    json!({
        "tool": "vigil", "version": VERSION, "commit": git_commit(),
        "summary": {"cases": records.len(), "passed": records.len() - failed,
            "failed": failed, "skipped_entries": skipped.len()},
        "cases": cases, "skipped": skipped,
    })
}

fn print_text(suite: &Suite, records: &[CaseRecord]) {
    println!(
        "vigil {VERSION} (commit {}) statistics validation",
        git_commit()
    );
    for r in records {
        let verdict = if r.pass { "PASS" } else { "FAIL" };
        println!(
            "{verdict} {} [{}] expected={} obtained={} rel_tol={:e} abs_tol={:e}{}",
            r.id,
            r.family,
            r.expected,
            r.obtained,
            r.rel_tol,
            r.abs_tol,
            if r.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.detail)
            }
        );
    }
    for s in &suite.skipped {
        println!("SKIP {} [{}] {} -- {}", s.id, s.family, s.call, s.reason);
    }
    let failed = records.iter().filter(|r| !r.pass).count();
    println!(
        "summary: {} cases, {} passed, {} failed, {} entries skipped; vigil {VERSION}, commit {}",
        records.len(),
        records.len() - failed,
        failed,
        suite.skipped.len(),
        git_commit()
    );
}
