"""A worker holds one training slot and works through the queue: it claims the oldest queued run,
executes it, and claims the next, until the queue has been empty for a while.

Executing a run locally means training it in this process, with torch and the dataset loaded once
for every run the worker takes. `train_run` is also what `mnist-lab train --run-dir DIR` does, which
is how a Ray job trains a run on a cluster node.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import traceback
from pathlib import Path

from . import config
from .errors import LabError, Message, from_status
from .files import atomic_write_json
from .jobs.queue import claim_next, queued
from .jobs.slots import Slot, max_concurrent, train_threads, workers
from .runs import Run
from .settings import settings

POLL_S = 0.5


class StopFlag:
    """Asked to stop: the run's STOP file (a user pressed Stop), or SIGTERM (the process is being
    ended from outside: a machine shutting down, a job system). Called by the trainer after every batch."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.terminated = False
        signal.signal(signal.SIGTERM, self._on_term)

    def _on_term(self, *_) -> None:
        self.terminated = True

    def __call__(self) -> Message | bool:
        if self.terminated:
            return Message("reason.terminated")
        return self.run is not None and self.run.stop_requested()


def _failure_reason(e: BaseException, device: str) -> Message:
    text = str(e)
    if "out of memory" in text.lower() or type(e).__name__ == "OutOfMemoryError":
        return Message("reason.out_of_memory", device=device)
    first = text.strip().splitlines()[0] if text.strip() else ""
    return Message("reason.crashed", error=f"{type(e).__name__}: {first}"[:300])


def train_run(run: Run, data_root, stop: StopFlag, on_event=None, datasets: dict | None = None) -> dict:
    """Train a run that this process owns: status, metrics.jsonl, a checkpoint per epoch; returns the
    end event. Any failure ends the run 'failed' with a plain reason (the traceback goes to its log)."""
    from .checkpoints import save_checkpoint
    from .data import load_dataset
    from .evaluate import save_predictions
    from .metrics import MetricsWriter
    from .train import train

    stop.run = run
    try:
        cfg = config.config_from_dict(run.config())
    except (config.ConfigError, TypeError) as e:
        reason = e if isinstance(e, LabError) else Message("reason.crashed", error=str(e)[:300])
        run.set_status("failed", reason=reason)
        return {"type": "end", "state": "failed", **reason.status_fields()}
    run.set_status(
        "running", started=run.status().get("started") or time.time(), host=os.uname().nodename, trainer_pid=os.getpid()
    )
    writer = MetricsWriter(run.metrics_path)

    def on_train_event(ev: dict) -> None:
        writer(ev)
        if on_event:
            on_event(ev)
        if ev["type"] == "start":
            was = ev.get("before", {})  # a fine-tuning run: how its starting model did
            before = {f"{k}_accuracy_before": was[f"{k}_acc"] for k in ("test", "class") if f"{k}_acc" in was}
            run.set_status("running", device_name=ev["device_name"], total_steps=ev["total_steps"], **before)
        elif ev["type"] == "epoch":
            more = {"class_accuracy": ev["class_acc"]} if "class_acc" in ev else {}
            run.set_status("running", test_accuracy=ev["test_acc"], epoch=ev["epoch"], **more)

    datasets = {} if datasets is None else datasets
    key = (cfg.dataset, str(data_root))
    try:
        if key not in datasets:
            datasets[key] = load_dataset(cfg.dataset, data_root)
        data, extra = datasets[key], {}
        if cfg.class_digits:  # the class's digits, from the snapshot submit wrote into the run's folder
            from .classdigits.teach import lesson
            from .classdigits.transfer import SNAPSHOT

            data, held_out, held_students = lesson(data, run.path / SNAPSHOT, cfg.seed)
            extra = {"also": {"class": held_out}}
            run.set_status("running", held_out_writers=len(held_students), held_out_digits=len(held_out))
        if cfg.start_from:
            from .checkpoints import load_model
            from .classdigits.teach import start_checkpoint

            extra["start"] = load_model(start_checkpoint(cfg.start_from, run.path.parent))[0].state_dict()

        def keep(model, meta, probabilities) -> None:  # the model, and its answers on the test set beside it
            save_checkpoint(run.checkpoint_path(), model, meta)
            save_predictions(run.checkpoint_path(), probabilities, data.test.labels.numpy(), meta.epoch)

        end = train(cfg, data, on_train_event, stop, keep, **extra)
    except LabError as e:  # no data, a damaged file, a setting out of range, too few class digits
        end = {"type": "end", "state": "failed", **e.status_fields(), "device_name": cfg.device}
        writer(end)
    except Exception as e:  # noqa: BLE001 -- OOM, a damaged disk, a bug: the run ends failed, the worker goes on
        with open(run.log_path, "a") as log:
            traceback.print_exc(file=log)
        end = {
            "type": "end",
            "state": "failed",
            **_failure_reason(e, cfg.device).status_fields(),
            "device_name": cfg.device,
        }
        writer(end)
    finally:
        writer.close()
        if cfg.class_digits:  # once trained, the students' digits and names are in the teacher's database only
            from .classdigits.transfer import SNAPSHOT

            (run.path / SNAPSHOT).unlink(missing_ok=True)
    if end["state"] == "stopped" and stop.terminated:  # ended from outside, not by a user
        end.update(state="interrupted", **Message("reason.terminated").status_fields())
    run.set_status(
        end["state"],
        reason=from_status(end),
        test_accuracy=end.get("test_accuracy"),
        images_per_second=end.get("images_per_second"),
        device_name=end.get("device_name"),
        **({"class_accuracy": end["class_acc"]} if "class_acc" in end else {}),
    )
    return end


