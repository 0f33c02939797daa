"""How well the lab reads digits it did not make (not a test): accuracy per source, beside the plain
MNIST recipe on the same pictures, and the time to prepare one picture on one thread.

Sources:
- UCI optical digits (real handwriting by 43 people, shipped in scikit-learn), scaled x14 and x4 as
  coarse scans, light on dark as stored and dark on light as a scanner gives them;
- MNIST test digits redrawn on the pad (any size, place and brush; bold ones that fill the pad and
  touch its edges; small ones; the digit at its own 28x28 size);
- MNIST test digits written on paper and photographed, one condition each (see mnist_lab.redraw).

    python -m bench.bench_digits --data ../shared/datasets [--n 1000] [--seed 0]
        [--checkpoint FILE] [--compare-with OTHER_CHECKOUT] [--json OUT] [--only NAME ...]

--compare-with also runs another checkout's prepare_digit on the very same pictures, side by side
(an older one that took no source). The plain recipe: grey, inverted when the border is light,
Otsu's threshold for the box, the box scaled into 20x20, centred by mass (`preprocess.plain_recipe`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path


def _other_prepare(checkout: str):
    """Another checkout's prepare_digit, imported under its own package name beside ours."""
    pkg = Path(checkout) / "mnist_lab"
    spec = importlib.util.spec_from_file_location(
        "other_mnist_lab", pkg / "__init__.py", submodule_search_locations=[str(pkg)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_mnist_lab"] = module
    spec.loader.exec_module(module)
    from other_mnist_lab import preprocess as other

    def prepare(picture, source):
        try:
            return other.prepare_digit(picture, source).image
        except TypeError:  # from before prepare_digit knew the source
            return other.prepare_digit(picture).image

    return prepare


def sources(data, n: int, seed: int, only=None):
    """(name, pictures, labels, path of prepare_digit) for each source, made as it is asked for."""
    from mnist_lab import redraw

    for scale in (14, 4):
        for dark in (False, True):
            name = f"uci_x{scale}" + ("_dark_on_light" if dark else "")
            if not only or name in only:
                yield name, *redraw.uci_scans(scale, dark_on_light=dark), "photo"
    images, labels = data.test.images[:n].numpy(), data.test.labels[:n].numpy()
    for k, condition in enumerate(redraw.CONDITIONS):
        if not only or condition in only:
            yield condition, redraw.redraw(images, condition, seed + k), labels, redraw.SOURCE[condition]


def accuracy(model, meta, prepared: list, labels) -> float:
    """A picture where no digit was found counts as wrong."""
    import numpy as np

    from mnist_lab.evaluate import predict_proba

    found = [i for i, p in enumerate(prepared) if p is not None]
    if not found:
        return 0.0
    probs = predict_proba(model, np.stack([prepared[i] for i in found]), meta.normalize, meta.pad)
    return int((probs.argmax(1) == np.asarray(labels)[found]).sum()) / len(labels)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "../shared/datasets"))
    ap.add_argument("--n", type=int, default=1000, help="MNIST test digits per redrawn condition")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", help="a model (default: the shipped one)")
    ap.add_argument("--compare-with", metavar="CHECKOUT", help="also another checkout's prepare_digit")
    ap.add_argument("--only", nargs="+", help="only these sources")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    import cv2
    import torch

    from mnist_lab.checkpoints import default_checkpoint, load_model
    from mnist_lab.data import load_dataset
    from mnist_lab.preprocess import plain_recipe, prepare_digit

    torch.set_num_threads(1)
    cv2.setNumThreads(1)  # one thread, as one server session
    model, meta = load_model(Path(args.checkpoint) if args.checkpoint else default_checkpoint())
    data = load_dataset(meta.dataset, args.data, download=False)
    other = _other_prepare(args.compare_with) if args.compare_with else None
    rows = []
    header = f"| source | path | n | ours | plain recipe |{' before |' if other else ''} ms/picture |"
    print(header)
    print("|" + " --- |" * (header.count("|") - 1), flush=True)
    for name, pictures, labels, source in sources(data, args.n, args.seed, args.only):
        t0 = time.perf_counter()
        ours = [prepare_digit(p, source).image for p in pictures]
        ms = (time.perf_counter() - t0) * 1000 / len(pictures)
        row = {
            "source": name,
            "path": source,
            "n": len(pictures),
            "ours": accuracy(model, meta, ours, labels),
            "plain": accuracy(model, meta, [plain_recipe(p) for p in pictures], labels),
            "ms_per_picture": ms,
        }
        if other:
            row["before"] = accuracy(model, meta, [other(p, source) for p in pictures], labels)
        rows.append(row)
        before = f" {row['before']:.2%} |" if other else ""
        print(
            f"| {name} | {source} | {row['n']} | {row['ours']:.2%} | {row['plain']:.2%} |{before} {ms:.2f} |",
            flush=True,
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
