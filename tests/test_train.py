"""The trainer on a tiny synthetic dataset: it learns, stops, fails plainly, repeats itself."""

import json
import math

import pytest
import torch

from mnist_lab import watch as watch_module
from mnist_lab.config import PRESETS, ConfigError, make_config
from mnist_lab.data import CLASS_NAMES, Dataset, Split
from mnist_lab.train import train
from tests.helpers import synthetic_digits


def tiny(n_train=256, n_test=128) -> Dataset:
    xtr, ytr = synthetic_digits(n_train, 1)
    xte, yte = synthetic_digits(n_test, 2)
    mk = lambda x, y: Split(torch.from_numpy(x), torch.from_numpy(y.astype("int64")))  # noqa: E731
    return Dataset("mnist", mk(xtr, ytr), mk(xte, yte), "memory", CLASS_NAMES["mnist"])


def run(cfg, data=None, **kw):
    events = []
    end = train(cfg, data or tiny(), events.append, **kw)
    return end, events


def test_training_lowers_the_loss_and_reports_events():
    cfg = make_config("lenet5", "fast", epochs=3, batch_size=32)
    end, events = run(cfg)
    batches = [e for e in events if e["type"] == "batch"]
    epochs = [e for e in events if e["type"] == "epoch"]
    assert events[0]["type"] == "start" and events[0]["device"] == "cpu"
    assert len(batches) == 3 * 8 and len(epochs) == 3
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert end["state"] == "done" and end["test_accuracy"] > 0.5
    assert all(b["images_per_s"] > 0 and b["eta"] >= 0 for b in batches)
    assert batches[-1]["seen"] == 3 * 256


@pytest.mark.parametrize("model", ["simple_cnn", "mlp", "modern_cnn"])
@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_model_and_preset_runs(model, preset):
    cfg = make_config(model, preset, epochs=1, batch_size=64, augment=model == "modern_cnn")
    end, _ = run(cfg, tiny(128, 64))
    assert end["state"] == "done" and 0 <= end["test_accuracy"] <= 1


def test_same_seed_same_numbers():
    _a, ea = run(make_config("lenet5", "seed003", epochs=1, seed=7))
    _b, eb = run(make_config("lenet5", "seed003", epochs=1, seed=7))
    _c, ec = run(make_config("lenet5", "seed003", epochs=1, seed=8))
    losses = lambda ev: [e["loss"] for e in ev if e["type"] == "batch"]  # noqa: E731
    assert losses(ea) == losses(eb)
    assert losses(ea) != losses(ec)


def test_stop_request_ends_within_one_batch_and_keeps_weights():
    saved = []
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] >= 3

    end, events = run(
        make_config("lenet5", "fast", epochs=5, batch_size=16),
        should_stop=stop,
        on_checkpoint=lambda m, meta, probs: saved.append(meta),
    )
    assert end["state"] == "stopped"
    assert len([e for e in events if e["type"] == "batch"]) == 3
    assert len(saved) == 1 and saved[0].epoch == 1 and saved[0].model == "lenet5"


def test_divergence_fails_with_a_plain_reason():
    end, events = run(make_config("lenet5", "seed003", lr=1e6, momentum=0.9, epochs=2))
    assert end["state"] == "failed"
    assert "diverged" in end["reason"] and "learning rate" in end["reason"]
    assert end["reason_key"] == "reason.diverged" and end["reason_params"]["lr"] == 1e6
    assert not any(e["type"] == "epoch" for e in events)


