//! Steps 2 and 3 of the distance transform (see `edt`) for the queries of one plane of
//! constant i.
//!
//! Step 3 scans slices outwards from each query's own. The first time a query of the plane
//! reaches slice k, step 2 transforms column (i, k): Felzenszwalb-Huttenlocher's lower
//! envelope along axis 1, read at the plane's needed rows. The result stays in the plane's
//! scratch for the other queries, so only columns that some query scans are transformed.

use super::edt::{BlockOffsets, Context, StridedColumn, Tables, unpack_position};

/// Offsets of the nearest feature within a slice: (axis 0, axis 1).
type Offset = [i16; 2];

/// One parabola of a column's lower envelope, for the feature nearest to row q along
/// axis 0.
#[derive(Debug, Clone, Copy)]
struct Parabola {
    /// The row (u32 keeps the entry at 40 bytes; rows are below 2^15).
    q: u32,
    /// The axis-0 offset from (i, q) to that feature.
    dx: i16,
    /// `q * s1` in mm.
    u: f64,
    /// `f(q) + u^2` with `f(q) = (dx * s0)^2`.
    h: f64,
    /// Left end of the interval where this parabola is lowest, as the fraction `z / zd`
    /// (zd > 0); unused for the bottom entry, whose interval starts at minus infinity.
    z: f64,
    zd: f64,
}

/// A placeholder for the stack's unused entries.
const EMPTY: Parabola = Parabola {
    q: 0,
    dx: 0,
    u: 0.0,
    h: 0.0,
    z: 0.0,
    zd: 1.0,
};

/// What is known about column (i, k) of the current plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// Not transformed yet.
    Unknown,
    /// Slice k holds no feature.
    Empty,
    /// Transformed: its offsets are in the scratch.
    Ready,
}

/// Per-thread scratch for one plane at a time.
pub(crate) struct PlaneScratch {
    /// Step 1 for the current block of planes.
    pub step1: BlockOffsets,
    /// One entry per row at most.
    stack: Vec<Parabola>,
    /// Per slice k, the state of column (i, k).
    state: Vec<Column>,
    /// Column (i, k)'s offsets at the plane's n-th needed row, at `k * needed + n`; grown
    /// to the largest plane seen.
    offsets: Vec<Offset>,
}

impl PlaneScratch {
    /// Scratch for blocks of up to `planes` planes of a grid of c corners.
    pub fn new(c: [usize; 3], planes: usize) -> Self {
        Self {
            step1: BlockOffsets::new(planes, c),
            stack: vec![EMPTY; c[1]],
            state: vec![Column::Unknown; c[2]],
            offsets: Vec::new(),
        }
    }
}

/// One plane's work: its needed rows, the shared context and the scratch.
struct Plane<'a> {
    i: usize,
    context: &'a Context<'a>,
    wanted: &'a [u16],
    s: &'a mut PlaneScratch,
}

/// The distances of plane i's queries: `queries` holds each one's packed (j, k) position
/// and area, and the position is replaced by the distance in mm to the nearest feature.
pub(crate) fn plane_distances(
    context: &Context<'_>,
    i: usize,
    s: &mut PlaneScratch,
    queries: &mut [(f64, f64)],
) {
    if queries.is_empty() {
        return;
    }
    let wanted = context.needed.plane(i);
    let count = context.slices.len() * wanted.len();
    if s.offsets.len() < count {
        s.offsets.resize(count, [0, 0]);
    }
    s.state.fill(Column::Unknown);
    let mut plane = Plane {
        i,
        context,
        wanted,
        s,
    };
    for query in queries {
        let (j, k) = unpack_position(query.0);
        // Every query's own column is needed by construction.
        query.0 = match context.needed.index(i, j) {
            Some(at) => plane.nearest(at, k),
            None => f64::INFINITY,
        };
    }
}

impl Plane<'_> {
    /// Step 3: scan slices outwards from the query's own (slice k, needed row `at`) until
    /// the axis-2 term alone is no better than the best candidate.
    fn nearest(&mut self, at: usize, k: usize) -> f64 {
        let sq = &self.context.tables.sq;
        let c2 = sq[2].len();
        let mut best = f64::INFINITY;
        for m in 0..c2 {
            if sq[2][m] >= best {
                break;
            }
            if k >= m
                && let Some([a, b]) = self.offset(k - m, at)
            {
                best = best.min(candidate(sq, a, b, m));
            }
            if m > 0
                && k + m < c2
                && let Some([a, b]) = self.offset(k + m, at)
            {
                best = best.min(candidate(sq, a, b, m));
            }
        }
        best.sqrt()
    }

    /// The offsets of the nearest feature of slice k to needed row `at`, transforming the
    /// column on first use; None when slice k holds no feature.
    #[inline]
    fn offset(&mut self, k: usize, at: usize) -> Option<Offset> {
        if self.s.state[k] == Column::Unknown {
            self.transform(k);
        }
        (self.s.state[k] == Column::Ready).then(|| self.s.offsets[k * self.wanted.len() + at])
    }

    /// Steps 1 and 2 for column (i, k).
    fn transform(&mut self, k: usize) {
        let features = &self.context.slices[k];
        if features.rows.is_empty() {
            self.s.state[k] = Column::Empty;
            return;
        }
        let tables = &self.context.tables;
        let dx = self.s.step1.column(features, self.i, k);
        let len = lower_envelope(dx, &features.rows, tables, &mut self.s.stack);
        let count = self.wanted.len();
        let out = &mut self.s.offsets[k * count..(k + 1) * count];
        sample_envelope(&self.s.stack[..len], self.wanted, &tables.mm1, out);
        self.s.state[k] = Column::Ready;
    }
}

