"""How well the lab reads digits it did not make (not a test): accuracy per source, beside the plain
MNIST recipe on the same pictures, and the time to prepare one picture on one thread.

Sources:
- UCI optical digits (real handwriting by 43 people, shipped in scikit-learn), scaled x14 and x4 as
  coarse scans, light on dark as stored and dark on light as a scanner gives them;
- MNIST test digits redrawn on the pad (any size, place and brush; bold ones that fill the pad and
  touch its edges; small ones; the digit at its own 28x28 size), each also as the pad sends it (the ink
  cropped to its box and at most 112 px: `*_as_sent`);
- MNIST test digits written on paper and photographed, one condition each (see mnist_lab.redraw).

    python -m bench.bench_digits --data ../shared/datasets [--n 1000] [--seed 0]
        [--checkpoint FILE] [--compare-with OTHER_CHECKOUT [--hard-cases DIR]] [--json OUT] [--only NAME ...]

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
        sent = f"{condition}_as_sent"  # the same drawings as the pad sends them: cropped, at most 112 px
        if not only or condition in only or (condition in redraw.PAD_CONDITIONS and sent in only):
            pictures = redraw.redraw(images, condition, seed + k)
            if not only or condition in only:
                yield condition, pictures, labels, redraw.SOURCE[condition]
            if condition in redraw.PAD_CONDITIONS and (not only or sent in only):
                yield sent, [as_sent(p) for p in pictures], labels, "pad"


def as_sent(sheet):
    """A pad drawing as the pad sends it when the pen lifts (mnist_lab.padink)."""
    from mnist_lab import padink

    return padink.read_ink(padink.message_for(sheet)).picture


def hard_cases(model, meta, other, out: Path) -> list[Path]:
    """Three hard cases as pictures: the input, then what the other checkout and this one make of it,
    each with the model's answer. Written to out/NAME.png."""
    import cv2
    import numpy as np

    from mnist_lab import redraw
    from mnist_lab.evaluate import predict_proba
    from mnist_lab.preprocess import prepare_digit

    uci, uci_labels = redraw.uci_scans(14)
    cases = {  # name: (picture, source, true label)
        "bold_zero_on_the_pad": (redraw.bold_on_pad(0), "pad", 0),
        "marker_eight_lit_from_one_side": (redraw.marker_photo(8), "photo", 8),
        "uci_scan_of_a_four": (uci[4], "photo", int(uci_labels[4])),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (picture, source, label) in cases.items():
        shown = picture[..., :3] if picture.ndim == 3 else np.repeat(picture[..., None], 3, axis=2)
        tiles = [cv2.resize(shown, (224 * shown.shape[1] // shown.shape[0], 224), interpolation=cv2.INTER_AREA)]
        for title, image in (("before", other(picture, source)), ("after", prepare_digit(picture, source).image)):
            tile = np.zeros((224, 224, 3), np.uint8)
            if image is not None:
                tile = np.repeat(cv2.resize(image, (168, 168), interpolation=cv2.INTER_NEAREST)[..., None], 3, 2)
                tile = cv2.copyMakeBorder(tile, 28, 28, 28, 28, cv2.BORDER_CONSTANT, value=(40, 40, 40))
                answer = int(predict_proba(model, image[None], meta.normalize, meta.pad)[0].argmax())
                colour = (0, 200, 0) if answer == label else (0, 0, 230)
                cv2.putText(tile, f"{title}: reads {answer}", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2)
            tiles.append(tile)
        path = out / f"{name}.png"
        cv2.imwrite(str(path), np.concatenate(tiles, axis=1))
        written.append(path)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "../shared/datasets"))
    ap.add_argument("--n", type=int, default=1000, help="MNIST test digits per redrawn condition")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", help="a model (default: the shipped one)")
    ap.add_argument("--compare-with", metavar="CHECKOUT", help="also another checkout's prepare_digit")
    ap.add_argument("--only", nargs="+", help="only these sources")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument(
        "--hard-cases", metavar="DIR", help="with --compare-with: pictures of three hard cases, before and after"
    )
    args = ap.parse_args()

    import cv2
    import torch

    from mnist_lab import redraw
    from mnist_lab.checkpoints import default_checkpoint, load_model
    from mnist_lab.data import load_dataset
    from mnist_lab.preprocess import plain_recipe, prepare_digit

    torch.set_num_threads(1)
    cv2.setNumThreads(1)  # one thread, as one server session
    model, meta = load_model(Path(args.checkpoint) if args.checkpoint else default_checkpoint())
    data = load_dataset(meta.dataset, args.data, download=False)
    other = _other_prepare(args.compare_with) if args.compare_with else None
    if args.hard_cases and not other:
        ap.error("--hard-cases needs --compare-with (it shows before and after)")
    if args.hard_cases:
        for path in hard_cases(model, meta, other, Path(args.hard_cases)):
            print(f"wrote {path}")
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
            "ours": redraw.score(model, meta, ours, labels),
            "plain": redraw.score(model, meta, [plain_recipe(p) for p in pictures], labels),
            "ms_per_picture": ms,
        }
        if other:
            row["before"] = redraw.score(model, meta, [other(p, source) for p in pictures], labels)
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
