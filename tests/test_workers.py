"""Workers: real processes that train the queue, die, are replaced, and leave when there is nothing to do."""

from __future__ import annotations

import os
import signal

import pytest

from mnist_lab import checkpoints
from mnist_lab.config import make_config
from mnist_lab.jobs.launchers import Launcher
from mnist_lab.jobs.queue import enqueue
from mnist_lab.jobs.slots import Slot, free_slots, workers
from mnist_lab.jobs.submit import submit
from mnist_lab.runs import RunStore
from tests.helpers import wait_until

pytestmark = pytest.mark.slow

LONG = ("lenet5", "seed003", {"epochs": 200, "batch_size": 1})  # model, preset, overrides
QUICK = ("mlp", "fast", {"epochs": 1, "batch_size": 50})


def _state(run) -> str:
    return run.reconcile()["state"]


def test_a_killed_worker_loses_only_its_run_and_is_replaced(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    long = submit(*LONG, student="Ana", runs_dir=runs_dir, data_root=tiny_mnist)
    wait_until(lambda: long.checkpoint_path().exists(), what="a first checkpoint")
    waiting = submit(*QUICK, student="Ben", runs_dir=runs_dir, data_root=tiny_mnist)
    [worker] = workers(runs_dir)
    os.kill(worker.pid, signal.SIGKILL)  # out of memory, say: the kernel ends it at once
    wait_until(lambda: _state(long) == "interrupted", what="the run to be seen interrupted")
    assert "checkpoint is kept" in long.status()["reason"]
    checkpoints.load_model(long.checkpoint_path())
    assert _state(waiting) == "queued"  # the next student's run waits, it is not lost
    assert Launcher(runs_dir, tiny_mnist).ensure_workers() == 1  # what the next page view (or submit) does
    wait_until(lambda: _state(waiting) == "done", what="the queued run to train")


def test_sigterm_ends_the_run_interrupted_with_its_checkpoint(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    run = submit(*LONG, runs_dir=runs_dir, data_root=tiny_mnist)
    wait_until(lambda: run.checkpoint_path().exists(), what="a first checkpoint")
    before = run.checkpoint_path().stat().st_mtime
    os.kill(run.status()["pid"], signal.SIGTERM)  # the machine shuts down: the batch ends, the model is saved
    st = wait_until(
        lambda: run.status() if run.status()["state"] not in ("queued", "running") else None, what="the run to end"
    )
    assert st["state"] == "interrupted" and st["reason_key"] == "reason.terminated"
    assert run.checkpoint_path().stat().st_mtime >= before
    checkpoints.load_model(run.checkpoint_path())


def test_a_worker_leaves_when_the_queue_stays_empty(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    monkeypatch.setenv("MNIST_LAB_WORKER_IDLE", "1")
    run = submit(*QUICK, runs_dir=runs_dir, data_root=tiny_mnist)
    wait_until(lambda: _state(run) == "done", what="the run to train")
    wait_until(lambda: not workers(runs_dir), timeout=60, what="the worker to leave")
    assert free_slots(runs_dir, 1) == 1
    again = submit(*QUICK, runs_dir=runs_dir, data_root=tiny_mnist)  # a new run brings a new worker
    wait_until(lambda: _state(again) == "done", what="the next run to train")


def test_a_class_submitting_at_once_trains_in_order_on_every_slot(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "2")
    started = [submit(*QUICK, student=f"student {k}", runs_dir=runs_dir, data_root=tiny_mnist) for k in range(6)]
    wait_until(lambda: all(_state(r) == "done" for r in started), timeout=180, what="the class to finish")
    owners = {r.status()["pid"] for r in started}
    assert 1 <= len(owners) <= 2  # at most one worker per slot, each loading torch once
    assert [i.student for i in RunStore(runs_dir).list()] == [f"student {k}" for k in reversed(range(6))]


@pytest.mark.parametrize(("gpus", "slot", "device"), [(4, 5, 1), (2, 0, 0), (2, 3, 1), (1, 1, None), (0, 1, None)])
def test_each_slot_of_a_multi_gpu_server_trains_on_its_own_gpu(tmp_path, monkeypatch, gpus, slot, device):
    """No GPU is needed: torch.cuda is asked what it has, and the choice it is told is recorded."""
    import torch

    from mnist_lab import worker

    chosen = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    monkeypatch.setattr(worker, "train_run", lambda *a, **k: None)
    held = Slot(tmp_path, 8)
    held.index = slot
    run = RunStore(tmp_path).create({"model": "mlp"})
    worker.LocalExecutor(None, held).execute(run, stop=None)
    assert chosen == ([] if device is None else [device])


def test_asking_twice_while_a_worker_starts_up_starts_it_once(tiny_mnist, runs_dir, monkeypatch):
    """Start pressed twice, or a page view and the CLI at once, while the first worker still imports:
    the slot it is about to take is not free for a second worker."""
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    launch = Launcher(runs_dir, tiny_mnist)
    store = RunStore(runs_dir)
    queued = []
    for name in ("Ana", "Ben"):
        queued.append(store.create(make_config("mlp", "fast", epochs=1, batch_size=50).to_dict(), name))
        enqueue(queued[-1])
    assert launch.ensure_workers() == 1
    assert launch.ensure_workers() == 0 and len(workers(runs_dir)) == 1
    wait_until(lambda: all(_state(r) == "done" for r in queued), what="both runs to train")
