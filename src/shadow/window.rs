//! Sliding-window inference with Gaussian importance blending, as MONAI 1.6's
//! `sliding_window_inference(mode="gaussian", sigma_scale=0.125, padding_mode="constant",
//! cval=0)` computes it (monai/inferers/utils.py, with `dense_patch_slices` and
//! `compute_importance_map` from monai/data/utils.py), ported step by step:
//! 1. an axis shorter than the patch is zero-padded (half before, the rest after);
//! 2. the scan interval per axis is `int(patch * (1 - overlap))` (at least 1; the patch
//!    itself where patch == image), window starts step by it and the last one is pulled back
//!    to end at the border; windows are visited with the first axis slowest;
//! 3. the weight map is the product of 1D Gaussians `exp(x^2 / (-2 sigma^2))`, `x` running
//!    over `-(p-1)/2 .. (p-1)/2`, `sigma = 0.125 p`, computed in float32 and clamped below at
//!    `max(min, 1e-3)`;
//! 4. each window's output is multiplied by the map and added; the sum is divided by the
//!    summed weights; padding is cut off.
//!
//! Patches go to the runner in batches of at most `batch`, so the memory held at once is the
//! volume-sized sums plus one batch (see `profile::MemoryPlan`).

use std::borrow::Cow;
use std::mem::take;

use super::error::ShadowError;
use super::runner::ModelRunner;

/// A single-channel volume in C order over `shape` = (D, H, W).
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub shape: [usize; 3],
    pub data: Vec<f32>,
}

/// The blended network output: `channels` volumes of `shape`, channel-major, C order.
#[derive(Debug, Clone, PartialEq)]
pub struct Blended {
    pub shape: [usize; 3],
    pub channels: usize,
    pub data: Vec<f32>,
    /// Windows run.
    pub windows: usize,
    /// Time the runner reported inside its calls, in nanoseconds.
    pub compute_ns: u64,
}

/// Scan interval per axis (MONAI's `_get_scan_interval`).
pub fn scan_interval(image: [usize; 3], roi: [usize; 3], overlap: f64) -> [usize; 3] {
    std::array::from_fn(|i| {
        if roi[i] == image[i] {
            roi[i]
        } else {
            // Same float expression as Python's int(roi * (1 - o)), truncating.
            ((roi[i] as f64 * (1.0 - overlap)) as usize).max(1)
        }
    })
}

/// Window starts along one axis (MONAI's `dense_patch_slices` for one dimension).
fn axis_starts(image: usize, roi: usize, interval: usize) -> Vec<usize> {
    let num = image.div_ceil(interval);
    let count = (0..num)
        .find(|d| d * interval + roi >= image)
        .map_or(1, |d| d + 1);
    (0..count)
        .map(|i| {
            let start = i * interval;
            start - (start + roi).saturating_sub(image)
        })
        .collect()
}

/// All window starts, first axis slowest (numpy's meshgrid with indexing="ij").
pub fn window_starts(image: [usize; 3], roi: [usize; 3], overlap: f64) -> Vec<[usize; 3]> {
    let interval = scan_interval(image, roi, overlap);
    let per: Vec<Vec<usize>> = (0..3)
        .map(|i| axis_starts(image[i], roi[i], interval[i]))
        .collect();
    let mut out = Vec::with_capacity(per.iter().map(Vec::len).product());
    for &a in &per[0] {
        for &b in &per[1] {
            for &c in &per[2] {
                out.push([a, b, c]);
            }
        }
    }
    out
}

/// The Gaussian importance map of a patch, C order, float32 as MONAI computes it.
pub fn gaussian_map(roi: [usize; 3]) -> Vec<f32> {
    let axis = |n: usize| -> Vec<f32> {
        let sigma = n as f64 * 0.125;
        let two_sigma_sq = (-2.0 * sigma * sigma) as f32;
        (0..n)
            .map(|i| {
                let x = -((n as f32 - 1.0) / 2.0) + i as f32;
                (x * x / two_sigma_sq).exp()
            })
            .collect()
    };
    let (g0, g1, g2) = (axis(roi[0]), axis(roi[1]), axis(roi[2]));
    let mut map = Vec::with_capacity(roi.iter().product());
    for a in &g0 {
        for b in &g1 {
            let ab = a * b;
            for c in &g2 {
                map.push(ab * c);
            }
        }
    }
    let floor = map.iter().copied().fold(f32::INFINITY, f32::min).max(1e-3);
    map.iter_mut().for_each(|v| *v = v.max(floor));
    map
}

