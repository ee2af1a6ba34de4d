//! `vigil stats`: one statistical computation per call. Reads one JSON request from stdin (or
//! `--input FILE`), prints one JSON result on stdout and exits 0; a request that cannot be
//! served prints `{"error": {"code", "message"}}` on stdout and exits 2, so scripts can tell
//! a refused request from a crash.

use std::io::Read;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::stats::StatsError;
use crate::stats::json_api::dispatch;

/// Arguments of `vigil stats`.
#[derive(Debug, clap::Args)]
#[command(after_help = STATS_EXAMPLE)]
pub struct StatsArgs {
    /// Read the request from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
}

/// Shown under `vigil stats --help`: a request and its answer.
const STATS_EXAMPLE: &str = r#"Example (scipy.stats.ks_2samp with scipy's keywords):
  echo '{"function": "ks_2samp", "data1": [0.1, 0.4, 0.7, 1.2], "data2": [0.5, 0.9, 1.3, 1.8, 2.2]}' | vigil stats
  {"method_used":"exact","pvalue":0.2857142857142857,"statistic":0.6,...}

Functions: ks_2samp, chi2_contingency, mannwhitneyu, wilcoxon, ttest_rel, t_interval,
noninferiority, proportion_confint, binomtest, poisson_test, poisson_2indep, garwood_interval,
false_discovery_control, bootstrap_ci, wasserstein_distance, jensenshannon, psi, js_drift,
cusum, ewma, cusum_design, cusum_arl. Keywords and result fields are scipy's (statsmodels' for
proportion_confint and the Poisson tests); omitted options take their defaults and unknown keys
are refused. A refused request prints {"error": {"code", "message"}} and exits 2."#;

/// Run the command; returns the exit code.
pub fn run(args: &StatsArgs) -> i32 {
    match read_request(args).and_then(|req| dispatch(&req)) {
        Ok(result) => {
            println!("{result}");
            0
        }
        Err(e) => {
            println!("{}", error_json(&e));
            2
        }
    }
}

/// The error object printed for a refused request.
pub fn error_json(e: &StatsError) -> Value {
    json!({"error": {"code": e.code, "message": e.message}})
}

fn read_request(args: &StatsArgs) -> Result<Value, StatsError> {
    let mut text = String::new();
    match &args.input {
        Some(path) => {
            text = std::fs::read_to_string(path)
                .map_err(|e| StatsError::invalid(format!("cannot read {}: {e}", path.display())))?;
        }
        None => {
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| StatsError::invalid(format!("cannot read stdin: {e}")))?;
        }
    }
    serde_json::from_str(&text)
        .map_err(|e| StatsError::invalid(format!("request is not JSON: {e}")))
}
