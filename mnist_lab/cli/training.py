"""`mnist-lab train | submit | worker | runs`: queue runs as the Train page does, follow them, serve the queue."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..errors import LabError
from .options import UsageError, common, launch_options, train_settings

T_START = time.perf_counter()


def add(sub) -> None:
    t = sub.add_parser("train", help="train a model and follow it to the end; writes a run folder under --runs-dir")
    train_settings(t)
    t.add_argument("--run-dir", help="train the run prepared in this folder now, in this process (a cluster job)")
    launch_options(t)
    common(t, runs=True)
    t.set_defaults(handler=cmd_train)

    s = sub.add_parser("submit", help="queue a run like the app's Start button, print its id and return")
    train_settings(s)
    launch_options(s)
    common(s, runs=True)
    s.set_defaults(handler=cmd_submit)

    w = sub.add_parser("worker", help="train queued runs one after another (the app and submit start these)")
    w.add_argument("--backend", choices=("local", "ray"), default="local")
    w.add_argument("--ray-address", help="the Ray dashboard's address, e.g. http://HEAD:8265")
    common(w, runs=True)
    w.set_defaults(handler=cmd_worker)

    k = sub.add_parser("runs", help="list the runs, or delete runs that have ended")
    k.add_argument("--delete", nargs="+", metavar="RUN_ID", help="delete these runs (stop active ones first)")
    common(k, runs=True, data=False)
    k.set_defaults(handler=cmd_runs)


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
    "start_from",
)


def _submit(args):
    """Check the run and queue it, as the Train page's Start button does. A terminal has no browser
    session: submit counts the student's runs instead, so a script submitting as Ana is held to what
    Ana's browser is held to."""
    from ..jobs.submit import submit

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
    from ..jobs.launchers import launcher
    from ..jobs.queue import runs_ahead, stop
    from ..metrics import MetricsTail
    from ..runs import ACTIVE

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
    from ..runs import Run
    from ..worker import StopFlag, train_run

    run = Run(Path(args.run_dir))
    if not run.config_path.is_file():
        raise UsageError(f"--run-dir {args.run_dir}: no config.json there")
    if run.status().get("backend") != "ray":  # on a cluster the run's owner is the app server's worker
        run.set_status("running", pid=os.getpid(), started=time.time())
    from ..settings import settings

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
    from ..worker import Worker

    return Worker(args.runs_dir or runs_default(), args.data, args.backend or "local", args.ray_address).serve()


def runs_default() -> Path:
    from ..runs import default_runs_dir

    return default_runs_dir()


def cmd_runs(args) -> int:
    from ..runs import RunStore

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
