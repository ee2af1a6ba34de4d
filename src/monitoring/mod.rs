//! Post-market monitoring: the PMS plan (what is monitored, how, and with which thresholds,
//! declared before data is seen), the frozen baseline every window is compared with, and the
//! evaluation of a plan into findings and per-stream signals. Pure: no framework, database or
//! I/O imports.

pub mod backtest;
pub mod baseline;
pub mod baseline_table;
pub mod charts;
pub mod columns;
pub mod constant;
pub mod evaluator;
pub mod explain;
pub mod findings;
pub mod plan;
pub mod plan_sequential;
pub mod retraining;
pub mod silence;
pub mod trend;
pub mod trend_eval;
pub mod window_tests;
