"""Shared fixtures: tiny MNIST-format datasets written to a temporary folder (no network, no real data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import require, write_mnist


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch) -> Path:
    """A tiny MNIST in torchvision's layout; MNIST_LAB_DATA points at it. Returns the root."""
    root = tmp_path / "data"
    write_mnist(root)
    monkeypatch.setenv("MNIST_LAB_DATA", str(root))
    return root


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """An empty runs folder; MNIST_LAB_RUNS points at it. Workers and runs left behind are killed."""
    d = tmp_path / "runs"
    monkeypatch.setenv("MNIST_LAB_RUNS", str(d))
    monkeypatch.setenv("MNIST_LAB_WORKER_IDLE", "2")  # workers of a finished test leave soon by themselves
    yield d
    import os
    import signal

    from mnist_lab.jobs.slots import workers
    from mnist_lab.runs import RunStore, pid_alive

    statuses = [RunStore(d).get(i.run_id).status() for i in RunStore(d).list()]
    pids = {w.pid for w in workers(d)} | {st.get(k) for st in statuses for k in ("pid", "trainer_pid")}
    for pid in pids:
        if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def no_workers(monkeypatch) -> list:
    """Queue without training: the launcher's calls are counted, no worker process starts."""
    calls = []
    from mnist_lab.jobs.launchers import Launcher

    monkeypatch.setattr(Launcher, "ensure_workers", lambda self: calls.append(self.backend) or 0)
    return calls


@pytest.fixture
def real_data() -> Path:
    """The real MNIST named by MNIST_LAB_DATA; the test is skipped when it is not there (fails with
    MNIST_LAB_REQUIRE_REALDATA=1, which CI sets when it has pointed MNIST_LAB_DATA at it)."""
    import os

    from mnist_lab.data import find_dataset

    root = os.environ.get("MNIST_LAB_DATA")
    found = bool(root) and "MNIST/raw" in (find_dataset("mnist", root) or "")
    require("realdata", None if found else "real MNIST not available (set MNIST_LAB_DATA to a folder with MNIST/raw)")
    return Path(root)


@pytest.fixture(autouse=True, scope="session")
def shipped_files_untouched():
    """No test may change what the package ships (the default model and its side files): the app writes
    what it computes for that model to the cache folder."""
    from mnist_lab.checkpoints import ASSETS

    def snapshot():
        return {p.name: p.stat().st_mtime_ns for p in ASSETS.iterdir()}

    before = snapshot()
    yield
    assert snapshot() == before, "a test wrote into mnist_lab/assets"


@pytest.fixture(autouse=True)
def fresh_process_state(tmp_path, monkeypatch):
    """Each test starts with empty Streamlit caches and its own cache folder; the app's torch thread
    setting is undone after."""
    import streamlit as st
    import torch

    monkeypatch.setenv("MNIST_LAB_CACHE", str(tmp_path / "cache"))

    st.cache_resource.clear()
    st.cache_data.clear()
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def model_run(tiny_mnist, runs_dir) -> str:
    """A finished run with an (untrained) LeNet-5 checkpoint: enough for the model pages."""
    import time

    from mnist_lab import checkpoints, config, models, runs

    cfg = config.make_config("lenet5", "fast", epochs=1).to_dict()
    run = runs.RunStore(runs_dir).create(cfg)
    meta = checkpoints.ModelMeta("lenet5", "standardize", 0, config=cfg, epoch=1, test_accuracy=0.1)
    checkpoints.save_checkpoint(run.checkpoint_path(), models.build_model("lenet5"), meta)
    run.set_status("done", started=time.time() - 5, test_accuracy=0.1)
    return run.run_id


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a module's browser tests (tests/appdriver.py)."""
    from tests.appdriver import chromium

    with chromium() as b:
        yield b
