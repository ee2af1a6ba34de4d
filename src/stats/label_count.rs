//! Counting of category labels for the drift check. A column has a handful of categories and a
//! million rows, so a hash-map lookup per row (~30 ns) dominated the categorical part of the
//! check. Labels are first matched against a short list by one packed word (length and first
//! seven bytes), verified by a string comparison; a column with many distinct labels moves to a
//! hash map with a word-wise hasher.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Above this many distinct labels the linear list gives way to the hash map.
const SMALL: usize = 32;

/// Length and first seven bytes of a label, packed; equal labels give equal words.
#[inline]
fn word(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut w = b.len() as u64;
    for (i, &c) in b.iter().take(7).enumerate() {
        w |= u64::from(c) << (8 * (i + 1));
    }
    w
}

/// Counts per distinct label, borrowing the labels.
#[derive(Default)]
pub struct LabelCounts<'a> {
    small: Vec<(u64, &'a str, u64)>,
    map: Option<FastMap<&'a str, u64>>,
}

impl<'a> LabelCounts<'a> {
    /// Count one occurrence of `s`.
    #[inline]
    pub fn add(&mut self, s: &'a str) {
        if let Some(m) = &mut self.map {
            *m.entry(s).or_insert(0) += 1;
            return;
        }
        let w = word(s);
        if let Some(e) = self.small.iter_mut().find(|e| e.0 == w && e.1 == s) {
            e.2 += 1;
            return;
        }
        if self.small.len() < SMALL {
            self.small.push((w, s, 1));
            return;
        }
        let mut m: FastMap<&'a str, u64> = self.small.drain(..).map(|e| (e.1, e.2)).collect();
        m.insert(s, 1);
        self.map = Some(m);
    }

    /// Count every label of `labels`.
    pub fn count_all(labels: &'a [&'a str]) -> Self {
        let mut c = Self::default();
        for s in labels {
            c.add(s);
        }
        c
    }

    /// (label, count) pairs sorted by label.
    pub fn into_sorted(self) -> Vec<(&'a str, u64)> {
        let mut pairs: Vec<(&'a str, u64)> = match self.map {
            Some(m) => m.into_iter().collect(),
            None => self.small.into_iter().map(|e| (e.1, e.2)).collect(),
        };
        pairs.sort_unstable();
        pairs
    }
}

/// FxHash-style hasher over 8-byte words: labels come from our own tables (no hash-flooding
/// concern) and SipHash costs more than the counting itself.
#[derive(Default)]
pub struct Fx(u64);

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// Hash map with the `Fx` hasher.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_a_plain_map_past_the_switch_to_hashing() {
        let owned: Vec<String> = (0..10_000)
            .map(|i| format!("label-{}", (i * 37) % 50))
            .collect();
        let mut labels: Vec<&str> = owned.iter().map(String::as_str).collect();
        labels.extend(["a", "ab", "abcdefgh", "abcdefgi", "a"]);
        let got = LabelCounts::count_all(&labels).into_sorted();
        let mut want: std::collections::BTreeMap<&str, u64> = Default::default();
        for s in &labels {
            *want.entry(s).or_insert(0) += 1;
        }
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
        let few = LabelCounts::count_all(&labels[10_000..]).into_sorted();
        assert_eq!(
            few,
            vec![("a", 2), ("ab", 1), ("abcdefgh", 1), ("abcdefgi", 1)]
        );
    }
}
