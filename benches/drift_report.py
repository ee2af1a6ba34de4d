#!/usr/bin/env python3
"""Print the side-by-side table from the JSON summaries (one per line) of bench_peers.py's
driver and drift_vigil_drive.py: median check time, peak RSS, and each peer's ratio to Vigil.

Usage: drift_report.py <summaries.jsonl>
"""
import json
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    vigil = next((r for r in rows if r["peer"] == "vigil" and "check_s_median" in r), None)
    print(f"{'peer':<10} {'n':>8} {'version':<9} {'check s (median)':>17} {'peak RSS MiB':>13} "
          f"{'time ratio':>11} {'RSS ratio':>10}  result")
    for r in rows:
        if "check_s_median" not in r:
            print(f"{r['peer']:<10} {r['n']:>8} ERROR {r.get('error', '')[:200]}")
            continue
        t, m = r["check_s_median"], r["peak_rss_mib_max"]
        tr = f"{t / vigil['check_s_median']:.1f}x" if vigil and vigil["check_s_median"] > 0 else "-"
        mr = f"{m / vigil['peak_rss_mib_max']:.2f}x" if vigil else "-"
        print(f"{r['peer']:<10} {r['n']:>8} {str(r.get('version')):<9} {t:>17.3f} {m:>13.0f} "
              f"{tr:>11} {mr:>10}  {json.dumps(r.get('result'))}")
    if vigil:
        print(f"vigil: check CPU time {vigil['check_cpu_s_median']:.2f} s; against an already frozen reference "
              f"{vigil['check_frozen_s_median']:.3f} s wall, {vigil['check_frozen_cpu_s_median']:.2f} s CPU "
              f"({vigil['threads']} threads)")


if __name__ == "__main__":
    main()