/// Zero-pad axes shorter than the patch; returns the padded volume and the offsets.
fn pad(volume: &Volume, roi: [usize; 3]) -> (Cow<'_, Volume>, [usize; 3]) {
    let s = volume.shape;
    let before: [usize; 3] = std::array::from_fn(|i| roi[i].saturating_sub(s[i]) / 2);
    if s.iter().zip(roi).all(|(a, b)| *a >= b) {
        return (Cow::Borrowed(volume), before);
    }
    let p: [usize; 3] = std::array::from_fn(|i| s[i].max(roi[i]));
    let mut data = vec![0.0f32; p.iter().product()];
    for x in 0..s[0] {
        for y in 0..s[1] {
            let src = (x * s[1] + y) * s[2];
            let dst = ((x + before[0]) * p[1] + y + before[1]) * p[2] + before[2];
            data[dst..dst + s[2]].copy_from_slice(&volume.data[src..src + s[2]]);
        }
    }
    (Cow::Owned(Volume { shape: p, data }), before)
}

/// Copy the patch at `start` of `v` into `out` (C order over `roi`).
fn cut(v: &Volume, start: [usize; 3], roi: [usize; 3], out: &mut [f32]) {
    let s = v.shape;
    let mut o = 0;
    for x in start[0]..start[0] + roi[0] {
        for y in start[1]..start[1] + roi[1] {
            let src = (x * s[1] + y) * s[2] + start[2];
            out[o..o + roi[2]].copy_from_slice(&v.data[src..src + roi[2]]);
            o += roi[2];
        }
    }
}

/// Weighted add of one window's `channels` outputs into the sums.
fn add_window(
    sums: &mut [f32],
    shape: [usize; 3],
    start: [usize; 3],
    roi: [usize; 3],
    patch: &[f32],
    weights: &[f32],
) {
    let pv = weights.len();
    let nv: usize = shape.iter().product();
    for (ch, out) in patch.chunks_exact(pv).enumerate() {
        let plane = &mut sums[ch * nv..(ch + 1) * nv];
        let mut o = 0;
        for x in start[0]..start[0] + roi[0] {
            for y in start[1]..start[1] + roi[1] {
                let dst = (x * shape[1] + y) * shape[2] + start[2];
                let row = &mut plane[dst..dst + roi[2]];
                for ((acc, p), w) in row
                    .iter_mut()
                    .zip(&out[o..o + roi[2]])
                    .zip(&weights[o..o + roi[2]])
                {
                    *acc += w * p;
                }
                o += roi[2];
            }
        }
    }
}

/// Run `runner` over `volume` in windows of `roi` with `overlap`, at most `batch` windows a
/// call, and blend the outputs with Gaussian weights.
pub fn sliding_window<R: ModelRunner + ?Sized>(
    runner: &mut R,
    volume: &Volume,
    roi: [usize; 3],
    overlap: f64,
    batch: usize,
) -> Result<Blended, ShadowError> {
    let window = WindowSettings {
        roi,
        overlap,
        batch,
    };
    sliding_window_cached(runner, volume, window, &mut WeightCache::default())
}

/// Patch size, overlap and patches per runner call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowSettings {
    pub roi: [usize; 3],
    pub overlap: f64,
    pub batch: usize,
}

