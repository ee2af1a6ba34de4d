//! The one integration-test binary: one module per resource or command.

mod auth;
mod cli;
mod crash;
mod ingest;
mod migrations;
mod ops;
mod support;
