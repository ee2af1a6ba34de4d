//! What the shadow-run pages show: the stored dossier read back into the figures a person
//! needs (verdict and its reasons, the paired statistics, strata, budget lines, per-case
//! differences, provenance), the run's progress as a percentage, and the metric's name. The
//! dossier is read leniently (only the fields shown), so an older stored dossier still opens.

use serde::Deserialize;

/// The test settings recorded in the dossier.
#[derive(Debug, Clone, Deserialize)]
pub struct SettingsView {
    pub metric: serde_json::Value,
    pub margin: f64,
    pub alpha: f64,
    pub bootstrap_resamples: usize,
    pub seed: u64,
}

/// One case of the dossier.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseView {
    pub case_ref: String,
    pub stratum: String,
    pub candidate: f64,
    pub baseline: f64,
    pub difference: f64,
    pub wall_ms: f64,
    pub compute_ms: f64,
    pub peak_mib: f64,
}

/// The paired statistics of the whole.
#[derive(Debug, Clone, Deserialize)]
pub struct OverallView {
    pub n: usize,
    pub mean_difference: f64,
    pub t_statistic: f64,
    pub t_pvalue: f64,
    pub t_ci_low: f64,
    pub bootstrap_ci_low: f64,
    pub wilcoxon_statistic: f64,
    pub wilcoxon_pvalue: f64,
    pub noninferior: bool,
}

/// One stratum.
#[derive(Debug, Clone, Deserialize)]
pub struct StratumView {
    pub stratum: String,
    pub n: usize,
    pub mean_difference: f64,
    pub ci_low: Option<f64>,
    pub flagged: bool,
}

/// One hardware budget line.
#[derive(Debug, Clone, Deserialize)]
pub struct BudgetView {
    pub line: String,
    pub measured: f64,
    pub limit: f64,
    pub pass: bool,
}

/// Where the numbers came from.
#[derive(Debug, Clone, Deserialize)]
pub struct ProvenanceView {
    pub candidate_sha256: String,
    pub baseline_sha256: String,
    pub case_list_sha256: String,
    pub onnxruntime: String,
    pub retraining_request: Option<String>,
    pub profile: serde_json::Value,
}

/// The dossier as the run page shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct DossierView {
    pub provenance: ProvenanceView,
    pub settings: SettingsView,
    pub cases: Vec<CaseView>,
    pub overall: OverallView,
    pub strata: Vec<StratumView>,
    pub budget: Vec<BudgetView>,
    pub passed: bool,
    pub reasons: Vec<String>,
}

impl DossierView {
    /// Read a stored dossier's JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The metric's name, with NSD's tolerance.
    pub fn metric_name(&self) -> String {
        metric_name(&self.settings.metric)
    }
}

/// `dice` → Dice, `hd95` → HD95, `{"nsd": {"tolerance_mm": t}}` → NSD at t mm.
pub fn metric_name(metric: &serde_json::Value) -> String {
    match metric {
        serde_json::Value::String(s) if s == "dice" => "Dice".into(),
        serde_json::Value::String(s) if s == "hd95" => "HD95".into(),
        serde_json::Value::Object(o) => match o.get("nsd").and_then(|n| n["tolerance_mm"].as_f64())
        {
            Some(t) => format!("NSD at {t} mm"),
            None => "NSD".into(),
        },
        other => other.to_string(),
    }
}

/// Whole percent of `done` out of `total` (0 when nothing is known yet), at most 100.
pub fn percent(done: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (done.clamp(0, total) * 100) / total
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metric_names_and_progress_read_as_a_person_expects() {
        assert_eq!(metric_name(&json!("dice")), "Dice");
        assert_eq!(metric_name(&json!("hd95")), "HD95");
        assert_eq!(
            metric_name(&json!({"nsd": {"tolerance_mm": 1.5}})),
            "NSD at 1.5 mm"
        );
        assert_eq!(percent(3, 12), 25);
        assert_eq!(percent(0, 0), 0);
        assert_eq!(percent(14, 12), 100);
    }
}
