#!/usr/bin/env python3
"""Run Vigil's drift_check example like bench_peers.py drives a peer: REPEATS fresh processes
under /usr/bin/time -v, median check time, largest peak RSS. Prints one JSON summary line.

Usage: drift_vigil_drive.py <drift_check-binary> <data-dir> <n> <repeats>
"""
import json
import re
import statistics
import subprocess
import sys


def main():
    exe, data, n, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    runs = []
    for _ in range(repeats):
        p = subprocess.run(["/usr/bin/time", "-v", exe, data], capture_output=True, text=True)
        m = re.search(r"^RESULT (.*)$", p.stdout, re.M)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        if not m:
            print(json.dumps({"peer": "vigil", "n": n, "error": p.stderr[-500:]}))
            return
        r = json.loads(m.group(1))
        r["peak_rss_mib"] = int(rss.group(1)) / 1024 if rss else None
        cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", p.stderr)]
        r["process_cpu_s"] = sum(cpu)
        runs.append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    print(json.dumps({
        "peer": "vigil", "n": n, "runs": len(runs), "version": runs[0]["version"],
        "check_s_median": statistics.median(r["check_s"] for r in runs),
        "check_s_all": [round(r["check_s"], 4) for r in runs],
        "check_frozen_s_median": statistics.median(r["check_frozen_s"] for r in runs),
        "load_s_median": statistics.median(r["load_s"] for r in runs),
        "check_cpu_s_median": statistics.median(r["check_cpu_s"] for r in runs),
        "check_frozen_cpu_s_median": statistics.median(r["check_frozen_cpu_s"] for r in runs),
        "process_cpu_s_median": statistics.median(r["process_cpu_s"] for r in runs),
        "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
        "threads": runs[0]["threads"],
        "result": runs[0]["result"],
    }))


if __name__ == "__main__":
    main()
