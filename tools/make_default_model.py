"""Train the shipped default model and publish it with its card, its test-set predictions and its
figures on digits redrawn the way students draw them.

    python tools/make_default_model.py --data ../shared/datasets                 # ~25 min on 2 CPU cores
    python tools/make_default_model.py --data ../shared/datasets --from-run runs/ID

Training sees MNIST's 60,000 digits and the same digits redrawn once in the canvas and photo styles
of `mnist_lab.redraw` and brought back to 28x28 by `preprocess.prepare_digit`, exactly as a student's
drawing reaches the model (built once, cached outside the repository), with the trainer's own
augmentation on top. The card records the MNIST test accuracy and the accuracy on the 10,000 test
digits redrawn in each style with a fresh seed (a different one each time it is measured).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REDRAWN_BY = "mnist_lab.redraw: canvas = the pad's conditions, photo = the photo conditions"
RECIPE = dict(model="modern_cnn", preset="fast", epochs=15, augment=True, lr=0.005, batch_size=128, seed=0)


def _redraw_chunk(job: tuple[np.ndarray, str, int]) -> np.ndarray:
    from mnist_lab.preprocess import prepare_digit
    from mnist_lab.redraw import redraw, source_of

    images, style, seed = job
    out = [prepare_digit(p, source_of(style)).image for p in redraw(images, style, seed)]
    return np.stack([o if o is not None else np.zeros((28, 28), np.uint8) for o in out])


def redrawn_training_set(images: np.ndarray, cache: Path, seed: int = 0) -> np.ndarray:
    """Every training digit redrawn once (alternately canvas and photo), as prepare_digit returns it."""
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            return z["images"]
    chunks = [
        (images[i : i + 1000], ("canvas", "photo")[(i // 1000) % 2], seed + i) for i in range(0, len(images), 1000)
    ]
    t0 = time.perf_counter()
    with Pool(os.cpu_count()) as pool:
        parts = []
        for k, part in enumerate(pool.imap(_redraw_chunk, chunks), 1):
            parts.append(part)
            print(f"redrawn {k * 1000}/{len(images)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    out = np.concatenate(parts)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, images=out)
    return out


def train_shipped(data, args) -> Path:
    """Train RECIPE on MNIST plus its redrawn copy into a run folder; returns the run's folder."""
    import torch

    from mnist_lab.config import make_config
    from mnist_lab.data import Dataset, Split
    from mnist_lab.runs import RunStore
    from mnist_lab.worker import StopFlag, train_run

    cache = Path(args.cache) / f"redrawn-train-v2-seed{RECIPE['seed']}.npz"  # v2: the pad and photo paths
    redrawn = redrawn_training_set(data.train.images.numpy(), cache, RECIPE["seed"])
    both = Split(torch.cat([data.train.images, torch.from_numpy(redrawn)]), torch.cat([data.train.labels] * 2))
    combined = Dataset("mnist", both, data.test, data.source, data.classes)
    recipe = {k: v for k, v in RECIPE.items() if k not in ("model", "preset")}
    cfg = make_config(RECIPE["model"], RECIPE["preset"], **{**recipe, "epochs": args.epochs})
    run = RunStore(args.runs_dir).create(cfg.to_dict(), student="tools/make_default_model.py")
    run.set_status("running", pid=os.getpid())

    def report(ev: dict) -> None:
        if ev["type"] == "epoch":
            print(f"epoch {ev['epoch']}: test {ev['test_acc']:.2%}", file=sys.stderr, flush=True)

    # the app's own way to train a run (status, metrics, a checkpoint and predictions per epoch, a
    # plain reason on failure), on the combined set in place of the one it would load
    end = train_run(run, args.data, StopFlag(), on_event=report, datasets={(cfg.dataset, str(args.data)): combined})
    if end["state"] != "done":
        raise SystemExit(f"training ended {end['state']}: {run.status().get('reason')}")
    return run.path


def _redrawn_figures(model, meta, data, seed: int) -> dict[str, float]:
    from mnist_lab.redraw import redrawn_accuracy

    images, labels = data.test.images.numpy(), data.test.labels.numpy()
    return {s: round(redrawn_accuracy(model, meta, images, labels, s, seed), 4) for s in ("canvas", "photo")}


