//! Alerting: when a monitored signal opens, refreshes or resolves an alert (pure rules with
//! deduplication per rule and stratum, cool-down and hysteresis), and the alert lifecycle
//! open -> acknowledged -> resolved, or escalated to an incident assessment.

pub mod alert;
pub mod alert_chart;
pub mod chart;
pub mod digest;
pub mod email;
pub mod mime;
pub mod outbox;
pub mod rules;
pub mod smtp;
pub mod webhook;
