#!/usr/bin/env bash
# The daily rollups' write overhead on ingest (issue 16), as a ratio against the ingest bench.
#
# Builds `benches/ingest.rs` twice from the same commit: once as it is, once from a copy of the
# tree in a temporary folder where the `event_deltas!` macro (src/storage/diesel/rollups.rs: the
# study lookup inside the ingest transaction) yields no deltas, so neither the lookup nor the
# rollup upserts run. Nothing else differs, and the patch exists only in that copy: it is never
# committed. Then it runs the two benches alternately ROUNDS times (with rollups first) and
# prints every run and, per backend, the median API rate without and with rollups and the ratio.
#
# Usage: benches/rollup_overhead.sh
# Environment: ROUNDS (3), and the ingest bench's own BENCH_EVENTS, BENCH_CLIENTS, BENCH_BATCH,
# BENCH_REPEATS (set to 1 here unless given), BENCH_PG_URL. CARGO_TARGET_DIR is shared by both
# builds (the copy is another package path, so the two builds do not overwrite each other).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
export BENCH_REPEATS="${BENCH_REPEATS:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The copy: the committed tree (git archive), so local edits cannot leak into either side.
git -C "$here" archive HEAD | tar -x -C "$work"
python3 - "$work/src/storage/diesel/rollups.rs" <<'PY'
import sys
path = sys.argv[1]
src = open(path).read()
start = src.index("macro_rules! event_deltas {")
end = src.index("/// The rollup deltas of the new reviews")
noop = """macro_rules! event_deltas {
    ($c:ident, $new:expr) => {{
        let _: Vec<&$crate::storage::NewEvent> = $new;
        diesel::QueryResult::Ok($crate::storage::rollups::RollupDeltas::new())
    }};
}

"""
open(path, "w").write(src[:start] + noop + src[end:])
PY
grep -q 'RollupDeltas::new())' "$work/src/storage/diesel/rollups.rs"

build() { # folder -> path of the bench binary
    (cd "$1" && cargo bench --no-default-features --bench ingest --no-run --message-format=json 2>/dev/null) |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "ingest" and m.get("executable"):
        print(m["executable"])' | tail -n1
}
with="$(build "$here")"
without="$(build "$work")"
[ -x "$with" ] && [ -x "$without" ] || { echo "build failed" >&2; exit 1; }

log="$work/runs.txt"
for round in $(seq 1 "$ROUNDS"); do
    for side in with without; do
        bin="${!side}"
        echo "== round $round, $side rollups"
        "$bin" > "$work/run.txt"
        cat "$work/run.txt"
        sed -n "s/^\(sqlite\|postgres\) *API *\([0-9]*\) events.*/$side \1 \2/p" "$work/run.txt" >> "$log"
    done
done
python3 - "$log" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, backend, rate = line.split()
    runs.setdefault((backend, side), []).append(float(rate))
print("\nbackend   API events/s without rollups   with rollups   with / without")
for backend in ("sqlite", "postgres"):
    if (backend, "with") not in runs:
        continue
    a = statistics.median(runs[(backend, "without")])
    b = statistics.median(runs[(backend, "with")])
    print(f"{backend:<9} {a:>27.0f}   {b:>12.0f}   {b / a:>14.2f}")
PY
