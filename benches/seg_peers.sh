#!/usr/bin/env bash
# Times `vigil seg-metrics` beside DeepMind surface-distance and mikan-rs on the 512x512x300
# benchmark pair of METRICS.md section 6, in one run on one machine, and prints ratios.
#
#   benches/seg_peers.sh                  # everything: venv, case, release build, runs
#   REPEATS=5 benches/seg_peers.sh
#
# Environment:
#   SEG_BENCH_SCRIPTS  folder with make_seg_bench_case.py and bench_seg_peers.py
#                      (default: ../shared/bench next to the repository)
#   OUT                work folder (default: bench-out/ in the repository, git-ignored)
#   REPEATS            timed runs per implementation (default 3; medians are reported)
#   VIGIL_BIN          an already built release binary (skips cargo build)
#
# What is timed, per implementation and run:
#   - peers: bench_seg_peers.py's in-process median after the masks are loaded (compute only),
#     plus peak RSS of the whole process from GNU time;
#   - vigil: one process per run under /usr/bin/time -v: wall time (decoding both .nii.gz
#     files included), peak RSS, and the compute-only time it reports with --timing.
# Ratios compare compute-only medians (like for like) and, separately, Vigil's whole
# process wall time against the peers' compute-only time (a conservative comparison).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRIPTS=${SEG_BENCH_SCRIPTS:-$ROOT/../shared/bench}
OUT=${OUT:-$ROOT/bench-out}
REPEATS=${REPEATS:-3}
VENV=$OUT/venv
CASE=$OUT/case
mkdir -p "$OUT"

if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q numpy scipy nibabel "surface-distance==0.1" "mikan-rs==0.1.4"
if [ ! -f "$CASE/meta.json" ]; then
  echo "writing the benchmark pair into $CASE (about 2 minutes)" >&2
  "$VENV/bin/python" "$SCRIPTS/make_seg_bench_case.py" "$CASE"
fi

if [ -n "${VIGIL_BIN:-}" ]; then
  VIGIL=$VIGIL_BIN
else
  ( cd "$ROOT" && cargo build --release --bin vigil )
  VIGIL=${CARGO_TARGET_DIR:-$ROOT/target}/release/vigil
fi

run_vigil() { # name, extra args...
  local name=$1; shift
  for n in $(seq "$REPEATS"); do
    /usr/bin/time -v "$VIGIL" seg-metrics --pred "$CASE/pred.nii.gz" --ref "$CASE/ref.nii.gz" \
      --json --timing "$@" >"$OUT/vigil_${name}_$n.json" 2>"$OUT/vigil_${name}_$n.err"
  done
}
run_vigil all
run_vigil dice --dice-only

"$VENV/bin/python" "$SCRIPTS/bench_seg_peers.py" "$CASE" --repeats "$REPEATS" \
  --json-out "$OUT/seg_peers.json" >"$OUT/seg_peers.log"

"$VENV/bin/python" - "$OUT" "$REPEATS" <<'PY'
import json, os, re, statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])

def vigil(name):
    walls, computes, rss, values = [], [], [], None
    for n in range(1, repeats + 1):
        err = open(os.path.join(out, "vigil_%s_%d.err" % (name, n))).read()
        computes.append(float(re.search(r"metrics_s=([0-9.]+)", err).group(1)))
        h, m, s = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([0-9.]+)", err).groups()
        walls.append(int(h or 0) * 3600 + int(m) * 60 + float(s))
        rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024)
        values = json.load(open(os.path.join(out, "vigil_%s_%d.json" % (name, n))))
    return statistics.median(computes), statistics.median(walls), max(rss), values

peers = {r["impl"]: r for r in json.load(open(os.path.join(out, "seg_peers.json")))["results"]}
rows = [("vigil (all surface metrics + Dice)", *vigil("all")), ("vigil --dice-only", *vigil("dice"))]
print("%-36s %11s %10s %9s" % ("implementation", "compute_s", "wall_s", "rss_MB"))
for name, c, w, r, _ in rows:
    print("%-36s %11.3f %10.3f %9.0f" % (name, c, w, r))
for key in ("surface_distance", "surface_distance_dice", "mikan_rs", "mikan_rs_dice"):
    p = peers.get(key, {})
    if "median_s" in p:
        print("%-36s %11.3f %10s %9.0f" % (key, p["median_s"], "-", p.get("peak_rss_mb") or float("nan")))
    else:
        print("%-36s %11s  %s" % (key, "-", p.get("skipped") or p.get("error", "missing")))
print()
surf, dice = rows[0], rows[1]
for key, mine in (("surface_distance", surf), ("mikan_rs", surf), ("surface_distance_dice", dice), ("mikan_rs_dice", dice)):
    p = peers.get(key, {})
    if "median_s" in p:
        print("%-22s / vigil: compute %.1fx, vs vigil whole-process wall %.1fx" % (
            key, p["median_s"] / mine[1], p["median_s"] / mine[2]))
v, sd = surf[4], peers.get("surface_distance", {}).get("values", {})
if sd:
    print()
    for k in ("hd", "hd95", "asd_ref_to_pred", "asd_pred_to_ref", "masd"):
        print("%-16s vigil %.15g  surface-distance %.15g" % (k, v[k], sd[k]))
    for t in ("1", "2"):
        print("%-16s vigil %.15g  surface-distance %.15g" % ("nsd_%smm" % t, v["nsd"][t], sd["nsd_%smm" % t]))
PY
