"""Training runs as child processes: `python -m mnist_lab train --run-dir DIR`.

A run's process outlives the page that started it (its own session, not the server's child
group), writes everything to its folder, and waits for a free slot before it trains: slots are
lock files under `runs/.slots/`, held with flock, so the kernel frees a slot when its process
dies, however it dies.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .runs import Run, RunStore

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def max_concurrent() -> int:
    """How many runs may train at once: $MNIST_LAB_MAX_RUNS, else 1 on CPU, 2 per GPU."""
    env = os.environ.get("MNIST_LAB_MAX_RUNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    import torch
    return 2 * torch.cuda.device_count() if torch.cuda.is_available() else 1


def start_run(config: dict, runs_dir=None, data_root=None) -> Run:
    """Create the run folder (queued) and start its training process; returns at once."""
    run = RunStore(runs_dir).create(config)
    cmd = [sys.executable, "-m", "mnist_lab", "train", "--run-dir", str(run.path.resolve())]
    if data_root:
        cmd += ["--data", str(data_root)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (PACKAGE_PARENT, os.environ.get("PYTHONPATH")) if p)}
    with open(run.log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    run.set_status("queued", pid=proc.pid)
    # reap the child when it ends, so it does not linger as a zombie of the server
    threading.Thread(target=proc.wait, daemon=True).start()
    return run


def stop_run(run: Run) -> None:
    """Ask a run to stop: a STOP file the trainer checks after every batch (and while queued).

    It finishes the current batch, saves what it learned and ends 'stopped'; a queued run is
    cancelled. A file rather than a signal: a signal that lands while the child is still
    importing would kill it before it can save anything.
    """
    run.request_stop()


class Slot:
    """One of the runs folder's training slots, held for as long as this object lives."""

    def __init__(self, runs_root: Path, limit: int):
        self.dir = Path(runs_root) / ".slots"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self.fh = None

    def try_acquire(self) -> bool:
        for i in range(self.limit):
            fh = open(self.dir / f"slot-{i}.lock", "a+")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            self.fh = fh
            return True
        return False

    def wait(self, cancelled, poll: float = 0.5) -> bool:
        """Block until a slot is free (True) or cancelled() says stop waiting (False)."""
        while not self.try_acquire():
            if cancelled():
                return False
            time.sleep(poll)
        return True

    def release(self) -> None:
        if self.fh:
            self.fh.close()
            self.fh = None
