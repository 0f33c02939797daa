"""`mnist-lab train | submit | worker | eval | predict | export | runs` (also `python -m mnist_lab`): the
engine the app uses, from a terminal. The parser needs no torch, so `--help` is instant, and `submit`
returns at once; torch loads only in a worker that trains."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import config, registry
from .errors import LabError

T_START = time.perf_counter()
PROG = "mnist-lab"


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message}")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def build_parser() -> Parser:
    from . import __version__

    p = Parser(prog=PROG, description="Train, evaluate and use MNIST models.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    t = sub.add_parser("train", help="train a model and follow it to the end; writes a run folder under --runs-dir")
    _train_settings(t)
    t.add_argument("--run-dir", help="train the run prepared in this folder now, in this process (a cluster job)")
    _launch_options(t)
    _common(t, runs=True)

    s = sub.add_parser("submit", help="queue a run like the app's Start button, print its id and return")
    _train_settings(s)
    _launch_options(s)
    _common(s, runs=True)

    w = sub.add_parser("worker", help="train queued runs one after another (the app and submit start these)")
    w.add_argument("--backend", choices=("local", "ray"), default="local")
    w.add_argument("--ray-address", help="the Ray dashboard's address, e.g. http://HEAD:8265")
    _common(w, runs=True)

    e = sub.add_parser("eval", help="test accuracy of a run, a checkpoint or the shipped model")
    _model_source(e)
    e.add_argument("--split", choices=("test", "train"), default="test")
    _common(e, runs=True)

    r = sub.add_parser("predict", help="read digits from PNG/JPEG files")
    r.add_argument("images", nargs="+", help="image files")
    r.add_argument(
        "--source",
        choices=("photo", "pad"),
        default="photo",
        help="photo: a photo, scan or any file (ink of either colour, any lighting); "
        "pad: a drawing saved from a pad (white or opaque strokes on black)",
    )
    _model_source(r)
    _common(r, runs=True, data=False)

    x = sub.add_parser("export", help="write a run's model (or the shipped one) as one ONNX file")
    x.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    _model_source(x)
    _common(x, runs=True, data=False)

    k = sub.add_parser("runs", help="list the runs, or delete runs that have ended")
    k.add_argument("--delete", nargs="+", metavar="RUN_ID", help="delete these runs (stop active ones first)")
    _common(k, runs=True, data=False)
    return p


def _train_settings(t: Parser) -> None:
    t.add_argument("--model", default="lenet5", help=f"one of {', '.join(registry.MODELS)} (default lenet5)")
    t.add_argument("--preset", default="fast", help=f"one of {', '.join(config.PRESETS)} (default fast)")
    t.add_argument("--optimizer", help=f"one of {', '.join(config.OPTIMIZERS)}")
    t.add_argument("--lr", type=_number, help="learning rate")
    t.add_argument("--momentum", type=_number, help="SGD / RMSprop momentum")
    t.add_argument("--weight-decay", type=_number, help="L2 weight decay")
    t.add_argument("--batch-size", type=_int, help="images per step")
    t.add_argument("--epochs", type=_int, help="passes over the training set")
    t.add_argument("--seed", type=_int, help="random seed (same seed, same device: same numbers)")
    t.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    t.add_argument("--normalize", help="minmax (x/255) or standardize (mean 0.1307, std 0.3081)")
    t.add_argument("--schedule", help=f"learning-rate schedule: {', '.join(config.SCHEDULES)}")
    t.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random shifts, scales, rotations and stroke widths while training",
    )
    t.add_argument("--dataset", choices=config.DATASETS, help="mnist (default) or fashion")
    t.add_argument("--train-limit", type=_int, help="use only the first N training images")


def _launch_options(p: Parser) -> None:
    p.add_argument("--student", help="the name shown with the run on the class board (submit needs one)")
    p.add_argument(
        "--backend",
        choices=("local", "ray"),
        help="local processes (default), or a Ray cluster ($MNIST_LAB_RAY_ADDRESS selects it too)",
    )
    p.add_argument("--ray-address", help="the Ray dashboard's address, e.g. http://HEAD:8265")


def _common(p: Parser, runs: bool, data: bool = True) -> None:
    if data:
        p.add_argument("--data", help="dataset folder (default $MNIST_LAB_DATA or ~/.cache/mnist_lab)")
    if runs:
        p.add_argument("--runs-dir", help="runs folder (default $MNIST_LAB_RUNS or ./runs)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def _model_source(p: Parser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--run", help="a run id from the runs folder")
    g.add_argument("--checkpoint", help="a checkpoint file (.pt)")


# ---------------------------------------------------------------- train


class Progress:
    """A one-line progress bar on a terminal (stderr); epoch lines when not a terminal."""

    def __init__(self, quiet: bool):
        self.tty = sys.stderr.isatty() and not quiet
        self.quiet = quiet
        self.last = 0.0

    def __call__(self, ev: dict) -> None:
        kind = ev["type"]
        if kind == "start" and not self.quiet:
            print(
                f"training on {ev['device_name']}: {ev['train_size']} images, {ev['epochs']} epoch(s), "
                f"{ev['total_steps']} steps",
                file=sys.stderr,
            )
        elif kind == "batch" and self.tty and (time.monotonic() - self.last > 0.1 or ev["step"] == ev["total_steps"]):
            self.last = time.monotonic()
            frac = ev["step"] / ev["total_steps"]
            bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
            eta = int(ev["eta"])
            sys.stderr.write(
                f"\r[{bar}] {frac:4.0%} epoch {ev['epoch']}  loss {ev['loss']:.4f}  "
                f"{ev['images_per_s']:,.0f} img/s  ETA {eta // 60}:{eta % 60:02d} "
            )
            sys.stderr.flush()
        elif kind == "epoch" and not self.quiet:
            if self.tty:
                sys.stderr.write("\n")
            print(
                f"epoch {ev['epoch']}: train loss {ev['train_loss']:.4f} acc {ev['train_acc']:.2%} | "
                f"test loss {ev['test_loss']:.4f} acc {ev['test_acc']:.2%}",
                file=sys.stderr,
            )


TRAIN_SETTINGS = (
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "batch_size",
    "epochs",
    "seed",
    "device",
    "normalize",
    "schedule",
    "augment",
    "dataset",
    "train_limit",
)


def _submit(args):
    """Check the run and queue it, as the Train page's Start button does. A terminal has no browser
    session: submit counts the student's runs instead, so a script submitting as Ana is held to what
    Ana's browser is held to."""
    from .jobs.submit import submit

    return submit(
        args.model,
        args.preset,
        {k: getattr(args, k) for k in TRAIN_SETTINGS},
        student=args.student,
        require_student=args.command == "submit",
        runs_dir=args.runs_dir,
        data_root=args.data,
        backend=args.backend,
        ray_address=args.ray_address,
    )


