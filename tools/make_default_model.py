"""Train (or take) a run and publish it as the shipped default model, with its card.

    python tools/make_default_model.py --data ../shared/datasets            # trains, ~15 min on 2 CPU cores
    python tools/make_default_model.py --data ../shared/datasets --from-run runs/ID

The card (mnist_lab/assets/default_model.json) records the command, the date, the accuracy on the
MNIST test set, and the accuracy on test digits redrawn the way a canvas drawing reaches the model
(scaled up, inverted, preprocessed back to 28x28), which is what the Draw page depends on.
"""
from __future__ import annotations

import argparse
import datetime
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TRAIN_ARGS = ["--model", "modern_cnn", "--preset", "fast", "--epochs", "8", "--augment",
              "--lr", "0.005", "--batch-size", "128", "--seed", "0"]


def redrawn_accuracy(model, meta, data, n: int = 2000) -> float:
    """Accuracy on test digits drawn as dark ink on a light 280x280 canvas and preprocessed."""
    import cv2
    import numpy as np

    from mnist_lab.evaluate import predict_proba
    from mnist_lab.preprocess import prepare_digit
    images = []
    for img in data.test.images[:n].numpy():
        big = 255 - cv2.resize(img, (280, 280), interpolation=cv2.INTER_CUBIC)
        prepared = prepare_digit(big)
        images.append(prepared.image if prepared.image is not None else np.zeros((28, 28), np.uint8))
    probs = predict_proba(model, np.stack(images), meta["normalize"], meta["pad"])
    return float((probs.argmax(1) == data.test.labels[:n].numpy()).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--from-run", help="publish this run folder instead of training a new one")
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--note", help="a remark for the card (e.g. how busy the machine was)")
    args = ap.parse_args()
    command = [sys.executable, "-m", "mnist_lab", "train", *TRAIN_ARGS, "--data", args.data,
               "--runs-dir", args.runs_dir, "--json"]
    if args.from_run:
        run_dir = Path(args.from_run)
    else:
        p = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        run_dir = Path(json.loads(p.stdout.strip().splitlines()[-1])["run_dir"])

    from mnist_lab.data import load_dataset
    from mnist_lab.evaluate import evaluate
    from mnist_lab.runs import Run, default_checkpoint, load_model
    run = Run(run_dir)
    model, meta = load_model(run.checkpoint_path())
    data = load_dataset("mnist", args.data, download=False)
    ev = evaluate(model, data.test, meta["normalize"], meta["pad"])
    status = run.status()
    dest = default_checkpoint()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run.checkpoint_path(), dest)
    card = {
        "model": meta["model"], "preset": meta["config"]["preset"], "epochs": meta["epoch"],
        "config": meta["config"],
        "test_accuracy": round(ev.accuracy, 4),
        "redrawn_test_accuracy": round(redrawn_accuracy(model, meta, data), 4),
        "per_class_accuracy": [round(float(a), 4) for a in ev.per_class],
        "train_seconds": round(status.get("ended", 0) - status.get("started", 0), 1),
        "trained_on": status.get("device_name"),
        "dataset": "MNIST (60,000 training images; accuracy on the 10,000 test images)",
        "command": "python -m mnist_lab train " + " ".join(shlex.quote(a) for a in TRAIN_ARGS) + " --data DIR",
        "published_by": "python tools/make_default_model.py --data DIR",
        "date": datetime.date.fromtimestamp(status.get("ended", 0) or run.checkpoint_path().stat().st_mtime).isoformat(),
        "size_bytes": dest.stat().st_size,
    }
    if args.note:
        card["note"] = args.note
    dest.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
