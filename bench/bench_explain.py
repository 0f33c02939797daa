"""How fast the explanation pages are, and whether their maps pass the sanity check (not a test).

1. every map (occlusion with each baseline, SmoothGrad, Grad-CAM) for N test digits on ONE torch
   thread, as the app's server runs: milliseconds per map;
2. Adebayo et al.'s check: the rank correlation of each map for the trained model and for the same
   model with scrambled weights (high: the map shows the picture, not what was learned);
3. the digit map: features of 5,000 test digits, then PCA, t-SNE, and UMAP (its first fit in a new
   process, which compiles, and a second one), and how long a revisit takes (reading the saved file).

    python -m bench.bench_explain --data ../shared/datasets [--checkpoint FILE] [--save]

--save writes the projections beside the checkpoint (for the shipped model: the file it ships).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UMAP_ONCE = """
import sys, time, numpy as np
feats = np.load(sys.argv[1])["features"]
import umap
t0 = time.perf_counter()
umap.UMAP(n_components=2, random_state=0, n_jobs=1).fit_transform(feats)
t1 = time.perf_counter()
umap.UMAP(n_components=2, random_state=1, n_jobs=1).fit_transform(feats); t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "../shared/datasets"))
    ap.add_argument("--checkpoint", help="a model (default: the shipped one)")
    ap.add_argument("--digits", type=int, default=20)
    ap.add_argument("--save", action="store_true", help="save the projections beside the checkpoint")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    import numpy as np
    import torch

    from mnist_lab import explain, projection, sidefiles
    from mnist_lab.checkpoints import default_checkpoint, load_model
    from mnist_lab.data import load_dataset
    from mnist_lab.registry import MODELS

    torch.set_num_threads(1)
    ckpt = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
    model, meta = load_model(ckpt)
    rnd = explain.scrambled(meta)
    data = load_dataset(meta.dataset, args.data, download=False)
    settings = [
        ("occlusion", "grey"),
        ("occlusion", "blur"),
        ("occlusion", "black"),
        ("smoothgrad", "grey"),
        ("gradcam", "grey"),
    ]
    if MODELS[meta.model].gradcam_layer is None:
        settings = settings[:-1]
    ms: dict[str, list[float]] = {}
    corr: dict[str, list[float]] = {}
    for i in range(args.digits):
        img, label = data.test.images[i].numpy(), int(data.test.labels[i])
        for method, base in settings:
            name = f"{method}/{base}" if method == "occlusion" else method
            a = explain.attribution(model, meta, img, method, label, baseline=base)
            b = explain.attribution(rnd, meta, img, method, label, baseline=base)
            ms.setdefault(name, []).append(1000 * a.seconds)
            corr.setdefault(name, []).append(explain.rank_correlation(a.map, b.map))
    out = {
        "model": meta.model,
        "checkpoint": str(ckpt),
        "torch_threads": torch.get_num_threads(),
        "digits": args.digits,
        "map_ms": {k: {"p50": round(statistics.median(v), 1), "max": round(max(v), 1)} for k, v in ms.items()},
        "rank_correlation_trained_vs_scrambled": {k: round(statistics.mean(v), 2) for k, v in corr.items()},
    }
    print(json.dumps(out, indent=1), flush=True)

    n = projection.N_POINTS
    t0 = time.perf_counter()
    feats = explain.features(model, meta, data.test.images[:n])
    out["features_s"] = round(time.perf_counter() - t0, 2)
    saved = projection.build(model, meta, data.test.images.numpy(), data.test.labels.numpy(), ["pca", "tsne"], n=n)
    out["pca_s"], out["tsne_s"] = round(float(saved["pca_seconds"]), 2), round(float(saved["tsne_seconds"]), 2)
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_explain_features.npz"
    np.savez(tmp, features=feats)
    try:  # UMAP in a new process: its first fit there compiles with numba
        first, second = subprocess.run([sys.executable, "-c", UMAP_ONCE, str(tmp)], capture_output=True, text=True,
                                       check=True).stdout.split()  # fmt: skip
        out["umap_first_fit_in_a_new_process_s"], out["umap_second_fit_s"] = (
            round(float(first), 1),
            round(float(second), 1),
        )
        saved = projection.build(model, meta, data.test.images.numpy(), data.test.labels.numpy(), ["umap"], saved, n=n)
    except (subprocess.CalledProcessError, ValueError) as e:
        out["umap"] = f"not measured: {str(e)[:200]}"
    target = ckpt if args.save else Path(os.environ.get("TMPDIR", "/tmp")) / "bench_explain.pt"
    file = projection.save(target, saved, path=sidefiles.beside(target, sidefiles.PROJECTIONS))
    t0 = time.perf_counter()
    projection.load(target, meta.epoch, data.test.labels.numpy())
    out["revisit_load_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    out["projections_file"] = str(file)
    out["projections_bytes"] = file.stat().st_size
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
