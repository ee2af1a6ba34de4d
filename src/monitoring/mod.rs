//! Post-market monitoring: the PMS plan (what is monitored, how, and with which thresholds,
//! declared before data is seen) and, as it lands, plan evaluation into findings. Pure: no
//! framework, database or I/O imports.

pub mod plan;
pub mod retraining;
