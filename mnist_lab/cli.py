"""`python -m mnist_lab train | eval | predict`: the same engine the app uses, from a terminal."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

T_START = time.perf_counter()


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
    from .models import MODELS
    from .train import OPTIMIZERS, PRESETS, SCHEDULES

    p = Parser(prog="python -m mnist_lab", description="Train, evaluate and use MNIST models.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    t = sub.add_parser("train", help="train a model; writes a run folder under --runs-dir")
    t.add_argument("--model", default="lenet5", help=f"one of {', '.join(MODELS)} (default lenet5)")
    t.add_argument("--preset", default="fast", help=f"one of {', '.join(PRESETS)} (default fast)")
    t.add_argument("--optimizer", help=f"one of {', '.join(OPTIMIZERS)}")
    t.add_argument("--lr", type=_number, help="learning rate")
    t.add_argument("--momentum", type=_number, help="SGD / RMSprop momentum")
    t.add_argument("--weight-decay", type=_number, help="L2 weight decay")
    t.add_argument("--batch-size", type=_int, help="images per step")
    t.add_argument("--epochs", type=_int, help="passes over the training set")
    t.add_argument("--seed", type=_int, help="random seed (same seed, same device: same numbers)")
    t.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    t.add_argument("--normalize", help="minmax (x/255) or standardize (mean 0.1307, std 0.3081)")
    t.add_argument("--schedule", help=f"learning-rate schedule: {', '.join(SCHEDULES)}")
    t.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random shifts, scales, rotations and stroke widths while training")
    t.add_argument("--dataset", choices=("mnist", "fashion"), help="mnist (default) or fashion")
    t.add_argument("--train-limit", type=_int, help="use only the first N training images")
    t.add_argument("--run-dir", help="train the run prepared in this folder (used by the app)")
    _common(t, runs=True)

    e = sub.add_parser("eval", help="test accuracy of a run, a checkpoint or the shipped model")
    _model_source(e)
    e.add_argument("--split", choices=("test", "train"), default="test")
    _common(e, runs=True)

    r = sub.add_parser("predict", help="read digits from PNG/JPEG files")
    r.add_argument("images", nargs="+", help="image files")
    _model_source(r)
    _common(r, runs=True, data=False)
    k = sub.add_parser("runs", help="list the runs, or delete runs that have ended")
    k.add_argument("--delete", nargs="+", metavar="RUN_ID", help="delete these runs (stop active ones first)")
    _common(k, runs=True, data=False)
    return p


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
            print(f"training on {ev['device_name']}: {ev['train_size']} images, {ev['epochs']} epoch(s), "
                  f"{ev['total_steps']} steps", file=sys.stderr)
        elif kind == "batch" and self.tty and (time.monotonic() - self.last > 0.1 or ev["step"] == ev["total_steps"]):
            self.last = time.monotonic()
            frac = ev["step"] / ev["total_steps"]
            bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
            eta = int(ev["eta"])
            sys.stderr.write(f"\r[{bar}] {frac:4.0%} epoch {ev['epoch']}  loss {ev['loss']:.4f}  "
                             f"{ev['images_per_s']:,.0f} img/s  ETA {eta // 60}:{eta % 60:02d} ")
            sys.stderr.flush()
        elif kind == "epoch" and not self.quiet:
            if self.tty:
                sys.stderr.write("\n")
            print(f"epoch {ev['epoch']}: train loss {ev['train_loss']:.4f} acc {ev['train_acc']:.2%} | "
                  f"test loss {ev['test_loss']:.4f} acc {ev['test_acc']:.2%}", file=sys.stderr)


class MetricsWriter:
    """Appends events to metrics.jsonl; flushes at most every 0.25 s, and always on epoch/end events."""

    def __init__(self, path: Path):
        self.fh = open(path, "a", encoding="utf-8")
        self.last = 0.0

    def __call__(self, ev: dict) -> None:
        self.fh.write(json.dumps(ev) + "\n")
        now = time.monotonic()
        if ev["type"] != "batch" or now - self.last > 0.25:
            self.fh.flush()
            self.last = now

    def close(self) -> None:
        self.fh.close()


def _failure_reason(e: BaseException, device: str) -> str:
    text = str(e)
    if "out of memory" in text.lower() or type(e).__name__ == "OutOfMemoryError":
        return f"out of memory on {device}: try a smaller batch size or a smaller model"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(e).__name__}: {first}"[:300]


def cmd_train(args) -> int:
    from .data import DataFormatError, DataNotFound, load_dataset
    from .runs import Run, RunStore, save_checkpoint
    from .train import ConfigError, config_from_dict, make_config, train

    if args.run_dir:
        run = Run(Path(args.run_dir))
        if not run.config_path.is_file():
            raise UsageError(f"--run-dir {args.run_dir}: no config.json there")
        try:
            cfg = config_from_dict(run.config())
        except (ConfigError, TypeError) as e:
            run.set_status("failed", reason=str(e), pid=os.getpid())
            raise UsageError(str(e)) from None
    else:
        overrides = {k: getattr(args, k) for k in ("optimizer", "lr", "momentum", "weight_decay",
                                                   "batch_size", "epochs", "seed", "device", "normalize",
                                                   "schedule", "augment", "dataset", "train_limit")}
        try:
            cfg = make_config(args.model, args.preset, **overrides)
        except ConfigError as e:
            raise UsageError(str(e)) from None
        run = RunStore(args.runs_dir).create(cfg.to_dict())

    slot = _HELD.pop() if _HELD else _queue(run, quiet=args.json)
    if slot is None:
        return 0
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    should_stop = lambda: stop["flag"] or run.stop_requested()  # noqa: E731
    if should_stop():  # stopped while torch was loading
        slot.release()
        run.set_status("stopped", reason="cancelled before it started")
        return 0
    run.set_status("running", started=time.time(), pid=os.getpid())
    writer = MetricsWriter(run.metrics_path)
    progress = Progress(quiet=args.json)
    end = {"state": "failed", "reason": None, "test_accuracy": None, "device_name": cfg.device}
    try:
        data = load_dataset(cfg.dataset, args.data)

        def on_event(ev):
            writer(ev)
            progress(ev)
            if ev["type"] == "start":
                run.set_status("running", device_name=ev["device_name"], total_steps=ev["total_steps"])
            elif ev["type"] == "epoch":
                run.set_status("running", test_accuracy=ev["test_acc"], epoch=ev["epoch"])

        end = train(cfg, data, on_event, should_stop,
                    lambda model, meta: save_checkpoint(run.checkpoint_path(), model, meta))
    except (DataNotFound, DataFormatError, ConfigError) as e:
        end.update(reason=str(e).splitlines()[0])
        run.set_status("failed", reason=end["reason"])
        writer.close()
        print(str(e), file=sys.stderr)
        return 2
    except Exception as e:  # OOM, a damaged disk, a bug: the run ends failed with a plain reason
        traceback.print_exc(file=open(run.log_path, "a"))
        end.update(reason=_failure_reason(e, cfg.device))
        writer({"type": "end", "state": "failed", "reason": end["reason"]})
    finally:
        slot.release()
    writer.close()
    run.set_status(end["state"], reason=end.get("reason"), test_accuracy=end.get("test_accuracy"),
                   images_per_second=end.get("images_per_second"), device_name=end.get("device_name"))
    summary = {"run_id": run.run_id, "model": cfg.model, "preset": cfg.preset, "state": end["state"],
               "reason": end.get("reason"), "device": end.get("device_name"), "epochs": cfg.epochs,
               "test_accuracy": end.get("test_accuracy"),
               "train_images_per_second": end.get("images_per_second"),
               "train_seconds": end.get("wall_seconds"),
               "wall_seconds": time.perf_counter() - T_START, "run_dir": str(run.path)}
    if args.json:
        print(json.dumps(summary))
    else:
        acc = summary["test_accuracy"]
        print(f"{end['state']}: run {run.run_id}" + (f", test accuracy {acc:.2%}" if acc is not None else "")
              + (f" ({end['reason']})" if end.get("reason") else ""))
    return 0 if end["state"] in ("done", "stopped") else 1


# ---------------------------------------------------------------- runs

def cmd_runs(args) -> int:
    from .runs import RunActive, RunNotFound, RunStore
    store = RunStore(args.runs_dir)
    if args.delete:
        failed = 0
        for run_id in args.delete:
            try:
                store.delete(run_id)
            except (RunActive, RunNotFound, ValueError, OSError) as e:
                failed += 1
                print(json.dumps({"run_id": run_id, "error": str(e)}) if args.json else f"{run_id}: error: {e}")
            else:
                print(json.dumps({"run_id": run_id, "deleted": True}) if args.json else f"{run_id}: deleted")
        return 1 if failed else 0
    for i in store.list():
        row = {"run_id": i.run_id, "model": i.model, "preset": i.preset, "status": i.status,
               "test_accuracy": i.test_accuracy, "reason": i.reason}
        acc = "" if i.test_accuracy is None else f"{i.test_accuracy:.2%}"
        print(json.dumps(row) if args.json else f"{i.run_id}  {i.status:<11} {acc:>7}  {i.reason or ''}".rstrip())
    return 0


# ---------------------------------------------------------------- eval / predict

def _load(args):
    from .runs import CheckpointError, RunNotFound, RunStore, default_checkpoint, load_model
    try:
        if args.run:
            path = RunStore(args.runs_dir).get(args.run).checkpoint_path()
        else:
            path = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
        return load_model(path)
    except (CheckpointError, RunNotFound, ValueError) as e:
        raise UsageError(str(e)) from None


def cmd_eval(args) -> int:
    from .data import DataFormatError, DataNotFound, load_dataset
    from .evaluate import evaluate
    model, meta = _load(args)
    try:
        data = load_dataset(meta.get("dataset", "mnist"), args.data)
    except (DataNotFound, DataFormatError) as e:
        print(str(e), file=sys.stderr)
        return 2
    split = data.split(args.split)
    ev = evaluate(model, split, meta["normalize"], meta["pad"])
    out = {"model": meta["model"], "split": args.split, "test_accuracy": ev.accuracy, "n": len(split),
           "per_class": [round(float(a), 4) for a in ev.per_class]}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{meta['model']}: {args.split} accuracy {ev.accuracy:.2%} on {len(split)} images")
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from .evaluate import predict_proba
    from .images import ImageError, decode_image
    from .preprocess import REASONS, prepare_digit
    model, meta = _load(args)
    failed = 0
    for path in args.images:
        try:
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                raise ImageError(f"cannot read the file ({e.strerror or e})") from None
            prepared = prepare_digit(decode_image(data, "RGBA"))
            if prepared.image is None:
                raise ImageError(REASONS.get(prepared.reason, prepared.reason))
        except ImageError as e:
            failed += 1
            print(json.dumps({"path": path, "error": str(e)}) if args.json else f"{path}: error: {e}")
            continue
        probs = predict_proba(model, prepared.image[None], meta["normalize"], meta["pad"])[0]
        label = int(np.argmax(probs))
        if args.json:
            print(json.dumps({"path": path, "label": label, "probabilities": [round(float(p), 6) for p in probs]}))
        else:
            print(f"{path}: {label} ({probs[label]:.1%})")
    return 1 if failed else 0


def wait_in_queue(argv: list[str]) -> bool | None:
    """`train --run-dir DIR` (how the app starts runs): wait for a training slot before torch loads.

    A run that waits its turn is then a small sleeping Python process (about 20 MB) instead of one
    holding torch (about 600 MB), and ten runs queued at once do not all import torch together.
    Returns None when argv is not such a run, True when the slot is held (kept in `_HELD`), and
    False when the run was cancelled while it waited.
    """
    if not argv or argv[0] != "train" or "--run-dir" not in argv[:-1] or {"-h", "--help"} & set(argv):
        return None
    from .runs import Run

    run = Run(Path(argv[argv.index("--run-dir") + 1]))
    if not run.config_path.is_file():
        return None  # cmd_train says what is wrong
    slot = _queue(run, quiet=True)
    if slot is None:
        return False
    _HELD.append(slot)
    return True


def _queue(run, quiet: bool):
    """Mark the run queued and wait for its slot; None (and the run 'stopped') if cancelled first."""
    from .jobs import max_concurrent, wait_for_slot

    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    run.set_status("queued", pid=os.getpid())
    say = None if quiet else lambda: print("waiting for a free training slot (another run is training)...",
                                          file=sys.stderr)
    slot = wait_for_slot(run, max_concurrent(), lambda: stop["flag"] or run.stop_requested(), say)
    if slot is None:
        run.set_status("stopped", reason="cancelled before it started")
    return slot


_HELD: list = []  # the slot wait_in_queue acquired, handed to cmd_train


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if wait_in_queue(argv) is False:
            return 0
        args = build_parser().parse_args(argv)
        return {"train": cmd_train, "eval": cmd_eval, "predict": cmd_predict, "runs": cmd_runs}[args.command](args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
