"""The GPU path, checked wherever CUDA is present (skipped elsewhere, failed with MNIST_LAB_REQUIRE_GPU=1;
CI has no GPU).

On a machine with a GPU these prove: LeNet-5 and the modern CNN train an epoch on it, two runs share
one GPU, a run stops mid-epoch and keeps its checkpoint, and a checkpoint trained on the GPU is used
by a CPU-only server. Their speed is for `python -m bench.bench_train --device cuda`, not for tests.
"""

from __future__ import annotations

import pytest
import torch

from mnist_lab import checkpoints, config
from mnist_lab.evaluate import predict_proba
from mnist_lab.jobs.queue import stop
from mnist_lab.jobs.submit import submit
from mnist_lab.registry import MODELS
from mnist_lab.train import train
from tests.helpers import require, wait_for_state, wait_until
from tests.test_train import tiny

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def gpu() -> None:
    """A machine meant to have a GPU sets MNIST_LAB_REQUIRE_GPU=1: a CPU-only torch there fails instead of skipping."""
    require("gpu", None if torch.cuda.is_available() else "no CUDA GPU on this machine")


@pytest.mark.parametrize("model", list(MODELS))
def test_an_epoch_trains_on_the_gpu(model):
    events = []
    end = train(config.make_config(model, "fast", epochs=1, batch_size=64, device="cuda"), tiny(), events.append)
    assert end["state"] == "done" and end["device"] == "cuda" and 0 <= end["test_accuracy"] <= 1
    assert events[0]["device"] == "cuda" and any(e["type"] == "batch" for e in events)


def test_two_runs_share_one_gpu_and_one_stops_mid_epoch(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "2")
    quick = {"epochs": 2, "batch_size": 50, "device": "cuda"}
    long = {"epochs": 200, "batch_size": 1, "device": "cuda"}
    a = submit("lenet5", "fast", quick, student="gpu a", runs_dir=runs_dir, data_root=tiny_mnist)
    b = submit("lenet5", "seed003", long, student="gpu b", runs_dir=runs_dir, data_root=tiny_mnist)
    wait_for_state(b, ("running",), 300, reconcile=True)
    st = wait_for_state(a, ("done", "failed", "interrupted"), 300, reconcile=True)
    assert st["state"] == "done", st
    assert st["device_name"] in {torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())}, st

    def first_epoch_saved() -> bool:
        assert b.reconcile()["state"] == "running", b.status()  # it trains on until stopped
        return b.checkpoint_path().exists()

    wait_until(first_epoch_saved, 300, what="run b's first checkpoint")
    stop(b)
    st = wait_for_state(b, ("stopped", "failed", "interrupted"), 300, reconcile=True)
    assert st["state"] == "stopped", st
    checkpoints.load_model(b.checkpoint_path())


def test_a_gpu_checkpoint_serves_on_the_cpu(tmp_path):
    saved = []
    train(
        config.make_config("lenet5", "fast", epochs=1, batch_size=64, device="cuda"),
        tiny(),
        on_checkpoint=lambda model, meta, probs: saved.append((model, meta)),
    )
    model, meta = saved[-1]
    checkpoints.save_checkpoint(tmp_path / "gpu.pt", model, meta)
    cpu_model, cpu_meta = checkpoints.load_model(tmp_path / "gpu.pt")  # what a CPU-only server does
    assert all(p.device.type == "cpu" for p in cpu_model.parameters())
    x = tiny().test.images[:16]
    on_gpu = predict_proba(model, x, meta.normalize, meta.pad)
    on_cpu = predict_proba(cpu_model, x, cpu_meta.normalize, cpu_meta.pad)
    assert abs(on_gpu - on_cpu).max() < 1e-4
