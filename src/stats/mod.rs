//! Statistics engine: drift tests, intervals, paired and sequential tests. Pure: no framework,
//! database or I/O imports. Every function is checked against scipy/statsmodels/Evidently
//! reference vectors (`tests/fixtures/stats/`).
//!
//! Ownership of files while the engine is built in parallel:
//! - hypothesis tests, intervals, counts, multiplicity, `json_api`, `validation`: tests team;
//! - distances, binning, sequential detectors, column drift, `json_api_drift`,
//!   `validation_drift`: drift team.

pub mod alternative;
pub mod arl;
pub mod arl_estimated;
pub mod binning;
pub mod bootstrap;
pub mod chi2;
pub mod column_drift;
pub mod column_drift_types;
pub mod counts;
pub mod distance;
pub mod error;
pub mod fast_sort;
pub mod fixture_sample;
pub mod intervals;
pub mod json_api;
pub mod json_api_drift;
pub mod json_api_drift_dist;
pub mod json_api_hypothesis;
pub mod json_num;
pub mod ks;
pub mod ks_paths;
pub mod kstwo;
pub mod label_count;
pub mod mannwhitneyu;
pub mod multiplicity;
pub mod noninferiority;
pub mod np_sum;
pub mod ranks;
pub mod sequential;
pub mod smirnov;
pub mod special;
pub mod ttest;
pub mod validation;
pub mod validation_cases;
pub mod validation_drift;
pub mod wilcoxon;

pub use error::StatsError;
