#!/usr/bin/env python3
"""Shadow-run speed, side by side in one run: `vigil shadow evaluate` against a plain Python loop
doing the same work (nibabel load + window/scale + MONAI's sliding_window_inference(mode=
"gaussian") over onnxruntime + argmax + DeepMind surface-distance Dice per label), on the same
cases and models, with the same number of cores on both sides (`--cores`, default 2):

- Vigil: hardware profile `concurrency` 2 (the candidate and the baseline of a case run at once
  on two threads) and `intra_op_threads` = cores / 2 per session, so it keeps `cores` busy;
  with `--cores 1`, concurrency 1 and one intra-op thread.
- Python: its onnxruntime sessions get `intra_op_num_threads` = cores and torch
  `set_num_threads(cores)` (MONAI's blending), the models one after the other.
The machine must have `cores` idle cores for the figures to mean anything.

Cases: the fixture phantoms (tests/fixtures/shadow) enlarged 3x per axis with nearest-neighbour
zoom (120x108x96 voxels, spacing divided by 3), 64^3 patches, overlap 0.5, batch 4.

    python3 -m venv .venv && .venv/bin/pip install numpy scipy nibabel onnxruntime monai torch "surface-distance==0.1"
    cargo build --release
    ORT_DYLIB_PATH=... .venv/bin/python benches/shadow_bench.py --vigil target/release/vigil [--cases 6]

Prints per-case seconds for both, the ratio (Python / Vigil) and Vigil's time beyond ONNX
Runtime's compute (from the dossier: candidate wall time minus ORT time, over wall time; with
concurrency 2 the candidate's wall time includes decoding and its own run while the baseline
runs beside it).

`--numpy-window` runs the Python loop with the numpy port of MONAI's gaussian window from
tests/fixtures/shadow/metric_reference.py instead of MONAI + torch (a check of the script where
torch is not installed; report MONAI's figures).

`--vigil-only` skips the Python loop (needs only numpy and nibabel: no torch); `--big` instead
runs one 512x512x300 phantom with 96^3 patches through `vigil shadow evaluate` under
`/usr/bin/time -v` and prints the process's maximum RSS and the dossier's per-case peak; its
profile allows 2560 MiB per model run at once (5120 MiB with concurrency 2): Vigil's planned
buffers for one run are about 1.8 GiB here, and the measured peak adds the case's decoded image
and mask (shared by both runs) and ONNX Runtime's arena (4568 MiB measured with concurrency 2,
3 Dec 2026; 2048 MiB per run was exceeded, and the dossier's budget line said so).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import nibabel as nib
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "shadow")
PATCH, OVERLAP, BATCH, FACTOR = (64, 64, 64), 0.5, 4, 3


def enlarge(a):
    """Nearest-neighbour zoom by FACTOR (scipy's when installed, else repeating voxels)."""
    try:
        from scipy.ndimage import zoom
        return zoom(a, FACTOR, order=0)
    except ImportError:
        return a.repeat(FACTOR, 0).repeat(FACTOR, 1).repeat(FACTOR, 2)


def profile_for(cores, name, memory_per_run_mib, latency_ms):
    """Vigil's hardware profile for `cores` cores (see the module doc)."""
    concurrency = 2 if cores >= 2 else 1
    if cores % concurrency:
        raise SystemExit(f"--cores {cores}: use 1 or an even number")
    return {"name": name, "intra_op_threads": cores // concurrency, "concurrency": concurrency,
            "memory_limit_mib": memory_per_run_mib * concurrency, "latency_budget_ms": latency_ms,
            "max_patch_batch": BATCH}


def make_cases(out, n, cores):
    cases = json.load(open(os.path.join(FIX, "cases.json")))[:n]
    spacing = None
    listed = []
    for c in cases:
        img = nib.load(os.path.join(FIX, c["image"]))
        spacing = [float(s) / FACTOR for s in img.header.get_zooms()[:3]]
        affine = np.diag(spacing + [1.0])
        vol = enlarge(np.asanyarray(img.dataobj)).astype(np.int16)
        mask = enlarge(np.asanyarray(nib.load(os.path.join(FIX, c["mask"])).dataobj)).astype(np.uint8)
        stem = c["case_ref"][:12]
        nib.save(nib.Nifti1Image(vol, affine), os.path.join(out, stem + "_image.nii.gz"))
        nib.save(nib.Nifti1Image(mask, affine), os.path.join(out, stem + "_mask.nii.gz"))
        listed.append({"case_ref": c["case_ref"], "stratum": c["stratum"], "image": stem + "_image.nii.gz", "mask": stem + "_mask.nii.gz"})
    if len(listed) == 1:
        # A run compares two cases or more: `--cases 1` scores the one case twice.
        again = dict(listed[0])
        again["case_ref"] = again["case_ref"][:-1] + ("1" if again["case_ref"][-1] == "0" else "0")
        listed.append(again)
    json.dump(listed, open(os.path.join(out, "cases.json"), "w"))
    spec = json.load(open(os.path.join(FIX, "spec.json")))
    spec.update({"patch_size": list(PATCH), "overlap": OVERLAP, "spacing_mm": spacing})
    json.dump(spec, open(os.path.join(out, "spec.json"), "w"))
    profile = profile_for(cores, f"bench-{cores}c", 4096, 600000)
    json.dump(profile, open(os.path.join(out, "profile.json"), "w"))
    return listed, spec


def numpy_window(sess, vol, cores):
    """The loop's window without torch: metric_reference.py's numpy port of MONAI's."""
    sys.path.insert(0, FIX)
    from metric_reference import sliding_window

    return sliding_window(sess, vol, PATCH, OVERLAP, BATCH)


def monai_window(sess, vol, cores):
    import torch
    from monai.inferers import sliding_window_inference

    torch.set_num_threads(cores)

    def predictor(x):
        return torch.from_numpy(sess.run(["probs"], {"image": x.numpy()})[0])

    with torch.no_grad():
        probs = sliding_window_inference(torch.from_numpy(vol[None, None]), PATCH, BATCH, predictor,
                                         overlap=OVERLAP, mode="gaussian")
    return probs.numpy()[0]


def python_loop(out, listed, spec, models, cores, window):
    import onnxruntime as ort
    from surface_distance import compute_dice_coefficient

    lo, hi = spec["preprocessing"]["clip_scale"]["min"], spec["preprocessing"]["clip_scale"]["max"]
    sessions = []
    for m in models:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cores
        sessions.append(ort.InferenceSession(m, opts, providers=["CPUExecutionProvider"]))
    window(sessions[0], np.zeros(PATCH, np.float32), cores)  # imports and thread pools outside the timing
    scores, started = [], time.perf_counter()
    for c in listed:
        for sess in sessions:
            img = nib.load(os.path.join(out, c["image"]))
            vol = ((np.clip(np.asanyarray(img.dataobj).astype(np.float32), lo, hi) - lo) / (hi - lo)).astype(np.float32)
            ref = np.asanyarray(nib.load(os.path.join(out, c["mask"])).dataobj)
            pred = window(sess, vol, cores).argmax(0)
            scores.append(np.mean([compute_dice_coefficient(ref == k, pred == k) for k in (1, 2)]))
    return time.perf_counter() - started, scores


def evaluate(vigil, out, models, prefix=()):
    """Run `vigil shadow evaluate` on the cases in `out`; returns seconds, dossier, stderr."""
    started = time.perf_counter()
    done = subprocess.run([*prefix, vigil, "shadow", "evaluate", "--candidate", models[0], "--baseline", models[1],
                           "--spec", os.path.join(out, "spec.json"), "--profile", os.path.join(out, "profile.json"),
                           "--cases", os.path.join(out, "cases.json"), "--out", os.path.join(out, "dossier"),
                           "--bootstrap-resamples", "1000", "--quiet"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"vigil shadow evaluate exited with {done.returncode}: {done.stderr.strip()}")
    return seconds, json.load(open(os.path.join(out, "dossier", "dossier.json"))), done.stderr


def big_case(out, cores):
    """One 512x512x300 CT-like phantom (an ellipsoid organ with a lesion, noise) and its mask,
    two copies (a run needs two cases), 96^3 patches, spacing 0.8 x 0.8 x 1.5 mm."""
    rng = np.random.default_rng(7)
    shape = (512, 512, 300)
    x, y, z = np.ogrid[:shape[0], :shape[1], :shape[2]]
    organ = ((x - 256) / 150.0) ** 2 + ((y - 256) / 120.0) ** 2 + ((z - 150) / 90.0) ** 2 <= 1
    lesion = ((x - 300) / 30.0) ** 2 + ((y - 240) / 30.0) ** 2 + ((z - 150) / 20.0) ** 2 <= 1
    mask = organ.astype(np.uint8) + (organ & lesion).astype(np.uint8)
    vol = np.where(mask == 2, 120, np.where(mask == 1, 60, -1000)).astype(np.int16)
    vol += rng.normal(0, 20, shape).astype(np.int16)
    affine = np.diag([0.8, 0.8, 1.5, 1.0])
    nib.save(nib.Nifti1Image(vol, affine), os.path.join(out, "big_image.nii.gz"))
    nib.save(nib.Nifti1Image(mask, affine), os.path.join(out, "big_mask.nii.gz"))
    listed = [{"case_ref": f"{i:064x}", "stratum": "big", "image": "big_image.nii.gz", "mask": "big_mask.nii.gz"}
              for i in (1, 2)]
    json.dump(listed, open(os.path.join(out, "cases.json"), "w"))
    spec = json.load(open(os.path.join(FIX, "spec.json")))
    spec.update({"patch_size": [96, 96, 96], "overlap": 0.5, "spacing_mm": [0.8, 0.8, 1.5]})
    json.dump(spec, open(os.path.join(out, "spec.json"), "w"))
    profile = profile_for(cores, "bench-big", 2560, 3600000)
    json.dump(profile, open(os.path.join(out, "profile.json"), "w"))
    return profile


def big(vigil, models, cores):
    with tempfile.TemporaryDirectory() as out:
        profile = big_case(out, cores)
        seconds, dossier, stderr = evaluate(vigil, out, models, prefix=("/usr/bin/time", "-v"))
    rss = [line for line in stderr.splitlines() if "Maximum resident set size" in line]
    print(f"512x512x300, 96^3 patches, overlap 0.5, batch {BATCH}, 2 cases x 2 models: {seconds:.1f} s")
    print(f"profile: concurrency {profile['concurrency']}, intra_op_threads {profile['intra_op_threads']}, "
          f"memory_limit_mib {profile['memory_limit_mib']}")
    print(f"/usr/bin/time -v: {rss[0].strip() if rss else 'no figure'}")
    print(f"dossier peak RSS per case (MiB): {[round(c['peak_mib'], 1) for c in dossier['cases']]}")
    print(f"budget lines: {[(b['line'], round(b['measured'], 1), b['limit'], b['pass']) for b in dossier['budget']]}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--cases", type=int, default=6, help="fixture phantoms (1: one scored twice)")
    ap.add_argument("--vigil-only", action="store_true")
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--cores", type=int, default=2, help="cores for each side (1 or even)")
    ap.add_argument("--numpy-window", action="store_true", help="no torch: numpy port of MONAI's window")
    a = ap.parse_args()
    models = [os.path.join(FIX, "models", m) for m in ("candidate_better.onnx", "deployed.onnx")]
    if a.big:
        return big(a.vigil, models, a.cores)
    with tempfile.TemporaryDirectory() as out:
        listed, spec = make_cases(out, a.cases, a.cores)
        vigil_s, dossier, _ = evaluate(a.vigil, out, models)
        if a.vigil_only:
            python_s, scores = None, []
        else:
            window = numpy_window if a.numpy_window else monai_window
            python_s, scores = python_loop(out, listed, spec, models, a.cores, window)
    wall = sum(c["wall_ms"] for c in dossier["cases"])
    compute = sum(c["compute_ms"] for c in dossier["cases"])
    runs = 2 * len(listed)
    ours = [x for c in dossier["cases"] for x in (c["candidate"], c["baseline"])]
    p = dossier["provenance"]["profile"]
    print(f"cases: {len(listed)} x 2 models, {PATCH[0]}^3 patches, overlap {OVERLAP}, batch {BATCH}; {a.cores} cores: "
          f"vigil concurrency {p['concurrency']} x intra_op_threads {p['intra_op_threads']}, "
          f"python intra_op_num_threads {a.cores}")
    print(f"vigil shadow evaluate (whole process): {vigil_s:.3f} s = {vigil_s / runs:.3f} s per case-model")
    if python_s is not None:
        what = "numpy port of MONAI's window" if a.numpy_window else "MONAI"
        print(f"python loop (nibabel + {what} + onnxruntime + surface-distance): {python_s:.3f} s = {python_s / runs:.3f} s per case-model")
        print(f"ratio python / vigil: {python_s / vigil_s:.2f}x")
        print(f"max |Dice vigil - Dice python|: {max(abs(x - y) for x, y in zip(ours, scores)):.2e}")
    print(f"vigil beyond ONNX Runtime compute (candidate, per case): {100 * (wall - compute) / wall:.1f} %")
    print(f"peak RSS per case (MiB): max {max(c['peak_mib'] for c in dossier['cases']):.1f}")


if __name__ == "__main__":
    sys.exit(main())
