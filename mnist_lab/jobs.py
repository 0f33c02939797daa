"""Launching training runs: a first-come queue in the runs folder, and workers that train what it holds.

Starting a run writes its folder (state `queued`) and a ticket `runs/.queue/<created ns>-<run id>`;
nothing else runs for it yet. A worker (`mnist-lab worker`) holds one of the folder's training
slots, takes the oldest ticket, trains that run and takes the next, until the queue has been
empty for a while. So a class pressing Start together costs one torch import per slot, not one
per run, and a queued run costs no process at all.

Slots are lock files under `runs/.slots/`, held with flock: the kernel frees a slot when its worker
dies, however it dies. Claiming and cancelling happen under `runs/.queue.lock`, so a run is claimed
by one worker and a cancelled run by nobody; adding a ticket needs no lock (a new name is only
ever created, never changed).

Two backends share all of this and differ only in what a worker does with a run:
- local (the default): the worker trains it in its own process;
- ray: the worker submits it to a Ray cluster as a job named after the run, follows it, and stops
  it through Ray (see `cluster.py`). The queue and the slots stay on this machine either way.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError, Message
from .files import atomic_write_json
from .runs import ACTIVE, Run, RunInfo, RunNotFound, RunStore, pid_alive

WORKER_IDLE_S = 30.0  # a worker with nothing to do for this long exits (and frees its memory)
STARTING_S = 60.0  # a worker that has taken no slot this long after it was started will not take one


class LaunchError(LabError):
    """A run that cannot be started: a class limit, or a cluster that cannot be reached."""


# ---------------------------------------------------------------- limits


def env_int(name: str) -> int | None:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def env_float(name: str, default: float) -> float:
    """A number from the environment; the default when it is unset or not a number (a typo in a
    setting must not stop every worker from starting)."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


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
    explicit = env_int("MNIST_LAB_MAX_RUNS")
    if explicit:
        return explicit
    if backend == "ray":
        return 4
    gpus = gpu_count()
    return 2 * gpus if gpus else max(1, min(8, os.cpu_count() or 1))