/// `sliding_window` reusing the weight maps in `cache` when shape and windows repeat.
pub fn sliding_window_cached<R: ModelRunner + ?Sized>(
    runner: &mut R,
    volume: &Volume,
    WindowSettings {
        roi,
        overlap,
        batch,
    }: WindowSettings,
    cache: &mut WeightCache,
) -> Result<Blended, ShadowError> {
    let (padded, before) = pad(volume, roi);
    let starts = window_starts(padded.shape, roi, overlap);
    // Buffers of the previous run, reused: no fresh volume-sized allocation (page faults,
    // and unmapping that interrupts the other core) per case and model.
    let (mut sums, mut input) = (take(&mut cache.spare_sums), take(&mut cache.input));
    let (weights, counts) = cache.maps(padded.shape, roi, &starts);
    let pv = weights.len();
    let (mut channels, mut compute_ns) = (0usize, 0u64);
    input.resize(batch.max(1) * pv, 0.0);
    for group in starts.chunks(batch.max(1)) {
        for (i, &s) in group.iter().enumerate() {
            cut(&padded, s, roi, &mut input[i * pv..(i + 1) * pv]);
        }
        let n = group.len();
        let mut blend = |data: &[f32], k: usize| {
            if k == 0 || data.len() != n * k * pv {
                return Err(ShadowError::InferenceFailed(format!(
                    "the model returned {} values for {n} patches of {pv} voxels",
                    data.len()
                )));
            }
            if channels == 0 {
                channels = k;
                sums.resize(channels * padded.data.len(), 0.0);
            } else if k != channels {
                return Err(ShadowError::InferenceFailed(
                    "output channels changed between batches".into(),
                ));
            }
            for (i, &s) in group.iter().enumerate() {
                let patch = &data[i * k * pv..(i + 1) * k * pv];
                add_window(&mut sums, padded.shape, s, roi, patch, weights);
            }
            Ok(())
        };
        compute_ns +=
            runner.run_lending(&input[..n * pv], [n, 1, roi[0], roi[1], roi[2]], &mut blend)?;
    }
    let nv = padded.data.len();
    for plane in sums.chunks_exact_mut(nv) {
        plane.iter_mut().zip(counts).for_each(|(v, c)| *v /= c);
    }
    cache.input = input;
    Ok(Blended {
        data: crop(sums, channels, padded.shape, before, volume.shape),
        shape: volume.shape,
        channels,
        windows: starts.len(),
        compute_ns,
    })
}

/// What the weight maps depend on: padded volume shape, patch size, window starts.
type MapsKey = ([usize; 3], [usize; 3], Vec<[usize; 3]>);

/// The Gaussian map of a patch and the summed weights over a volume, kept for the next call
/// with the same volume shape, patch and window starts (both models of a case share them),
/// and the window's working buffers, kept for the next run.
#[derive(Debug, Default)]
pub struct WeightCache {
    key: Option<MapsKey>,
    weights: Vec<f32>,
    counts: Vec<f32>,
    /// The patch batch handed to the runner.
    input: Vec<f32>,
    /// A blended output's buffer given back by `recycle`, emptied.
    spare_sums: Vec<f32>,
}

impl WeightCache {
    /// Give back a blended output's buffer once it is no longer needed, for the next run.
    pub fn recycle(&mut self, mut data: Vec<f32>) {
        data.clear();
        self.spare_sums = data;
    }

    fn maps(
        &mut self,
        shape: [usize; 3],
        roi: [usize; 3],
        starts: &[[usize; 3]],
    ) -> (&[f32], &[f32]) {
        let hit = self
            .key
            .as_ref()
            .is_some_and(|(s, r, w)| *s == shape && *r == roi && w.as_slice() == starts);
        if !hit {
            self.weights = gaussian_map(roi);
            let ones = vec![1.0f32; self.weights.len()];
            self.counts = vec![0.0f32; shape.iter().product()];
            for &s in starts {
                add_window(&mut self.counts, shape, s, roi, &self.weights, &ones);
            }
            self.key = Some((shape, roi, starts.to_vec()));
        }
        (&self.weights, &self.counts)
    }
}