/// Squared distance of the feature at offsets (a, b) within a slice m slices away.
#[inline]
fn candidate(sq: &[Vec<f64>; 3], a: i16, b: i16, m: usize) -> f64 {
    (sq[0][a.unsigned_abs() as usize] + sq[1][b.unsigned_abs() as usize]) + sq[2][m]
}

/// Felzenszwalb-Huttenlocher along axis 1: the lower envelope of the parabolas
/// `f(q) + ((p - q) * s1)^2` over the feature rows q of a column (step 1's offsets in
/// `dx`), built into `stack`; returns its length.
///
/// Positions are in mm so that the intersections carry the spacing. A new parabola q meets
/// the top one v at `x = (h_q - h_v) / (2 (u_q - u_v))`; the top is dropped while that
/// point lies at or left of the top's own interval start. Comparing cross products instead
/// of dividing keeps a 20-cycle division off this loop's critical path. The stack is a
/// fixed slice with its length in a local, which the compiler keeps in a register.
fn lower_envelope(
    dx: StridedColumn<'_>,
    rows: &[u32],
    tables: &Tables,
    stack: &mut [Parabola],
) -> usize {
    let [sq0, sq1, _] = &tables.sq;
    let parabola = |q: u32| {
        let row = q as usize;
        let dx = dx.values[row * dx.stride];
        let h = sq0[dx.unsigned_abs() as usize] + sq1[row];
        (q, dx, tables.mm1[row], h)
    };
    let Some((&first, rest)) = rows.split_first() else {
        return 0;
    };
    // The top entry lives in `top` and is written to `stack[len - 1]` only when another
    // is pushed over it: the comparisons with the newest entry, the common case, then
    // read registers instead of a value just stored.
    let (q, dx, u, h) = parabola(first);
    let mut top = Parabola {
        q,
        dx,
        u,
        h,
        z: 0.0,
        zd: 1.0,
    };
    let mut len = 1usize;
    for &next in rest {
        let (q, dx, u, h) = parabola(next);
        loop {
            let (z, zd) = (h - top.h, 2.0 * (u - top.u));
            if len > 1 && z * top.zd <= top.z * zd {
                len -= 1;
                top = stack[len - 1];
            } else {
                stack[len - 1] = top;
                top = Parabola { q, dx, u, h, z, zd };
                len += 1;
                break;
            }
        }
    }
    stack[len - 1] = top;
    len
}

/// Reads the envelope at the needed rows p of a column (increasing), writing each one's
/// offset pair. The interval index only moves forward, so the walk is linear; skipping the
/// rows that are not needed lands on the same interval as visiting them.
fn sample_envelope(stack: &[Parabola], wanted: &[u16], mm1: &[f64], column: &mut [Offset]) {
    let mut t = 0usize;
    let mut best = &stack[0];
    for (&p, out) in wanted.iter().zip(column) {
        let x = mm1[p as usize];
        while let Some(next) = stack.get(t + 1)
            && next.z < x * next.zd
        {
            t += 1;
            best = next;
        }
        // Axis-1 offsets are below 32768 (checked by the caller).
        *out = [best.dx, (best.q as isize - p as isize) as i16];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The envelope's argmin at every row against a brute-force minimum over the rows.
    #[test]
    fn envelope_finds_the_nearest_feature_row() {
        let spacing = [0.8, 1.3, 2.0];
        let tables = Tables {
            sq: std::array::from_fn(|a| {
                (0..40)
                    .map(|d| (d as f64 * spacing[a]) * (d as f64 * spacing[a]))
                    .collect()
            }),
            mm1: (0..40).map(|q| q as f64 * spacing[1]).collect(),
        };
        let dx: Vec<i16> = (0..40).map(|q| ((q * 7) % 11) as i16 - 5).collect();
        let rows: Vec<u32> = (0..40).filter(|q| q % 3 != 1).collect();
        let mut stack = vec![EMPTY; 40];
        let column = StridedColumn {
            values: &dx,
            stride: 1,
        };
        let len = lower_envelope(column, &rows, &tables, &mut stack);
        let wanted: Vec<u16> = (0..40).collect();
        let mut out = vec![[0i16; 2]; 40];
        sample_envelope(&stack[..len], &wanted, &tables.mm1, &mut out);
        let cost = |a: i16, b: i16| {
            tables.sq[0][a.unsigned_abs() as usize] + tables.sq[1][b.unsigned_abs() as usize]
        };
        for (p, &[a, b]) in out.iter().enumerate() {
            let q = (p as isize + b as isize) as usize;
            assert!(rows.contains(&(q as u32)), "row {p}");
            assert_eq!(a, dx[q], "row {p}");
            let brute = rows
                .iter()
                .map(|&r| cost(dx[r as usize], (r as isize - p as isize) as i16))
                .fold(f64::INFINITY, f64::min);
            assert!((cost(a, b) - brute).abs() < 1e-12, "row {p}");
        }
    }
}
