//! Vigil: post-market surveillance of AI medical imaging devices under the EU MDR.
//!
//! Code map (one line per module; README's Architecture section walks the flows):
//! - `cli`          clap command tree; `commands/` holds one file per subcommand.
//! - `stats`        drift tests, intervals, paired and sequential tests (pure).
//! - `segmentation` masks, NIfTI/RLE decoding, Dice/IoU/HD/HD95/MASD/NSD (pure).
//! - `privacy`      screen refusing identifier-shaped values and keys; small-cell suppression (pure).

pub mod cli;
pub mod commands;
pub mod privacy;
pub mod segmentation;
pub mod stats;
