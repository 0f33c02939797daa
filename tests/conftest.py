"""Shared fixtures: tiny MNIST-format datasets written to a temporary folder (no network, no real data)."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learnable 28x28 uint8 images: class k is a bright bar at a class-specific place, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        r = 3 + 2 * int(k) + int(rng.integers(0, 2))
        images[i, r:r + 2, 4:24] = 255
        images[i, 4:24, 3 + 2 * int(k)] = 200
    return images, labels


def idx_bytes(arr: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file (magic 0x0801 for labels, 0x0803 for images)."""
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


def write_mnist(root: Path, n_train: int = 200, n_test: int = 100, gz: bool = False,
                layout: str = "torchvision") -> Path:
    """Write a tiny dataset in torchvision's layout (root/MNIST/raw) or flat; returns the folder."""
    folder = root / "MNIST" / "raw" if layout == "torchvision" else root
    folder.mkdir(parents=True, exist_ok=True)
    xtr, ytr = synthetic_digits(n_train, 1)
    xte, yte = synthetic_digits(n_test, 2)
    for name, arr in [("train-images-idx3-ubyte", xtr), ("train-labels-idx1-ubyte", ytr),
                      ("t10k-images-idx3-ubyte", xte), ("t10k-labels-idx1-ubyte", yte)]:
        data = idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch) -> Path:
    """A tiny MNIST in torchvision's layout; MNIST_LAB_DATA points at it. Returns the root."""
    root = tmp_path / "data"
    write_mnist(root)
    monkeypatch.setenv("MNIST_LAB_DATA", str(root))
    return root


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """An empty runs folder; MNIST_LAB_RUNS points at it. Training processes left behind are killed."""
    d = tmp_path / "runs"
    monkeypatch.setenv("MNIST_LAB_RUNS", str(d))
    yield d
    import os
    import signal
    from mnist_lab.runs import RunStore, pid_alive
    for info in RunStore(d).list():
        pid = RunStore(d).get(info.run_id).status().get("pid")
        if pid != os.getpid() and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def real_data() -> Path:
    """The real MNIST named by MNIST_LAB_DATA; the test is skipped when it is not there."""
    import os
    from mnist_lab.data import find_dataset
    root = os.environ.get("MNIST_LAB_DATA")
    if not root or not find_dataset("mnist", root) or "MNIST/raw" not in find_dataset("mnist", root):
        pytest.skip("real MNIST not available (set MNIST_LAB_DATA to a folder with MNIST/raw)")
    return Path(root)