def test_reading_the_loss_every_n_steps_reports_the_same_training(monkeypatch):
    """On a GPU the loss is read back every N steps, not every step: the events then cover N steps
    each, with the same totals, and a blow-up inside a window is still caught."""
    every_step, per_step = run(make_config("lenet5", "seed003", epochs=1, batch_size=32, seed=3))
    monkeypatch.setattr(watch_module, "sync_every", lambda device: 3)
    windowed, per_window = run(make_config("lenet5", "seed003", epochs=1, batch_size=32, seed=3))
    steps = [e["step"] for e in per_window if e["type"] == "batch"]
    assert steps == [3, 6, 8]  # 8 steps: reports every 3, and at the end of the epoch

    def loss(ev):
        return sum(
            e["loss"] * (e["seen"] - p)
            for e, p in zip(
                [e for e in ev if e["type"] == "batch"], [0] + [e["seen"] for e in ev if e["type"] == "batch"]
            )
        )

    assert loss(per_window) == pytest.approx(loss(per_step), rel=1e-5)
    assert windowed["test_accuracy"] == every_step["test_accuracy"]
    failed, _ = run(make_config("lenet5", "seed003", lr=1e6, momentum=0.9, epochs=1))
    assert failed["state"] == "failed" and failed["reason_key"] == "reason.diverged"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"lr": 0}, "learning rate must be greater than 0"),
        ({"lr": -1}, "learning rate must be greater than 0"),
        ({"lr": math.nan}, "lr must be a number"),
        ({"batch_size": 0}, "batch size must be at least 1"),
        ({"batch_size": -5}, "batch size must be at least 1"),
        ({"epochs": 0}, "epochs must be between"),
        ({"batch_size": "ten"}, "batch_size must be a whole number"),
        ({"optimizer": "lbfgs2"}, "unknown optimizer"),
        ({"momentum": 1.5}, "momentum"),
        ({"device": "tpu"}, "unknown device"),
    ],
)
def test_bad_settings_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_config("lenet5", "fast", **overrides)


def test_batch_larger_than_data_and_unknown_names():
    with pytest.raises(ConfigError, match="larger than the 256 training images"):
        run(make_config("lenet5", "fast", batch_size=1000))
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config("lenet5", "turbo")
    with pytest.raises(ConfigError, match="unknown model"):
        make_config("vgg", "fast")


def test_cuda_without_gpu_is_a_plain_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a machine without one, wherever this runs
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        run(make_config("lenet5", "fast", device="cuda"))


def test_presets_match_the_seeds():
    seed000 = {
        "optimizer": "sgd",
        "lr": 0.01,
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "batch_size": 100,
        "epochs": 2,
        "normalize": "minmax",
    }
    assert {k: PRESETS["seed000"][k] for k in seed000} == seed000
    assert PRESETS["seed003"]["momentum"] == 0.5 and PRESETS["seed003"]["batch_size"] == 64
    assert PRESETS["seed003"]["normalize"] == "standardize" and PRESETS["seed003"]["epochs"] == 1


@pytest.mark.realdata
@pytest.mark.slow
def test_fast_preset_passes_98_percent_after_one_epoch(real_data):
    from mnist_lab.data import load_dataset

    data = load_dataset("mnist", real_data, download=False)
    end, _ = run(make_config("lenet5", "fast", epochs=1), data)
    assert end["test_accuracy"] >= 0.98


def test_training_never_imports_torch_dynamo_and_learns_the_same():
    """torch.optim imports torch._dynamo (~1 s) on the first step; a training process never compiles,
    so a stand-in answers instead: the real module is not loaded, and the numbers do not change."""
    import subprocess
    import sys

    code = """
import json, sys
from mnist_lab.config import make_config
from mnist_lab.data import Dataset, Split
from mnist_lab.train import train
from tests.test_train import tiny
if sys.argv[1] == "real":
    import torch._dynamo
events = []
train(make_config("lenet5", "fast", epochs=1, batch_size=32, optimizer=sys.argv[2]), tiny(), events.append)
print(json.dumps({"real": type(sys.modules["torch._dynamo"]).__name__ == "module",
                  "losses": [e["loss"] for e in events if e["type"] == "batch"]}))
"""
    out = {}
    for mode, opt in (("shim", "adam"), ("real", "adam"), ("shim", "sgd")):
        p = subprocess.run([sys.executable, "-c", code, mode, opt], capture_output=True, text=True, check=True)
        out[mode, opt] = json.loads(p.stdout.strip().splitlines()[-1])
    assert not out["shim", "adam"]["real"] and not out["shim", "sgd"]["real"] and out["real", "adam"]["real"]
    assert out["shim", "adam"]["losses"] == out["real", "adam"]["losses"]
