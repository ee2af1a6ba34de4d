//! Run-length encoded masks for the API, so that sites need not upload NIfTI files.
//!
//! Format (JSON): `{"shape":[nx,ny,nz],"spacing":[sx,sy,sz],"runs":[[start,len],...]}`.
//! `start` is a C-order flat index over `shape`, `(x*ny + y)*nz + z`, which is what numpy's
//! default `mask.ravel()` gives for the array as nibabel returns it; `len >= 1` voxels follow
//! in that order. A run may carry a third element, its label value (`[start,len,label]`);
//! without it the label is 1. Runs must be sorted, must not overlap, and must stay inside
//! the volume; voxels outside every run are background (0). Spacing is in mm per axis.

use serde::{Deserialize, Serialize};

use super::error::MaskError;
use super::volume::{CodeBook, DecodeLimits, LabelData, LabelVolume, check_spacing};

/// One run: `[start, len]` (label 1) or `[start, len, label]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Run {
    Binary(u64, u64),
    Labelled(u64, u64, f64),
}

/// A run-length encoded label volume (see the module doc for the exact format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RleMask {
    pub shape: [u64; 3],
    pub spacing: [f64; 3],
    pub runs: Vec<Run>,
}

/// Decode a run-length encoded mask, validating every run against shape and limits.
pub fn decode_rle(mask: &RleMask, limits: &DecodeLimits) -> Result<LabelVolume, MaskError> {
    check_spacing(mask.spacing)?;
    let voxels = mask
        .shape
        .iter()
        .try_fold(1u64, |acc, &n| acc.checked_mul(n))
        .ok_or_else(|| MaskError::InvalidRle("shape overflows".into()))?;
    if mask.shape.contains(&0) {
        return Err(MaskError::InvalidRle(format!("shape {:?}", mask.shape)));
    }
    if voxels > limits.max_voxels {
        return Err(MaskError::TooLarge {
            voxels,
            limit: limits.max_voxels,
        });
    }
    let shape = mask.shape.map(|n| n as usize);
    let mut codes = vec![0u16; voxels as usize];
    let mut book = CodeBook::new();
    let mut next_free = 0u64;
    for (n, run) in mask.runs.iter().enumerate() {
        let (start, len, label) = match *run {
            Run::Binary(s, l) => (s, l, 1.0),
            Run::Labelled(s, l, v) => (s, l, v),
        };
        let end = start.checked_add(len).filter(|&e| e <= voxels);
        let Some(end) = end.filter(|_| len >= 1 && start >= next_free) else {
            return Err(MaskError::InvalidRle(format!(
                "run {n} [{start}, {len}] overlaps, is empty, or leaves the volume"
            )));
        };
        if !label.is_finite() || label == 0.0 {
            return Err(MaskError::InvalidRle(format!("run {n} has label {label}")));
        }
        let code = book.code(label)?;
        scatter(&mut codes, shape, start as usize, end as usize, code);
        next_free = end;
    }
    book.finish(shape, mask.spacing, codes)
}

/// Write `code` at C-order indices `[start, end)` of a volume stored axis 0 fastest.
fn scatter(codes: &mut [u16], shape: [usize; 3], start: usize, end: usize, code: u16) {
    let [nx, ny, nz] = shape;
    let (mut x, mut y, mut z) = (start / (ny * nz), (start / nz) % ny, start % nz);
    for _ in start..end {
        codes[x + nx * (y + ny * z)] = code;
        z += 1;
        if z == nz {
            z = 0;
            y += 1;
            if y == ny {
                y = 0;
                x += 1;
            }
        }
    }
}

/// Encode a volume as runs (labels as the third element unless every label is 1).
pub fn encode_rle(volume: &LabelVolume) -> RleMask {
    let [nx, ny, nz] = volume.shape();
    let palette = volume.palette();
    let value = |x: usize, y: usize, z: usize| {
        let i = x + nx * (y + ny * z);
        match volume.data() {
            LabelData::U8(d) => palette[usize::from(d[i])],
            LabelData::U16(d) => palette[usize::from(d[i])],
        }
    };
    let mut runs: Vec<(u64, u64, f64)> = Vec::new();
    let mut flat = 0u64;
    for x in 0..nx {
        for y in 0..ny {
            for z in 0..nz {
                let v = value(x, y, z);
                match runs.last_mut() {
                    Some(r) if v != 0.0 && r.0 + r.1 == flat && r.2.to_bits() == v.to_bits() => {
                        r.1 += 1
                    }
                    _ if v != 0.0 => runs.push((flat, 1, v)),
                    _ => {}
                }
                flat += 1;
            }
        }
    }
    let binary = runs.iter().all(|r| r.2 == 1.0);
    RleMask {
        shape: volume.shape().map(|n| n as u64),
        spacing: volume.spacing(),
        runs: runs
            .into_iter()
            .map(|(s, l, v)| {
                if binary {
                    Run::Binary(s, l)
                } else {
                    Run::Labelled(s, l, v)
                }
            })
            .collect(),
    }
}
