"""The first-come queue: one ticket per waiting run in runs/.queue/, claimed by workers oldest first."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import Message
from ..runs import Run


def _queue_dir(root: Path) -> Path:
    return Path(root) / ".queue"


@contextlib.contextmanager
def _queue_lock(root: Path) -> Iterator[None]:
    Path(root).mkdir(parents=True, exist_ok=True)
    with open(Path(root) / ".queue.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _tickets(root: Path) -> list[Path]:
    qdir = _queue_dir(root)
    # a ticket is named <created ns>-<run id>; anything else put there by hand is not one
    return sorted(p for p in qdir.iterdir() if "-" in p.name and not p.name.startswith(".")) if qdir.is_dir() else []


def _run_of(ticket: Path) -> str:
    return ticket.name.split("-", 1)[1]


def enqueue(run: Run) -> None:
    """Put a queued run at the back of the queue (ordered by the time it was created)."""
    created = run.status().get("created") or time.time()
    qdir = _queue_dir(run.path.parent)
    qdir.mkdir(parents=True, exist_ok=True)
    (qdir / f"{int(created * 1e9):020d}-{run.run_id}").touch()


def queued(root: Path) -> list[str]:
    """Run ids waiting for a slot, first come first."""
    return [_run_of(t) for t in _tickets(root)]


def runs_ahead(run: Run) -> int | None:
    """How many queued runs will get a slot before this one (None when it is not waiting)."""
    ids = queued(run.path.parent)
    return ids.index(run.run_id) if run.run_id in ids else None


def claim_next(root: Path, owner_pid: int, backend: str = "local") -> Run | None:
    """Take the oldest queued run for this worker: it is marked running (owned by owner_pid) before
    its ticket goes, so a run is never both queued and unowned. Tickets of runs that were deleted,
    cancelled or stopped meanwhile are dropped on the way."""
    with _queue_lock(root):
        for ticket in _tickets(root):
            run = Run(Path(root) / _run_of(ticket))
            state = run.status()["state"] if run.config_path.is_file() else None
            if state == "queued" and run.stop_requested():
                run.set_status("stopped", reason=Message("reason.cancelled"))
            elif state == "queued":
                run.set_status("running", pid=owner_pid, backend=backend, started=time.time())
                ticket.unlink(missing_ok=True)
                return run
            ticket.unlink(missing_ok=True)
    return None


def cancel(run: Run) -> bool:
    """Take a run out of the queue before any worker has it: True if it was still waiting."""
    with _queue_lock(run.path.parent):
        mine = [t for t in _tickets(run.path.parent) if _run_of(t) == run.run_id]
        if not mine or run.status()["state"] != "queued":
            return False
        for t in mine:
            t.unlink(missing_ok=True)
        run.set_status("stopped", reason=Message("reason.cancelled"))
        return True


def stop(run: Run) -> None:
    """A queued run leaves the queue; a training one finishes its batch, saves what it learned and ends
    'stopped'. The run's STOP file is read by whoever owns it: a local trainer after every batch, or
    the worker following a Ray job at each poll, which stops the job through Ray. A file, not a
    signal, because a local worker goes on to the next run: a SIGTERM means the machine is going
    down, and its run is recorded 'interrupted'."""
    if not cancel(run):
        run.request_stop()
