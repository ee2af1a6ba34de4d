//! Average ranks with tie groups, as scipy's `rankdata(method='average')`, shared by the
//! rank tests (Mann-Whitney, Wilcoxon). Tie sizes feed the variance corrections.

/// Average ranks (1-based) of `values` in input order, and the size of every tie group
/// (groups of one included). NaN must be removed by the caller.
pub fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; n];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share the mean of ranks start+1..=end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &idx in &order[start..end] {
            ranks[idx] = rank;
        }
        ties.push(end - start);
        start = end;
    }
    (ranks, ties)
}

/// `sum(t^3 - t)` over tie groups: the tie term of rank-test variances.
pub fn tie_term(ties: &[usize]) -> f64 {
    ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_mean_rank() {
        let (r, t) = average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(r, vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(t, vec![1, 1, 3]);
        assert_eq!(tie_term(&t), 24.0);
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        let (r, _) = average_ranks(&[-0.0, 0.0, 1.0]);
        assert_eq!(r, vec![1.5, 1.5, 3.0]);
    }
}
