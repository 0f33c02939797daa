"""Training slots (how many runs train at once) and the workers that hold them."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..runs import pid_alive
from ..settings import settings


def gpu_count() -> int:
    """GPUs this machine shows, without importing torch (it takes 1.5 s): CUDA_VISIBLE_DEVICES,
    else the NVIDIA driver's list."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    gpus = Path("/proc/driver/nvidia/gpus")
    return len(list(gpus.iterdir())) if gpus.is_dir() else 0


def max_concurrent(backend: str = "local") -> int:
    """How many runs may train at once: $MNIST_LAB_MAX_RUNS, else 4 jobs on a Ray cluster, 2 per GPU,
    or one per CPU core up to 8 (measured: two one-thread workers train more images a second than
    one two-thread worker on a 2-core machine; bench/bench_class.py --slots)."""
    explicit = settings().max_runs
    if explicit:
        return explicit
    if backend == "ray":
        return 4
    gpus = gpu_count()
    return 2 * gpus if gpus else max(1, min(8, os.cpu_count() or 1))


def train_threads(slots: int) -> int:
    """Torch threads of one local worker: $MNIST_LAB_TRAIN_THREADS, else the cores shared by the slots."""
    return settings().train_threads or max(1, (os.cpu_count() or 1) // max(1, slots))


class Slot:
    """One of the runs folder's training slots, held for as long as this object lives."""

    def __init__(self, runs_root: Path, limit: int):
        self.dir = Path(runs_root) / ".slots"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self.fh = None
        self.index: int | None = None

    def try_acquire(self) -> bool:
        for i in range(self.limit):
            fh = open(self.dir / f"slot-{i}.lock", "a+")  # noqa: SIM115 -- held open as the lock itself
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            self.fh, self.index = fh, i
            return True
        return False

    def release(self) -> None:
        if self.fh:
            self.fh.close()
            self.fh = self.index = None


def free_slots(root: Path, limit: int) -> int:
    """Slots no worker holds right now."""
    held = []
    try:
        for _ in range(limit):  # hold each free one while counting, so no slot is counted twice
            probe = Slot(root, limit)
            if not probe.try_acquire():
                break
            held.append(probe)
        return len(held)
    finally:
        for probe in held:
            probe.release()


@dataclass
class WorkerInfo:
    pid: int
    backend: str
    slot: int | None
    run_id: str | None
    started: float


def workers(root: Path) -> list[WorkerInfo]:
    """The live workers of a runs folder (each writes runs/.workers/<pid>.json); stale files are removed."""
    out = []
    wdir = Path(root) / ".workers"
    for f in sorted(wdir.glob("*.json")) if wdir.is_dir() else []:
        try:
            d = json.loads(f.read_text())
            info = WorkerInfo(int(d["pid"]), str(d["backend"]), d.get("slot"), d.get("run_id"), float(d["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if pid_alive(info.pid):
            out.append(info)
        else:
            f.unlink(missing_ok=True)
    return out