def cmd_submit(args) -> int:
    """Queue a run and return at once (what the Train page's Start button does)."""
    run = _submit(args)
    print(json.dumps({"run_id": run.run_id}) if args.json else run.run_id)
    return 0


def cmd_train(args) -> int:
    """Queue a run and follow it to its end, printing progress; Ctrl-C stops it (and keeps what it learned)."""
    if args.run_dir:
        return _execute(args)
    from .jobs.launchers import launcher
    from .jobs.queue import runs_ahead, stop
    from .metrics import MetricsTail
    from .runs import ACTIVE

    run = _submit(args)
    launch = launcher(args.runs_dir, args.data, args.backend, args.ray_address)
    progress, tail = Progress(quiet=args.json), MetricsTail(run.metrics_path)
    said_queued = args.json
    stopping = False
    while True:
        try:
            for ev in tail.read():
                progress(ev)
            st = run.reconcile()
            if st["state"] not in ACTIVE:
                for ev in tail.read():
                    progress(ev)
                break
            if st["state"] == "queued" and not said_queued:
                print(f"queued: {runs_ahead(run) or 0} run(s) ahead", file=sys.stderr)
                said_queued = True
            if st["state"] == "queued":
                launch.ensure_workers()  # a worker that died meanwhile is replaced
            time.sleep(0.2)
        except KeyboardInterrupt:
            if stopping:
                return 130
            stopping = True
            print("stopping (Ctrl-C again to leave it running)...", file=sys.stderr)
            stop(run)
    end = tail.last("end") or {}
    summary = {
        "run_id": run.run_id,
        "model": args.model,
        "preset": args.preset,
        "state": st["state"],
        "reason": st.get("reason"),
        "device": st.get("device_name"),
        "epochs": run.config().get("epochs"),
        "test_accuracy": st.get("test_accuracy"),
        "train_images_per_second": end.get("images_per_second"),
        "train_seconds": end.get("wall_seconds"),
        "wall_seconds": time.perf_counter() - T_START,
        "run_dir": str(run.path),
        "backend": launch.backend,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        acc = summary["test_accuracy"]
        print(
            f"{st['state']}: run {run.run_id}"
            + (f", test accuracy {acc:.2%}" if acc is not None else "")
            + (f" ({st['reason']})" if st.get("reason") else "")
        )
    return 0 if st["state"] in ("done", "stopped") else 1


def _execute(args) -> int:
    """`train --run-dir DIR`: train a prepared run in this process now, without the queue (a Ray job
    on a cluster node does this; the app server's worker holds the slot meanwhile)."""
    from .runs import Run
    from .worker import StopFlag, train_run

    run = Run(Path(args.run_dir))
    if not run.config_path.is_file():
        raise UsageError(f"--run-dir {args.run_dir}: no config.json there")
    if run.status().get("backend") != "ray":  # on a cluster the run's owner is the app server's worker
        run.set_status("running", pid=os.getpid(), started=time.time())
    from .settings import settings

    threads = settings().train_threads
    if threads:  # a cluster job's share of its node's cores
        import torch

        torch.set_num_threads(threads)
    end = train_run(run, args.data, StopFlag(), on_event=Progress(quiet=args.json))
    if args.json:
        print(
            json.dumps(
                {
                    "run_id": run.run_id,
                    "state": end["state"],
                    "reason": end.get("reason"),
                    "test_accuracy": end.get("test_accuracy"),
                }
            )
        )
    elif end.get("reason"):
        print(f"{end['state']}: {end['reason']}", file=sys.stderr)
    return 0 if end["state"] in ("done", "stopped") else 1


def cmd_worker(args) -> int:
    from .worker import Worker

    return Worker(args.runs_dir or runs_default(), args.data, args.backend or "local", args.ray_address).serve()


def runs_default() -> Path:
    from .runs import default_runs_dir

    return default_runs_dir()


# ---------------------------------------------------------------- runs


def cmd_runs(args) -> int:
    from .runs import RunStore

    store = RunStore(args.runs_dir)
    if args.delete:
        failed = 0
        for run_id in args.delete:
            try:
                store.delete(run_id)
            except (LabError, OSError) as e:
                failed += 1
                print(json.dumps({"run_id": run_id, "error": str(e)}) if args.json else f"{run_id}: error: {e}")
            else:
                print(json.dumps({"run_id": run_id, "deleted": True}) if args.json else f"{run_id}: deleted")
        return 1 if failed else 0
    for i in store.list():
        row = {
            "run_id": i.run_id,
            "model": i.model,
            "preset": i.preset,
            "status": i.status,
            "test_accuracy": i.test_accuracy,
            "reason": i.reason,
        }
        acc = "" if i.test_accuracy is None else f"{i.test_accuracy:.2%}"
        print(json.dumps(row) if args.json else f"{i.run_id}  {i.status:<11} {acc:>7}  {i.reason or ''}".rstrip())
    return 0


# ---------------------------------------------------------------- eval / predict


def _load(args):
    from .checkpoints import default_checkpoint, load_model
    from .runs import RunStore

    if args.run:
        path = RunStore(args.runs_dir).get(args.run).checkpoint_path()
    else:
        path = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
    return load_model(path)


def cmd_eval(args) -> int:
    from .data import load_dataset
    from .evaluate import evaluate

    model, meta = _load(args)
    split = load_dataset(meta.dataset, args.data).split(args.split)
    ev = evaluate(model, split, meta.normalize, meta.pad)
    out = {
        "model": meta.model,
        "split": args.split,
        "test_accuracy": ev.accuracy,
        "n": len(split),
        "per_class": [round(float(a), 4) for a in ev.per_class],
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{meta.model}: {args.split} accuracy {ev.accuracy:.2%} on {len(split)} images")
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from .evaluate import predict_proba
    from .images import ImageError, decode_image
    from .preprocess import prepare_digit

    model, meta = _load(args)
    failed = 0
    for path in args.images:
        try:
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                raise ImageError("error.image.unreadable", error=e.strerror or str(e)) from None
            prepared = prepare_digit(decode_image(data, "RGBA"), args.source)
            if prepared.image is None:
                raise ImageError(f"reason.{prepared.reason}")
        except ImageError as e:
            failed += 1
            print(json.dumps({"path": path, "error": str(e)}) if args.json else f"{path}: error: {e}")
            continue
        probs = predict_proba(model, prepared.image[None], meta.normalize, meta.pad)[0]
        label = int(np.argmax(probs))
        if args.json:
            print(json.dumps({"path": path, "label": label, "probabilities": [round(float(p), 6) for p in probs]}))
        else:
            print(f"{path}: {label} ({probs[label]:.1%})")
    return 1 if failed else 0


def cmd_export(args) -> int:
    """Raw pixels in, probabilities out: normalisation and padding are inside the file."""
    from .export import INPUT, OPSET, OUTPUT, export_onnx

    model, meta = _load(args)
    t0 = time.perf_counter()
    size = export_onnx(model, meta, args.onnx)
    if args.json:
        out = {
            "model": meta.model,
            "path": str(Path(args.onnx).expanduser()),
            "bytes": size,
            "opset": OPSET,
            "input": INPUT,
            "output": OUTPUT,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        print(json.dumps(out))
    else:
        print(f"exported {meta.model} to {args.onnx} ({size} bytes)")
    return 0


COMMANDS = {
    "train": cmd_train,
    "submit": cmd_submit,
    "worker": cmd_worker,
    "eval": cmd_eval,
    "predict": cmd_predict,
    "export": cmd_export,
    "runs": cmd_runs,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        return COMMANDS[args.command](args)
    except (UsageError, LabError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