def remeasure(args) -> None:
    """The shipped model's redrawn figures again (after a change to preprocessing or to the redrawing),
    with a fresh seed; the model, its predictions and the rest of its card stay as they are."""
    from mnist_lab.checkpoints import default_checkpoint, load_model, read_card
    from mnist_lab.data import load_dataset

    model, meta = load_model(default_checkpoint())
    data = load_dataset(meta.dataset, args.data, download=False)
    seed = args.redraw_seed if args.redraw_seed is not None else int(time.time())
    redrawn = _redrawn_figures(model, meta, data, seed)
    card = read_card()
    card["redrawn_canvas_accuracy"], card["redrawn_photo_accuracy"] = redrawn["canvas"], redrawn["photo"]
    card["redraw"] = {"seed": seed, "images": len(data.test.labels), "made_by": REDRAWN_BY}
    default_checkpoint().with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--from-run", help="publish this run folder instead of training a new one")
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "mnist_lab"), help="where the redrawn set is kept")
    ap.add_argument("--redraw-seed", type=int, help="seed of the redrawn test digits (default: a fresh one)")
    ap.add_argument("--note", help="a remark for the card (e.g. how busy the machine was)")
    ap.add_argument(
        "--measure-only",
        action="store_true",
        help="train nothing: measure the shipped model on freshly redrawn test digits and update its card",
    )
    args = ap.parse_args()
    if args.measure_only:
        remeasure(args)
        return

    import torch

    from mnist_lab import sidefiles
    from mnist_lab.checkpoints import default_checkpoint, load_model
    from mnist_lab.data import load_dataset
    from mnist_lab.evaluate import evaluate, save_predictions
    from mnist_lab.runs import Run

    torch.set_num_threads(os.cpu_count() or 1)
    data = load_dataset("mnist", args.data, download=False)
    run_dir = Path(args.from_run) if args.from_run else train_shipped(data, args)
    run = Run(run_dir)
    model, meta = load_model(run.checkpoint_path())
    ev = evaluate(model, data.test, meta.normalize, meta.pad)
    seed = args.redraw_seed if args.redraw_seed is not None else int(time.time())
    redrawn = _redrawn_figures(model, meta, data, seed)
    status = run.status()
    dest = default_checkpoint()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run.checkpoint_path(), dest)
    # the Mistakes page opens on these; shipped beside the model (the app itself never writes there)
    save_predictions(dest, ev.probabilities, ev.labels, meta.epoch, path=sidefiles.beside(dest, sidefiles.PREDICTIONS))
    # the old model's digit map would pass for this one's (same epoch count, same test labels)
    sidefiles.beside(dest, sidefiles.PROJECTIONS).unlink(missing_ok=True)
    command = ["python", "tools/make_default_model.py", "--data", "DIR"]
    if args.epochs != RECIPE["epochs"]:
        command += ["--epochs", str(args.epochs)]
    card = {
        "model": meta.model,
        "preset": meta.config["preset"],
        "epochs": meta.epoch,
        "config": meta.config,
        "test_accuracy": round(ev.accuracy, 4),
        "redrawn_canvas_accuracy": redrawn["canvas"],
        "redrawn_photo_accuracy": redrawn["photo"],
        "redraw": {"seed": seed, "images": len(data.test.labels), "made_by": REDRAWN_BY},
        "per_class_accuracy": [round(float(a), 4) for a in ev.per_class],
        "train_seconds": round(status.get("ended", 0) - status.get("started", 0), 1),
        "trained_on": status.get("device_name"),
        "dataset": "MNIST: 60,000 training digits and the same digits redrawn once by mnist_lab.redraw; "
        "accuracy on the 10,000 test digits",
        "command": shlex.join(command),
        "date": datetime.date.fromtimestamp(status.get("ended", 0) or time.time()).isoformat(),
        "size_bytes": dest.stat().st_size,
    }
    if args.note:
        card["note"] = args.note
    dest.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card, indent=1))
    print("now rebuild its digit map: python -m bench.bench_explain --data DIR --save", file=sys.stderr)


if __name__ == "__main__":
    main()
