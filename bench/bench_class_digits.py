"""The class's own digits: saving at once, and teaching a model the class's hand.

    python -m bench.bench_class_digits --data ../shared/datasets [--part saves|teach|both] [--json FILE]

saves: 30 simulated students (threads, each with its own connection, as the server's session threads
       have) start together and each save 10 pad drawings through Draw's Add button's own code
       (classdigits.collect.add_drawing: the drawing cropped to its ink as a PNG, and the row). Every save's
       latency is kept. Twice: ten clicks in one second per student, each student starting at a random
       moment of the first tenth (300 saves in the same second), then all 300 at once, back to back.
teach: a stand-in class made from data we did not make for it: MNIST training digits redrawn by
       mnist_lab.redraw (the reading benchmark's realistic pad drawings and photos), one writer a style
       (a condition and a seed), 30 writers x 10 digits. A `class_digits` run is submitted through
       jobs.submit, as the Train page does, and trained by a worker from the queue; the figures are
       the run's own: held-out writers' accuracy before (the shipped model as it is: the plain
       baseline) and after, MNIST test before and after, and the seconds from submit to done.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

STUDENTS, EACH = 30, 10
# the styles the stand-in class writes in: the pad's and the photo conditions the shipped model reads worst
STYLES = ("shadow", "uneven_light", "low_contrast", "chalk", "thin_pen", "blur", "pad_small", "pad_bold")


def _digits(data, n: int, seed: int):
    """n MNIST training digits, one of each label in turn."""
    rng = np.random.default_rng(seed)
    labels = data.train.labels.numpy()
    picks = [rng.choice(np.flatnonzero(labels == k % 10)) for k in range(n)]
    return data.train.images.numpy()[picks], labels[picks]


def _save(store, picture: np.ndarray, prepared, label: int, student: str) -> float:
    """What Draw's Add button does with a drawing it has already answered (the page keeps its Prepared
    and probabilities from the answer): collect.add_drawing. Returns its seconds."""
    from mnist_lab.classdigits.collect import add_drawing

    probs = np.eye(10, dtype=np.float32)[label] * 0.9 + 0.01
    t0 = time.perf_counter()
    add_drawing(store, picture=picture, prepared=prepared, source="pad", label=label, probs=probs, student=student,
                model="default")  # fmt: skip
    return time.perf_counter() - t0


def saves(data, root: Path, gap_s: float) -> dict:
    from mnist_lab.classdigits.store import DigitStore, default_path
    from mnist_lab.preprocess import prepare_digit
    from mnist_lab.redraw import redraw

    images, labels = _digits(data, EACH, 0)
    drawings = redraw(images, "pad", seed=1)
    prepared = [prepare_digit(d, "pad") for d in drawings]
    path = default_path(root)
    DigitStore(path).count()  # the file exists before the class arrives, as on a running server
    go, times, errors = threading.Barrier(STUDENTS), [], []

    def student(k: int) -> None:
        own = DigitStore(path)
        try:
            go.wait()
            # a student's clicks come gap_s apart, each student at their own moment within the first gap
            # (students are not in step to the millisecond); gap 0: all ten at once, harsher than any hand
            start = time.perf_counter() + np.random.default_rng(k).uniform(0, gap_s)
            for i in range(EACH):
                time.sleep(max(0.0, start + i * gap_s - time.perf_counter()))
                times.append(_save(own, drawings[i], prepared[i], int(labels[i]), f"student {k:02d}"))
        except Exception as e:  # noqa: BLE001 -- counted, then reported
            errors.append(repr(e))
        finally:
            own.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=student, args=(k,)) for k in range(STUDENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = sorted(1000 * t for t in times)
    return {
        "gap_s": gap_s,
        "stored": DigitStore(path).count(),
        "asked": STUDENTS * EACH,
        "errors": errors[:3],
        "save_ms_p50": round(statistics.median(ms), 1),
        "save_ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "save_ms_max": round(ms[-1], 1),
        "wall_s": round(wall, 2),
    }


def teach(data, data_root: str, root: Path, klass: int = 0) -> dict:
    from mnist_lab.classdigits.store import DigitStore, default_path, png
    from mnist_lab.jobs.submit import submit
    from mnist_lab.preprocess import prepare_digit
    from mnist_lab.redraw import SOURCE, redraw
    from mnist_lab.runs import ACTIVE

    store = DigitStore(default_path(root))
    for w in range(STUDENTS):
        style = STYLES[w % len(STYLES)]
        images, labels = _digits(data, EACH, 100 * klass + w)
        for picture, label in zip(redraw(images, style, seed=10_000 * klass + 1000 + w), labels, strict=True):
            prepared = prepare_digit(picture, SOURCE[style])
            if prepared.image is None:
                continue  # a redraw the reader refuses: not saved, as a student would see "no digit"
            store.add(label=int(label), image=prepared.image, picture=png(prepared.image), student=f"writer {w:02d}",
                      source=SOURCE[style])  # fmt: skip
    t0 = time.perf_counter()
    run = submit("modern_cnn", "class_digits", {"seed": klass}, runs_dir=root, data_root=data_root)
    while (state := run.reconcile()["state"]) in ACTIVE:
        time.sleep(0.2)
    seconds = time.perf_counter() - t0
    st = run.status()
    return {
        "class": klass,
        "state": state,
        "reason": st.get("reason"),
        "class_digits": store.count(),
        "held_out_writers": st.get("held_out_writers"),
        "held_out_digits": st.get("held_out_digits"),
        "held_out_before": st.get("class_accuracy_before"),
        "held_out_after": st.get("class_accuracy"),
        "mnist_before": st.get("test_accuracy_before"),
        "mnist_after": st.get("test_accuracy"),
        "mnist_drop_points": None
        if st.get("test_accuracy") is None
        else round(100 * (st["test_accuracy_before"] - st["test_accuracy"]), 2),
        "submit_to_done_s": round(seconds, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the real MNIST (torchvision layout)")
    ap.add_argument("--part", choices=("saves", "teach", "both"), default="both")
    ap.add_argument("--classes", type=int, default=3, help="stand-in classes to teach, one after another (3)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    from mnist_lab.data import load_dataset

    data = load_dataset("mnist", args.data, download=False)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("saves", "both"):
            # ten clicks in a second per student, then the same ten back to back
            out["saves"] = [saves(data, Path(tmp) / f"saves-{gap}", gap) for gap in (0.1, 0.0)]
            for row in out["saves"]:
                print(json.dumps({"saves": row}), flush=True)
        if args.part in ("teach", "both"):
            out["teach"] = []
            for k in range(args.classes):  # other writers, other digits, another held-out draw
                out["teach"].append(teach(data, args.data, Path(tmp) / f"teach-{k}", k))
                print(json.dumps({"teach": out["teach"][-1]}), flush=True)
            done = [r for r in out["teach"] if r["held_out_after"] is not None]
            if done:
                mean = {
                    k: round(statistics.mean(r[k] for r in done), 4)
                    for k in ("held_out_before", "held_out_after", "mnist_before", "mnist_after", "submit_to_done_s")
                }
                out["teach_mean"] = mean
                print(json.dumps({"teach_mean": mean}), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
