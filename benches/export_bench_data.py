#!/usr/bin/env python3
"""Export bench_peers.py's make_data(n) for the Rust drift benchmark.

Usage: export_bench_data.py <path/to/bench_peers.py> <n> <out_dir>

Writes, for side in (ref, cur): <side>_<column>.f64 (raw little-endian float64) for numeric
columns and <side>_<column>.txt (one label per line) for categorical columns, plus
manifest.json listing the columns. The data are the very frames the Python peers check.
"""
import importlib.util
import json
import os
import sys


def main():
    path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    spec = importlib.util.spec_from_file_location("bench_peers", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ref, cur = mod.make_data(n)
    os.makedirs(out, exist_ok=True)
    for side, frame in (("ref", ref), ("cur", cur)):
        for c in mod.NUM_COLS:
            frame[c].to_numpy(dtype="<f8").tofile(os.path.join(out, f"{side}_{c}.f64"))
        for c in mod.CAT_COLS:
            with open(os.path.join(out, f"{side}_{c}.txt"), "w") as f:
                f.write("\n".join(frame[c].astype(str).tolist()))
                f.write("\n")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"n": n, "numeric": mod.NUM_COLS, "categorical": mod.CAT_COLS}, f)


if __name__ == "__main__":
    main()
