//! Small-cell suppression for published count tables (k-anonymity threshold `k` from the PMS
//! plan). A count of 1..k-1 people is hidden; hidden cells are then protected from being
//! recomputed from the published totals.
//!
//! The rule, applied to every line (a row, and in tables also a column) whose total is published:
//! 1. Primary: every cell with `0 < count < k` is suppressed.
//! 2. Complementary: while a line has suppressed cells and either only one of them, or their sum
//!    is below `k`, the smallest non-zero published cell of that line (first one on ties) is
//!    suppressed too. One hidden cell would be `total - published`; two hidden cells summing to
//!    less than `k` would still pin each one to a small range.
//! 3. In tables, rows and columns are revisited until nothing changes, because a complementary
//!    cell chosen for a row can leave its column with a single hidden cell.
//!
//! Zero policy: zeros are always published and never suppressed, not even as complementary
//! cells. An empty cell describes nobody, and hiding zeros would not protect anyone, since a
//! hidden cell is then known to be non-zero anyway. The caveat (attribute disclosure: a row whose
//! only non-zero cell is a column tells that everyone in the row shares it) is accepted because
//! Vigil's tables count device events and outcomes, not patient attributes.
//!
//! When a line cannot be protected (it has fewer than two non-zero cells to hide, or its hidden
//! cells sum to less than `k` even after all non-zero cells are hidden) its total must not be
//! published: [`publishable_total`] and [`SuppressedTable`] return `None` for it.
//!
//! Known limit: this is the standard greedy heuristic. It does not solve the linear programme an
//! attacker could run over many overlapping published tables; tables published together from
//! the same counts should come from one `suppress_table` call.

/// Suppresses a single line of counts whose total is (assumed to be) published.
/// `None` marks a hidden cell; other cells are returned unchanged. `k <= 1` hides nothing.
pub fn suppress_small_cells(counts: &[u64], k: u64) -> Vec<Option<u64>> {
    let mut mask = primary_mask(counts, k);
    let line: Vec<usize> = (0..counts.len()).collect();
    protect_line(&line, counts, &mut mask, k);
    apply(counts, &mask)
}

/// The total of `counts` if it may be published next to `suppress_small_cells(counts, k)`,
/// `None` if publishing it would reveal a hidden cell (or is itself a small count).
pub fn publishable_total(counts: &[u64], k: u64) -> Option<u64> {
    let mut mask = primary_mask(counts, k);
    let line: Vec<usize> = (0..counts.len()).collect();
    protect_line(&line, counts, &mut mask, k);
    is_protected(&line, counts, &mask, k).then(|| counts.iter().sum())
}

/// A two-way table after suppression, with the row and column totals that are safe to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedTable {
    pub cells: Vec<Vec<Option<u64>>>,
    pub row_totals: Vec<Option<u64>>,
    pub col_totals: Vec<Option<u64>>,
}

/// Suppresses a table whose row and column totals are published. Rows may be ragged; a column
/// then holds the rows long enough to reach it.
pub fn suppress_table(rows: &[Vec<u64>], k: u64) -> SuppressedTable {
    let values: Vec<u64> = rows.iter().flatten().copied().collect();
    let mut mask = primary_mask(&values, k);
    let lines = table_lines(rows);
    let (row_lines, col_lines) = lines.split_at(rows.len());
    // Each pass only adds suppressions, so this stops after at most `values.len()` passes.
    loop {
        let mut changed = false;
        for line in &lines {
            changed |= protect_line(line, &values, &mut mask, k);
        }
        if !changed {
            break;
        }
    }
    let total = |line: &Vec<usize>| {
        is_protected(line, &values, &mask, k).then(|| line.iter().map(|&i| values[i]).sum())
    };
    let flat = apply(&values, &mask);
    let cells = row_lines
        .iter()
        .map(|line| line.iter().map(|&i| flat[i]).collect())
        .collect();
    SuppressedTable {
        cells,
        row_totals: row_lines.iter().map(total).collect(),
        col_totals: col_lines.iter().map(total).collect(),
    }
}

/// Flat indices of every row, then of every column.
fn table_lines(rows: &[Vec<u64>]) -> Vec<Vec<usize>> {
    let mut starts = Vec::with_capacity(rows.len());
    let mut next = 0;
    for row in rows {
        starts.push(next);
        next += row.len();
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut lines: Vec<Vec<usize>> = rows
        .iter()
        .zip(&starts)
        .map(|(row, &start)| (start..start + row.len()).collect())
        .collect();
    for col in 0..width {
        let column = rows
            .iter()
            .zip(&starts)
            .filter(|(row, _)| row.len() > col)
            .map(|(_, &start)| start + col)
            .collect();
        lines.push(column);
    }
    lines
}

fn primary_mask(values: &[u64], k: u64) -> Vec<bool> {
    values.iter().map(|&v| v > 0 && v < k).collect()
}

/// Adds complementary suppressions to one line; returns whether it hid anything new.
fn protect_line(line: &[usize], values: &[u64], mask: &mut [bool], k: u64) -> bool {
    let mut changed = false;
    while !is_protected(line, values, mask, k) {
        let candidate = line
            .iter()
            .copied()
            .filter(|&i| !mask[i] && values[i] > 0)
            .min_by_key(|&i| (values[i], i));
        match candidate {
            Some(i) => {
                mask[i] = true;
                changed = true;
            }
            None => break,
        }
    }
    changed
}

/// A line is safe when it hides nothing, or hides at least two cells summing to `k` or more.
fn is_protected(line: &[usize], values: &[u64], mask: &[bool], k: u64) -> bool {
    let hidden = line.iter().filter(|&&i| mask[i]);
    let count = hidden.clone().count();
    let sum: u64 = hidden.map(|&i| values[i]).sum();
    count == 0 || (count >= 2 && sum >= k)
}

fn apply(values: &[u64], mask: &[bool]) -> Vec<Option<u64>> {
    values
        .iter()
        .zip(mask)
        .map(|(&v, &hidden)| (!hidden).then_some(v))
        .collect()
}

#[cfg(test)]
#[path = "suppression_tests.rs"]
mod tests;
