//! Tests for small-cell suppression: worked examples of each rule, then properties checked on
//! random lines and tables (nothing hidden can be recomputed from one published total).

use super::*;
use proptest::prelude::*;

#[test]
fn nothing_to_hide_is_unchanged() {
    assert_eq!(
        suppress_small_cells(&[5, 7, 12], 5),
        vec![Some(5), Some(7), Some(12)]
    );
    assert_eq!(publishable_total(&[5, 7, 12], 5), Some(24));
    assert_eq!(suppress_small_cells(&[], 5), vec![]);
    assert_eq!(publishable_total(&[], 5), Some(0));
}

#[test]
fn single_small_cell_gets_a_complement() {
    // 3 alone would be 32 - 5 - 10 - 14; hiding the next-smallest (5) prevents that.
    assert_eq!(
        suppress_small_cells(&[10, 3, 14, 5], 5),
        vec![Some(10), None, Some(14), None]
    );
    assert_eq!(publishable_total(&[10, 3, 14, 5], 5), Some(32));
}

#[test]
fn hidden_cells_must_sum_to_k() {
    // 1 + 1 = 2 < 5 would reveal both as exactly 1 (zeros are published, so hidden means > 0).
    assert_eq!(
        suppress_small_cells(&[1, 1, 9, 40], 5),
        vec![None, None, None, Some(40)]
    );
}

#[test]
fn zeros_are_published_and_never_complements() {
    assert_eq!(
        suppress_small_cells(&[0, 2, 0, 8, 6], 5),
        vec![Some(0), None, Some(0), Some(8), None]
    );
    assert_eq!(suppress_small_cells(&[0, 0, 0], 5), vec![Some(0); 3]);
}

#[test]
fn unprotectable_line_withholds_its_total() {
    assert_eq!(
        suppress_small_cells(&[0, 3, 0], 5),
        vec![Some(0), None, Some(0)]
    );
    assert_eq!(publishable_total(&[0, 3, 0], 5), None);
    assert_eq!(publishable_total(&[2, 1], 5), None);
}

#[test]
fn k_of_one_or_zero_hides_nothing() {
    assert_eq!(
        suppress_small_cells(&[0, 1, 2], 1),
        vec![Some(0), Some(1), Some(2)]
    );
    assert_eq!(
        suppress_small_cells(&[0, 1, 2], 0),
        vec![Some(0), Some(1), Some(2)]
    );
}

#[test]
fn table_protects_rows_and_columns() {
    let table = suppress_table(&[vec![20, 3, 30], vec![25, 40, 50], vec![30, 35, 45]], 5);
    // Row 0 hides 3 and its complement 20; column 1 then has one hidden cell (3) and hides 35;
    // column 0 hides 25; rows 1 and 2 then each need another complement.
    for (r, row) in table.cells.iter().enumerate() {
        let hidden = row.iter().filter(|c| c.is_none()).count();
        assert_ne!(hidden, 1, "row {r} has a single hidden cell: {row:?}");
    }
    for c in 0..3 {
        let hidden = table.cells.iter().filter(|row| row[c].is_none()).count();
        assert_ne!(hidden, 1, "column {c} has a single hidden cell");
    }
    assert_eq!(table.cells[0][1], None);
    assert_eq!(table.row_totals, vec![Some(53), Some(115), Some(110)]);
}

fn check_line(counts: &[u64], k: u64, out: &[Option<u64>]) -> Result<(), TestCaseError> {
    prop_assert_eq!(out.len(), counts.len());
    for (&c, &o) in counts.iter().zip(out) {
        if let Some(v) = o {
            prop_assert_eq!(v, c, "published cells are unchanged");
            prop_assert!(c == 0 || c >= k, "small non-zero cell {} published", c);
        } else {
            prop_assert!(c > 0, "zeros are never hidden");
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn line_invariants(counts in prop::collection::vec(0u64..20, 0..12), k in 0u64..8) {
        let out = suppress_small_cells(&counts, k);
        check_line(&counts, k, &out)?;
        let hidden: Vec<u64> = counts.iter().zip(&out).filter(|(_, o)| o.is_none()).map(|(c, _)| *c).collect();
        let safe = hidden.is_empty() || (hidden.len() >= 2 && hidden.iter().sum::<u64>() >= k);
        prop_assert_eq!(publishable_total(&counts, k).is_some(), safe);
    }

    #[test]
    fn table_invariants(
        rows in prop::collection::vec(prop::collection::vec(0u64..15, 1..6), 1..6),
        k in 2u64..8,
    ) {
        let table = suppress_table(&rows, k);
        for (row, out) in rows.iter().zip(&table.cells) {
            check_line(row, k, out)?;
        }
        for (r, total) in table.row_totals.iter().enumerate() {
            let hidden: Vec<u64> = rows[r].iter().zip(&table.cells[r]).filter(|(_, o)| o.is_none()).map(|(c, _)| *c).collect();
            if total.is_some() {
                prop_assert!(hidden.is_empty() || (hidden.len() >= 2 && hidden.iter().sum::<u64>() >= k));
            }
        }
    }
}
