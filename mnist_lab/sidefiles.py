"""What is computed from a checkpoint and saved with it, the one way: its test-set predictions, its
digit map and its training digits' features, each one .npz file.

A side file sits beside its checkpoint (`checkpoint.pt` -> `checkpoint.predictions.npz`), except for a
model in the package's own folder: that folder is read-only once installed, and the files it ships were
made from the real MNIST (a different test set must not overwrite them), so what the app makes for it
goes to the user's cache folder under a name that changes with the checkpoint. Large files that a user
need not keep (the neighbours' features) always go to the cache folder.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .checkpoints import ASSETS, cache_dir
from .files import atomic_write_bytes

PREDICTIONS = ".predictions.npz"
PROJECTIONS = ".projections.npz"
NEIGHBOURS = ".neighbours.npz"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _stamp(checkpoint: Path) -> int:
    try:
        return checkpoint.stat().st_mtime_ns
    except OSError:
        return 0


def beside(checkpoint, suffix: str) -> Path:
    """The side file next to the checkpoint: what a run saved, or what a shipped model ships."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + suffix)


def written(checkpoint, suffix: str) -> Path:
    """Where the app writes a side file it makes (see the module's docstring)."""
    checkpoint = Path(checkpoint)
    if checkpoint.resolve().parent != ASSETS.resolve():
        return beside(checkpoint, suffix)
    return cache_dir() / f"{checkpoint.stem}-{_digest(f'{checkpoint.resolve()}:{_stamp(checkpoint)}')}{suffix}"


def places(checkpoint, suffix: str) -> list[Path]:
    """Where to look for a side file, in order: beside the checkpoint, then where the app writes one."""
    first, second = beside(checkpoint, suffix), written(checkpoint, suffix)
    return [first] if first == second else [first, second]


def cached(key: str, suffix: str) -> Path:
    """A file in the user's cache folder for what `key` names (a model version and the data it read)."""
    return cache_dir() / f"{_digest(key)}{suffix}"


def save(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write the arrays as one compressed .npz, whole or not at all (a reader never sees half a file)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return path


def load(paths: list[Path], accept: Callable[[dict[str, np.ndarray]], bool] = lambda saved: True) -> dict | None:
    """The arrays of the first of `paths` that can be read and that `accept` takes (made for this
    epoch, these labels...); None when none can (no file, a damaged one, another model version)."""
    for path in paths:
        try:
            with np.load(path, allow_pickle=False) as z:
                saved = {k: z[k] for k in z.files}
        except (OSError, ValueError):
            continue
        if accept(saved):
            return saved
    return None