class LocalExecutor:
    """Trains each run in this process; torch and the datasets stay loaded between runs."""

    def __init__(self, data_root, slot: Slot):
        self.data_root = data_root
        self.slot = slot
        self.datasets: dict = {}

    def execute(self, run: Run, stop: StopFlag) -> None:
        import torch

        # the cores are shared by the workers training now: a run alone gets them all, a class one each
        busy = sum(1 for w in workers(run.path.parent) if w.run_id)
        torch.set_num_threads(train_threads(max(1, busy)))
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if gpus > 1 and self.slot.index is not None:
            # spread the slots over the GPUs (a run's "cuda" means the current device), or every
            # worker of a multi-GPU server would train on the first one
            torch.cuda.set_device(self.slot.index % gpus)
        train_run(run, self.data_root, stop, datasets=self.datasets)


class Worker:
    """One slot of a runs folder, and the loop that works through its queue."""

    def __init__(
        self,
        runs_dir,
        data_root=None,
        backend: str = "local",
        ray_address: str | None = None,
        idle_s: float | None = None,
    ):
        self.root = Path(runs_dir)
        self.data_root = data_root
        self.backend = backend
        self.ray_address = ray_address
        self.idle_s = idle_s if idle_s is not None else settings().worker_idle
        self.limit = max_concurrent(backend)
        self.slot = Slot(self.root, self.limit)
        self.card = self.root / ".workers" / f"{os.getpid()}.json"
        self.started = time.time()
        self.executor = None

    def _announce(self, run_id: str | None) -> None:
        self.card.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(
            self.card,
            {
                "pid": os.getpid(),
                "backend": self.backend,
                "slot": self.slot.index,
                "run_id": run_id,
                "started": self.started,
            },
        )

    def _make_executor(self):
        if self.backend == "ray":
            from .cluster import RayExecutor

            return RayExecutor(self.ray_address, self.data_root)
        _lower_priority()
        return LocalExecutor(self.data_root, self.slot)

    def serve(self) -> int:
        """Work until the queue has been empty for idle_s; 0 when done, 1 when no slot was free."""
        stop = StopFlag()
        if not self.slot.try_acquire():
            self.card.unlink(missing_ok=True)  # the card its launcher wrote for it
            return 1
        try:
            self._announce(None)  # the slot is taken: launchers stop counting this worker as starting
            idle_since = time.monotonic()
            while self.root.is_dir() and not stop.terminated:
                run = claim_next(self.root, os.getpid(), self.backend)
                if run is None:
                    if time.monotonic() - idle_since > self.idle_s:
                        # free the slot first, then look once more: a run queued at this moment was
                        # either seen here, or its launcher saw the free slot and started a worker
                        self.slot.release()
                        if not queued(self.root) or not self.slot.try_acquire():
                            return 0
                        idle_since = time.monotonic()
                    time.sleep(POLL_S)
                    continue
                self._announce(run.run_id)
                try:
                    if self.executor is None:
                        self.executor = self._make_executor()
                    self.executor.execute(run, stop)
                except LabError as e:  # the executor could not start (a cluster that cannot be reached)
                    run.set_status("failed", reason=e)
                self._announce(None)
                idle_since = time.monotonic()
            return 0
        finally:
            self.slot.release()
            self.card.unlink(missing_ok=True)


def _lower_priority() -> None:
    """Training yields the CPU to the app server: students' clicks stay quick while runs train."""
    with contextlib.suppress(OSError):
        os.nice(settings().worker_nice)
