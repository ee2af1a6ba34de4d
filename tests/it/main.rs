//! The one integration-test binary: one module per resource or command.

mod seg_fixtures;
mod seg_library;
mod seg_metrics_cli;
mod seg_oracle;
mod seg_props;
