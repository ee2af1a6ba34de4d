//! A deliberately naive implementation of METRICS.md section 4 (per-corner codes, brute-force
//! nearest surfel), used as an oracle for the fast engine on small random masks.

use vigil::segmentation::{pairwise_sum, surfel_area_table};

/// A small binary mask, axis 0 fastest.
#[derive(Debug, Clone)]
pub struct Mask {
    pub shape: [usize; 3],
    pub fg: Vec<bool>,
}

impl Mask {
    pub fn get(&self, x: isize, y: isize, z: isize) -> bool {
        let [nx, ny, nz] = self.shape.map(|n| n as isize);
        if x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz {
            return false;
        }
        self.fg[(x + nx * (y + ny * z)) as usize]
    }

    pub fn labels(&self) -> Vec<u8> {
        self.fg.iter().map(|&b| u8::from(b)).collect()
    }
}

/// Surfels as (corner position, area) on the full image's corner grid.
pub fn surfels(m: &Mask, spacing: [f64; 3]) -> Vec<([isize; 3], f64)> {
    let table = surfel_area_table(spacing);
    let [nx, ny, nz] = m.shape.map(|n| n as isize);
    let mut out = Vec::new();
    for k in 0..=nz {
        for j in 0..=ny {
            for i in 0..=nx {
                let mut code = 0usize;
                for a in 0..2 {
                    for b in 0..2 {
                        for c in 0..2 {
                            if m.get(i - 1 + a, j - 1 + b, k - 1 + c) {
                                code |= 1 << (7 - (4 * a + 2 * b + c));
                            }
                        }
                    }
                }
                if code != 0 && code != 255 {
                    out.push(([i, j, k], table[code]));
                }
            }
        }
    }
    out
}

/// Directed distances from each surfel of `from` to the nearest of `to`.
pub fn distances(from: &[([isize; 3], f64)], to: &[([isize; 3], f64)], s: [f64; 3]) -> Vec<f64> {
    from.iter()
        .map(|(p, _)| {
            to.iter()
                .map(|(q, _)| {
                    let d: [f64; 3] = std::array::from_fn(|n| (p[n] - q[n]) as f64 * s[n]);
                    ((d[0] * d[0] + d[1] * d[1]) + d[2] * d[2]).sqrt()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

/// (mean, p95, max, area within each tolerance, total area).
pub fn stats(d: &[f64], s: &[([isize; 3], f64)], tol: &[f64]) -> (f64, f64, f64, Vec<f64>, f64) {
    let mut pairs: Vec<(f64, f64)> = d.iter().copied().zip(s.iter().map(|x| x.1)).collect();
    // surface-distance: sorted (distance, area) tuples, numpy pairwise sums, sequential cumsum.
    pairs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let areas: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let total = pairwise_sum(&areas);
    let mean = pairwise_sum(&pairs.iter().map(|p| p.0 * p.1).collect::<Vec<_>>()) / total;
    let mut cum = 0.0;
    let mut p95 = pairs.last().unwrap().0;
    for p in &pairs {
        cum += p.1;
        if cum / total >= 0.95 {
            p95 = p.0;
            break;
        }
    }
    let within = tol
        .iter()
        .map(|t| pairs.iter().filter(|p| p.0 <= *t).map(|p| p.1).sum())
        .collect();
    (mean, p95, pairs.last().unwrap().0, within, total)
}
