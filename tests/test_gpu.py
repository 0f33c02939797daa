"""The GPU path, checked wherever CUDA is present (skipped elsewhere; CI has no GPU).

On a machine with a GPU these prove: LeNet-5 and the modern CNN train an epoch on it, two runs share
one GPU, a run stops mid-epoch and keeps its checkpoint, and a checkpoint trained on the GPU is used
by a CPU-only server. Their speed is for `python -m bench.bench_train --device cuda`, not for tests.
"""

from __future__ import annotations

import time

import pytest
import torch

from mnist_lab import checkpoints, config, jobs, runs
from mnist_lab.evaluate import predict_proba
from mnist_lab.train import train
from tests.helpers import wait_for_state
from tests.test_train import tiny


def _wait_reconciled(run: runs.Run, states, timeout: float = 300) -> dict:
    return wait_for_state(run, states, timeout, reconcile=True)


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]


@pytest.mark.parametrize("model", ["lenet5", "modern_cnn"])
def test_an_epoch_trains_on_the_gpu(model):
    events = []
    end = train(config.make_config(model, "fast", epochs=1, batch_size=64, device="cuda"), tiny(), events.append)
    assert end["state"] == "done" and end["device"] == "cuda" and 0 <= end["test_accuracy"] <= 1
    assert events[0]["device"] == "cuda" and any(e["type"] == "batch" for e in events)


def test_two_runs_share_one_gpu_and_one_stops_mid_epoch(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "2")
    quick = config.make_config("lenet5", "fast", epochs=2, batch_size=50, device="cuda").to_dict()
    long = config.make_config("lenet5", "seed003", epochs=200, batch_size=1, device="cuda").to_dict()
    a = jobs.start_run(quick, runs_dir, tiny_mnist, student="gpu a")
    b = jobs.start_run(long, runs_dir, tiny_mnist, student="gpu b")
    _wait_reconciled(b, ("running",))
    st = _wait_reconciled(a, ("done", "failed", "interrupted"))
    assert st["state"] == "done", st
    assert "cuda" in (st.get("device_name") or "").lower() or torch.cuda.get_device_name(0) in st["device_name"]
    while not b.checkpoint_path().exists():  # its first epoch has ended
        _wait_reconciled(b, ("running",))
        time.sleep(0.2)
    jobs.stop_run(b)
    st = _wait_reconciled(b, ("stopped", "failed", "interrupted"))
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
