#!/usr/bin/env bash
# Side-by-side drift-check benchmark: Vigil against the Python peers (scipy loop, Evidently,
# NannyML, alibi-detect), same data, same machine, one run.
#
# What it does:
#   1. creates one virtual environment per peer under $VENVS (PyPI only; their pins clash);
#   2. exports bench_peers.py's make_data() to $OUT/data-<n>/ (raw little-endian f64 per numeric
#      column, one line per row for categorical columns) for Vigil to read;
#   3. builds the `drift_check` example in release mode;
#   4. runs every peer and Vigil $REPEATS times in fresh processes under /usr/bin/time -v and
#      prints median check time, peak RSS and the ratios peer/Vigil.
#
# Usage: benches/drift_peers.sh [--n 100000] [--repeats 3] [--peers none,scipy,alibi,nannyml,evidently]
#        [--setup-only]
# Environment: BENCH_PEERS (path of bench_peers.py; default: shared/bench/bench_peers.py beside
# the repository), VENVS (default bench-out/venvs), OUT (default bench-out), PYTHON (python3.11),
# VIGIL_BIN (an already built drift_check; default: build it with cargo --release), VIGIL_REPEATS
# (default: --repeats).
# --peers "" runs Vigil only (and reports against the peers' summaries already in OUT).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
N=100000
REPEATS=3
PEERS="none,scipy,alibi,nannyml,evidently"
SETUP_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --n) N="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --peers) PEERS="$2"; shift 2 ;;  # may be empty: Vigil only
    --setup-only) SETUP_ONLY=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$here/bench-out}"
VENVS="${VENVS:-$OUT/venvs}"
PYTHON="${PYTHON:-python3.11}"
BENCH_PEERS="${BENCH_PEERS:-$here/../shared/bench/bench_peers.py}"
[ -f "$BENCH_PEERS" ] || { echo "bench_peers.py not found: set BENCH_PEERS" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
mkdir -p "$OUT" "$VENVS"

make_venv() { # name, packages...
  local name="$1"; shift
  if [ ! -x "$VENVS/$name/bin/python" ] || [ ! -f "$VENVS/$name/.ok" ]; then
    "$PYTHON" -m venv "$VENVS/$name"
    "$VENVS/$name/bin/pip" install -q --no-input "$@"
    touch "$VENVS/$name/.ok"
  fi
}
# evidently 0.7.23 needs pandas<3; this venv also runs the scipy anchor, 'none' and the export.
make_venv evidently "evidently==0.7.23" "pandas<3" scipy
# nannyml imports statsmodels without declaring it.
make_venv nannyml "nannyml==0.13.1" statsmodels
# alibi-detect pins numpy<2; TabularDrift needs no TensorFlow/PyTorch.
make_venv alibi "alibi-detect==0.13.0"
[ "$SETUP_ONLY" = 1 ] && { echo "venvs ready in $VENVS"; exit 0; }

# Export the exact data once per n.
DATA="$OUT/data-$N"
if [ ! -f "$DATA/.ok" ]; then
  "$VENVS/evidently/bin/python" "$here/benches/export_bench_data.py" "$BENCH_PEERS" "$N" "$DATA"
  touch "$DATA/.ok"
fi

if [ -z "${VIGIL_BIN:-}" ]; then
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}" cargo build --release --quiet \
    --manifest-path "$here/Cargo.toml" --example drift_check
  VIGIL_BIN="${CARGO_TARGET_DIR:-$here/target}/release/examples/drift_check"
fi

PY="$VENVS/evidently/bin/python"
LOG="$OUT/peers-$N.jsonl"
if [ -n "$PEERS" ]; then
  : > "$LOG"
  "$PY" "$BENCH_PEERS" --drive --n "$N" --repeats "$REPEATS" --peers "$PEERS" \
    --python none="$PY" --python scipy="$PY" --python evidently="$PY" \
    --python nannyml="$VENVS/nannyml/bin/python" --python alibi="$VENVS/alibi/bin/python" \
    2>"$OUT/peers-$N.stderr" | sed -n 's/^SUMMARY //p' >> "$LOG"
fi

# Vigil: same protocol (fresh process per run, /usr/bin/time -v, median check time, max RSS).
VLOG="$OUT/vigil-$N.jsonl"
"$PY" "$here/benches/drift_vigil_drive.py" "$VIGIL_BIN" "$DATA" "$N" "${VIGIL_REPEATS:-$REPEATS}" 2>/dev/null > "$VLOG"
echo "data on disk: $(du -sm "$DATA" | cut -f1) MiB (n=$N)"
cat "$LOG" "$VLOG" > "$OUT/all-$N.jsonl"
"$PY" "$here/benches/drift_report.py" "$OUT/all-$N.jsonl"
