//! The one integration-test binary: one module per resource or command.

mod alerts;
mod auth;
mod cli;
mod crash;
mod email;
mod ingest;
mod masks;
mod migrations;
mod monitoring;
mod monitoring_support;
mod ops;
mod plans;
mod retraining;
mod scenario_e2e;
mod seg_fixtures;
mod seg_library;
mod seg_metrics_cli;
mod seg_oracle;
mod seg_props;
mod simulate;
mod sites;
mod stats_cli;
mod stats_drift;
mod support;
mod tidy;
mod webhook;
