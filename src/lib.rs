//! Vigil: post-market surveillance of AI medical imaging devices under the EU MDR.
//!
//! Code map (one line per module; README's Architecture section walks the flows):
//! - `alerting`     alert rules (dedup, cool-down, hysteresis) and lifecycle (pure).
//! - `app`          wires concrete implementations; binds the listener.
//! - `blobs`        blob-store port (SHA-256 keys, atomic writes, checked reads); directory impl.
//! - `cli`          clap command tree; `commands/` holds one file per subcommand.
//! - `console`      console page registry, session rules and view models (pure).
//! - `config`       settings: defaults < TOML file < `VIGIL_*` env < `DATABASE_URL`.
//! - `domain`       entities and wire items with their validation (pure).
//! - `error`        `AppError` and the stable error-code table.
//! - `http`         actix-web routes, auth, body parsing, metrics, OpenAPI.
//! - `jobs`         job queue engine: kinds register handlers; runners lease, renew, retry.
//! - `monitoring`   PMS plans (and plan evaluation as it lands) (pure).
//! - `rendering`    report renderers: PDF (typst, embedded fonts) and JSON of a `reports::Document`.
//! - `reports`      PSUR / PMS report assembly into a document model with provenance (pure).
//! - `privacy`      screen refusing identifier-shaped values and keys; small-cell suppression (pure).
//! - `service`      use cases over the ports (`Store`, `Clock`).
//! - `shadow`       shadow evaluation: spec, sliding window, paired dossier (pure); the ort runner.
//! - `simulator`    fleet traffic generator: scenarios, demo model and plan, reference sample (pure).
//! - `stats`        drift tests, intervals, paired and sequential tests (pure).
//! - `segmentation` masks, NIfTI/RLE decoding, Dice/IoU/HD/HD95/MASD/NSD (pure).
//! - `storage`      the `Store` port and its diesel implementation (SQLite, PostgreSQL).
//! - `telemetry`    tracing setup (text or JSON).
//! - `tls`          the optional HTTPS listener's certificate, reloaded on SIGHUP.
//! - `vigilance`    devices, incident clocks (holiday calendar), IMDRF codes, MIR XML (pure).
//! - `web`          the console: server-rendered pages, sessions, CSRF (actix-web, maud).

pub mod alerting;
pub mod app;
pub mod blobs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod monitoring;
pub mod privacy;
pub mod rendering;
pub mod reports;
pub mod segmentation;
pub mod service;
pub mod shadow;
pub mod simulator;
pub mod stats;
pub mod storage;
pub mod telemetry;
pub mod tls;
pub mod vigilance;
pub mod web;