/// Cut the padding off every channel (the sums themselves when there is none).
fn crop(
    sums: Vec<f32>,
    channels: usize,
    p: [usize; 3],
    before: [usize; 3],
    s: [usize; 3],
) -> Vec<f32> {
    if p == s {
        return sums;
    }
    let (np, ns): (usize, usize) = (p.iter().product(), s.iter().product());
    let mut out = Vec::with_capacity(channels * ns);
    for ch in 0..channels {
        let plane = &sums[ch * np..(ch + 1) * np];
        for x in 0..s[0] {
            for y in 0..s[1] {
                let src = ((x + before[0]) * p[1] + y + before[1]) * p[2] + before[2];
                out.extend_from_slice(&plane[src..src + s[2]]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shadow::runner::RunOutput;

    /// Reference values: MONAI 1.6.1 `dense_patch_slices` after `_get_scan_interval`, and
    /// `compute_importance_map(mode="gaussian")` (see tests/fixtures/shadow/make_fixtures.py
    /// for the environment).
    #[test]
    fn window_starts_match_monai() {
        let s = window_starts([40, 36, 32], [24, 24, 24], 0.5);
        assert_eq!(scan_interval([40, 36, 32], [24, 24, 24], 0.5), [12, 12, 12]);
        assert_eq!(s.len(), 12);
        assert_eq!(&s[..4], &[[0, 0, 0], [0, 0, 8], [0, 12, 0], [0, 12, 8]]);
        assert_eq!(s[11], [16, 12, 8]);
        let padded = window_starts([30, 26, 24], [24, 24, 24], 0.25);
        assert_eq!(
            scan_interval([30, 26, 24], [24, 24, 24], 0.25),
            [18, 18, 24]
        );
        assert_eq!(padded, vec![[0, 0, 0], [0, 2, 0], [6, 0, 0], [6, 2, 0]]);
        let odd = window_starts([100, 7, 50], [96, 7, 20], 0.3);
        assert_eq!(scan_interval([100, 7, 50], [96, 7, 20], 0.3), [67, 7, 14]);
        assert_eq!(odd.len(), 8);
        assert_eq!(&odd[..4], &[[0, 0, 0], [0, 0, 14], [0, 0, 28], [0, 0, 30]]);
        assert_eq!(odd[7], [4, 0, 30]);
    }

    #[test]
    fn gaussian_map_matches_monai() {
        let m = gaussian_map([24, 24, 24]);
        let at = |x: usize, y: usize, z: usize| m[(x * 24 + y) * 24 + z];
        assert_eq!(at(0, 0, 0), 0.001);
        assert!((at(12, 12, 12) - 0.959_189_5).abs() < 1e-7);
        assert_eq!(at(11, 11, 11), at(12, 12, 12));
        assert_eq!(at(0, 12, 5), 0.001);
        let sum: f64 = m.iter().map(|v| f64::from(*v)).sum();
        assert!((sum - 431.914_672_851_562_5).abs() < 1e-3, "{sum}");
        let big = gaussian_map([96, 96, 96]);
        assert!((big[(47 * 96 + 48) * 96 + 10] - 0.007_562_536_7).abs() < 1e-9);
    }

    /// Returns each patch's input in two channels: x and 2x.
    struct Echo(usize);

    impl ModelRunner for Echo {
        fn run(&mut self, input: &[f32], shape: [usize; 5]) -> Result<RunOutput, ShadowError> {
            assert!(
                shape[0] <= self.0,
                "batch {} above the bound {}",
                shape[0],
                self.0
            );
            let pv: usize = shape[2..].iter().product();
            let mut data = Vec::with_capacity(input.len() * 2);
            for patch in input.chunks_exact(pv) {
                data.extend_from_slice(patch);
                data.extend(patch.iter().map(|v| 2.0 * v));
            }
            Ok(RunOutput {
                data,
                channels: 2,
                compute_ns: 1,
            })
        }
    }

    #[test]
    fn blending_an_identity_network_returns_the_input_padded_or_not() {
        for shape in [[40, 36, 32], [30, 26, 20], [10, 5, 7]] {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|i| (i % 97) as f32 / 97.0).collect();
            let v = Volume {
                shape,
                data: data.clone(),
            };
            let out = sliding_window(&mut Echo(3), &v, [24, 24, 24], 0.5, 3).unwrap();
            assert_eq!(out.channels, 2);
            assert_eq!(out.shape, shape);
            let worst = (0..n)
                .map(|i| {
                    (out.data[i] - data[i])
                        .abs()
                        .max((out.data[n + i] - 2.0 * data[i]).abs())
                })
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{shape:?}: {worst}");
            assert_eq!(out.compute_ns as usize, out.windows.div_ceil(3));
        }
    }
}
