//! The fleet simulator's traffic generator: realistic events and reviews of the demo model
//! `liver-seg` 1.0.0 from a fleet of sites, with changes injected from a scenario, and the
//! model's frozen-baseline reference sample. Everything is a pure function of the seed, site
//! and day (one random stream per site-day), so a day can be generated alone and a run can be
//! repeated exactly. Pure: no framework, database or I/O imports; `vigil simulate` posts the
//! traffic through the HTTP API.
//!
//! - `scenario`  the strict TOML scenario (traffic, injected changes) and the built-in one.
//! - `demo`      the demo model: feature schema, in-control distributions, default PMS plan.
//! - `site`      per-site profiles: country, scanner, acquisition protocol.
//! - `case`      one case: its event and, sometimes, its review; effects of the changes.
//! - `fleet`     `Fleet::site_day`: a site's traffic on one day.
//! - `reference` the reference sample as CSV for the frozen baseline.
//! - `sample`    seeded streams and the few distributions used.

pub mod case;
pub mod demo;
pub mod detection;
pub mod fleet;
pub mod reference;
pub mod sample;
pub mod scenario;
pub mod site;

pub use fleet::{Fleet, SiteDay};
pub use reference::reference_csv;
pub use scenario::{DEFAULT_SCENARIO, Scenario, ScenarioError};
pub use site::{SiteProfile, site_id};

#[cfg(test)]
mod tests;