def train_threads(slots: int) -> int:
    """Torch threads of one local worker: $MNIST_LAB_TRAIN_THREADS, else the cores shared by the slots."""
    return env_int("MNIST_LAB_TRAIN_THREADS") or max(1, (os.cpu_count() or 1) // max(1, slots))


def runs_per_session() -> int:
    """How many runs one browser session may have queued or training: $MNIST_LAB_RUNS_PER_SESSION, else 2."""
    return env_int("MNIST_LAB_RUNS_PER_SESSION") or 2


def still_active(run_ids, runs_dir=None) -> list[str]:
    """The runs among run_ids that are queued or training now (dead processes are not counted)."""
    store, out = RunStore(runs_dir), []
    for run_id in run_ids:
        try:
            if store.get(run_id).reconcile()["state"] in ACTIVE:
                out.append(run_id)
        except (RunNotFound, ValueError):
            continue
    return out


def session_is_full(run_ids, runs_dir=None) -> list[str]:
    """The session's active runs when it may start no more (runs_per_session()), else []."""
    active = still_active(run_ids, runs_dir)
    return active if len(active) >= runs_per_session() else []


# ---------------------------------------------------------------- the class's settings


@dataclass
class ClassSettings:
    """What the teacher caps for the whole class (runs/.class/settings.json); None means no cap."""

    max_epochs: int | None = None
    runs_per_student: int | None = None

    @staticmethod
    def path(runs_root: Path) -> Path:
        return Path(runs_root) / ".class" / "settings.json"

    @classmethod
    def load(cls, runs_root: Path) -> ClassSettings:
        try:
            d = json.loads(cls.path(runs_root).read_text())
        except (OSError, ValueError):
            return cls()
        d = d if isinstance(d, dict) else {}
        return cls(
            *(
                d.get(k) if isinstance(d.get(k), int) and d.get(k) > 0 else None
                for k in ("max_epochs", "runs_per_student")
            )
        )

    def save(self, runs_root: Path) -> None:
        self.path(runs_root).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(
            self.path(runs_root), {"max_epochs": self.max_epochs, "runs_per_student": self.runs_per_student}
        )


# ---------------------------------------------------------------- the queue


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


# ---------------------------------------------------------------- slots and workers


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


# ---------------------------------------------------------------- launchers


class Launcher:
    """start, stop, status and list runs; the queue and the slots are the runs folder's."""

    backend = "local"

    def __init__(self, runs_dir=None, data_root=None, slots: int | None = None):
        self.store = RunStore(runs_dir)
        self.root = self.store.root
        self.data_root = data_root
        self.slots = slots or max_concurrent(self.backend)

    def start(self, config: dict, student: str | None = None) -> Run:
        """Queue a run and make sure a worker will train it; returns at once."""
        self.check_class_limits(config, student)
        run = self.store.create(config, student=student)
        enqueue(run)
        self.ensure_workers()
        return run

    def check_class_limits(self, config: dict, student: str | None) -> None:
        caps = ClassSettings.load(self.root)
        if caps.max_epochs and int(config.get("epochs") or 0) > caps.max_epochs:
            raise LaunchError("error.class.max_epochs", epochs=config.get("epochs"), max=caps.max_epochs)
        if caps.runs_per_student and student:
            mine = [i for i in self.store.list() if i.student == student and i.status in ACTIVE]
            if len(mine) >= caps.runs_per_student:
                raise LaunchError("error.class.runs_per_student", n=len(mine), max=caps.runs_per_student)

    def stop(self, run: Run) -> None:
        """A queued run leaves the queue; a training one finishes its batch, saves what it learned and
        ends 'stopped' (a STOP file its worker checks after every batch, not a signal: the worker goes
        on to the next run, and a SIGTERM means the machine is going down, recorded 'interrupted')."""
        if not cancel(run):
            run.request_stop()

    def status(self, run_id: str) -> dict:
        return self.store.get(run_id).reconcile()

    def list(self) -> list[RunInfo]:
        return self.store.list()

    def worker_command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "mnist_lab",
            "worker",
            "--runs-dir",
            str(self.root.resolve()),
            "--backend",
            self.backend,
        ]
        if self.data_root:
            cmd += ["--data", str(Path(self.data_root).resolve())]
        return cmd

    def ensure_workers(self) -> int:
        """Start a worker for each free slot while runs wait (cheap to call on every page view:
        it also restarts the work after a worker died or the machine rebooted). Returns how many."""
        waiting = len(_tickets(self.root))
        if not waiting:
            return 0
        # a worker started a moment ago is still importing, its slot not yet taken: it counts as busy
        starting = sum(1 for w in workers(self.root) if w.slot is None and time.time() - w.started < STARTING_S)
        n = min(waiting, free_slots(self.root, self.slots) - starting)
        if n <= 0:
            return 0
        wdir = self.root / ".workers"
        wdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MNIST_LAB_MAX_RUNS": str(self.slots)}
        with open(wdir / "workers.log", "ab") as log:
            for _ in range(n):
                # its own session: a worker outlives the page, the server and the CLI that started it
                proc = subprocess.Popen(
                    self.worker_command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
                _reap(proc)
                # its card until it writes its own, with the slot it took
                card = {"pid": proc.pid, "backend": self.backend, "slot": None, "run_id": None, "started": time.time()}
                atomic_write_json(wdir / f"{proc.pid}.json", card)
        return n


class LocalLauncher(Launcher):
    """Workers on this machine train in their own processes (the default: nothing to install)."""


class RayLauncher(Launcher):
    """Workers on this machine submit each run to a Ray cluster as a job, follow it and stop it."""

    backend = "ray"

    def __init__(self, address: str, runs_dir=None, data_root=None, slots: int | None = None):
        super().__init__(runs_dir, data_root, slots)
        self.address = address

    def worker_command(self) -> list[str]:
        return [*super().worker_command(), "--ray-address", self.address]


def launcher(runs_dir=None, data_root=None, backend: str | None = None, ray_address: str | None = None) -> Launcher:
    """The launcher the settings ask for: Ray when an address is given (or $MNIST_LAB_RAY_ADDRESS), else local."""
    address = ray_address or os.environ.get("MNIST_LAB_RAY_ADDRESS")
    if backend == "ray" or (backend is None and address):
        if not address:
            raise LaunchError("error.ray.no_address")
        return RayLauncher(address, runs_dir, data_root)
    return LocalLauncher(runs_dir, data_root)


def _reap(proc: subprocess.Popen) -> None:
    """Collect the child's exit status when it ends, so it does not linger as a zombie of the server."""
    import threading

    threading.Thread(target=proc.wait, daemon=True).start()


def start_run(config: dict, runs_dir=None, data_root=None, student: str | None = None) -> Run:
    """Queue a run with the launcher the environment asks for; returns at once."""
    return launcher(runs_dir, data_root).start(config, student)


def stop_run(run: Run) -> None:
    launcher(run.path.parent).stop(run)
