"""Starting the worker processes that train the queue: on this machine, or following jobs on a Ray cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..errors import LabError
from ..files import atomic_write_json
from ..runs import RunStore
from ..settings import settings
from .queue import queued
from .slots import free_slots, max_concurrent, workers

STARTING_S = 60.0  # a worker that has taken no slot this long after it was started will not take one


class LaunchError(LabError):
    """Runs cannot be launched: no cluster address, or a cluster that cannot be reached."""


class Launcher:
    """Starts a worker per free slot while runs wait; its workers train each run in their own process."""

    backend = "local"

    def __init__(self, runs_dir=None, data_root=None, slots: int | None = None):
        self.root = RunStore(runs_dir).root
        self.data_root = data_root
        self.slots = slots or max_concurrent(self.backend)

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
        waiting = len(queued(self.root))
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
                # collect its exit status when it ends, so it does not linger as a zombie of the server
                threading.Thread(target=proc.wait, daemon=True).start()
                # its card until it writes its own, with the slot it took
                card = {"pid": proc.pid, "backend": self.backend, "slot": None, "run_id": None, "started": time.time()}
                atomic_write_json(wdir / f"{proc.pid}.json", card)
        return n


class RayLauncher(Launcher):
    """Its workers, on this machine, submit each run to a Ray cluster as a job and follow it."""

    backend = "ray"

    def __init__(self, address: str, runs_dir=None, data_root=None, slots: int | None = None):
        super().__init__(runs_dir, data_root, slots)
        self.address = address

    def worker_command(self) -> list[str]:
        return [*super().worker_command(), "--ray-address", self.address]


def launcher(runs_dir=None, data_root=None, backend: str | None = None, ray_address: str | None = None) -> Launcher:
    """The launcher the settings ask for: Ray when an address is given (or $MNIST_LAB_RAY_ADDRESS), else local."""
    address = ray_address or settings().ray_address
    if backend == "ray" or (backend is None and address):
        if not address:
            raise LaunchError("error.ray.no_address")
        return RayLauncher(address, runs_dir, data_root)
    return Launcher(runs_dir, data_root)
