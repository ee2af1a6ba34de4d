//! The one integration-test binary: one module per resource or command.

mod stats_drift;
