//! The one integration-test binary: one module per resource or command.

mod auth;
mod ingest;
mod migrations;
mod ops;
mod support;
