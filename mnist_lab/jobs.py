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

from .runs import Run, RunStore, pid_alive

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def max_concurrent() -> int:
    """How many runs may train at once: $MNIST_LAB_MAX_RUNS, else 1 on CPU, 2 per GPU."""
    env = os.environ.get("MNIST_LAB_MAX_RUNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    import torch
    return 2 * torch.cuda.device_count() if torch.cuda.is_available() else 1


def runs_per_session() -> int:
    """How many runs one browser session may have queued or training: $MNIST_LAB_RUNS_PER_SESSION, else 2."""
    env = os.environ.get("MNIST_LAB_RUNS_PER_SESSION", "")
    return int(env) if env.isdigit() and int(env) > 0 else 2


def still_active(run_ids, runs_dir=None) -> list[str]:
    """The runs among run_ids that are queued or training now (dead processes are not counted)."""
    from .runs import ACTIVE, RunNotFound
    store, out = RunStore(runs_dir), []
    for run_id in run_ids:
        try:
            if store.get(run_id).reconcile()["state"] in ACTIVE:
                out.append(run_id)
        except (RunNotFound, ValueError):
            continue
    return out


def start_run(config: dict, runs_dir=None, data_root=None) -> Run:
    """Create the run folder (queued) and start its training process; returns at once."""
    run = RunStore(runs_dir).create(config)
    cmd = [sys.executable, "-m", "mnist_lab", "train", "--run-dir", str(run.path.resolve())]
    if data_root:
        cmd += ["--data", str(data_root)]
    # the slot count is decided here, where torch is loaded already: the child waits for its slot
    # before it imports torch (cli.wait_in_queue)
    env = {**os.environ, "MNIST_LAB_MAX_RUNS": str(max_concurrent()), "PYTHONPATH": os.pathsep.join(
        p for p in (PACKAGE_PARENT, os.environ.get("PYTHONPATH")) if p)}
    with open(run.log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    if run.status().get("pid") is None:  # the child writes its own pid as it starts; never undo its news
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


def _pid_of(ticket: Path) -> int | None:
    try:
        return int(ticket.read_text())
    except (OSError, ValueError):
        return None


def waiting_tickets(runs_root: Path) -> list[Path]:
    """The queue, first come first: `runs/.queue/<created ns>-<run id>` files holding the waiter's pid.

    A ticket whose process has died (killed while it waited), or that never got its pid written,
    is removed here, so it blocks nobody.
    """
    qdir = Path(runs_root) / ".queue"
    live = []
    for ticket in sorted(qdir.iterdir()) if qdir.is_dir() else []:
        pid = _pid_of(ticket)
        try:
            young = time.time() - ticket.stat().st_mtime < 10  # an empty ticket may be being written
        except OSError:
            continue
        if pid_alive(pid) if pid is not None else young:
            live.append(ticket)
        else:
            ticket.unlink(missing_ok=True)
    return live


def runs_ahead(run: Run) -> int | None:
    """How many queued runs will get a slot before this one (None when it is not waiting)."""
    names = [t.name.split("-", 1)[1] for t in waiting_tickets(run.path.parent)]
    return names.index(run.run_id) if run.run_id in names else None


def wait_for_slot(run: Run, limit: int, cancelled, on_wait=None, poll: float = 0.5) -> "Slot | None":
    """Queue this run and block until it holds a training slot (None if cancelled() while waiting).

    Runs get slots in the order they were created: only the head of the queue tries for a slot,
    so a student who pressed Start first trains first, however many wait.
    """
    slot = Slot(run.path.parent, limit)
    qdir = run.path.parent / ".queue"
    qdir.mkdir(parents=True, exist_ok=True)
    created = run.status().get("created") or time.time()
    ticket = qdir / f"{int(created * 1e9):020d}-{run.run_id}"
    ticket.write_text(str(os.getpid()))
    try:
        while True:
            if cancelled():
                return None
            head = waiting_tickets(run.path.parent)[:1]
            if head == [ticket] and slot.try_acquire():
                return slot
            if on_wait:
                on_wait()
                on_wait = None
            time.sleep(poll)
    finally:
        ticket.unlink(missing_ok=True)


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

    def release(self) -> None:
        if self.fh:
            self.fh.close()
            self.fh = None
