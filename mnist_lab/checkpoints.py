"""Checkpoints: a model's state_dict and its ModelMeta, written atomically, read with weights_only.

The meta says everything needed to use the weights again: which model to build, how its input is
normalised and padded, which dataset and classes it knows, and how it was trained.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from .config import DATASETS, NORMALIZE
from .errors import LabError
from .files import atomic_write
from .registry import MODELS
from .settings import settings

if TYPE_CHECKING:  # torch loads only where weights are read or written
    import torch

FORMAT = "mnist_lab/1"
ASSETS = Path(__file__).parent / "assets"


class CheckpointError(LabError, ValueError):
    """A checkpoint that cannot be loaded."""


@dataclass(frozen=True)
class ModelMeta:
    """What a checkpoint says about its weights (saved beside the state_dict as a plain dict)."""

    model: str
    normalize: str = "minmax"
    pad: int = 0
    dataset: str = "mnist"
    classes: tuple[str, ...] = tuple(str(k) for k in range(10))
    config: dict = field(default_factory=dict)
    device: str | None = None
    epoch: int | None = None
    test_accuracy: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["classes"] = list(self.classes)
        return d

    @classmethod
    def from_dict(cls, d: dict, name: str = "checkpoint") -> ModelMeta:
        """Read a saved meta, filling what older checkpoints left out; CheckpointError if it is unusable."""
        if d.get("model") not in MODELS:
            raise CheckpointError("error.checkpoint.unknown_model", file=name, model=repr(d.get("model")))
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known and v is not None}
        values.setdefault("pad", MODELS[d["model"]].pad)
        if values.get("dataset") not in DATASETS:
            values["dataset"] = "mnist"
        values.setdefault("normalize", "minmax")
        classes = values.get("classes")
        ten = isinstance(classes, (list, tuple)) and len(classes) == 10
        values["classes"] = tuple(map(str, classes)) if ten else cls.classes
        if values["normalize"] not in NORMALIZE or not isinstance(values["pad"], int):
            raise CheckpointError("error.checkpoint.not_ours", file=name)
        if not isinstance(values.get("config", {}), dict):
            values["config"] = {}
        return cls(**values)


def cache_dir() -> Path:
    """Where what is computed from a model and too big to keep beside it goes: $MNIST_LAB_CACHE, else
    the user's cache folder (~/.cache/mnist_lab/models)."""
    return settings().cache


def default_checkpoint() -> Path:
    """The model shipped with the package, used until the user picks a run of their own."""
    return ASSETS / "default_model.pt"


def read_card(checkpoint: Path | None = None) -> dict:
    """A model's card (the .json beside its checkpoint): how it was trained, how well it does; {} if none."""
    path = Path(checkpoint or default_checkpoint()).with_suffix(".json")
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def save_checkpoint(path: Path, model: torch.nn.Module, meta: ModelMeta) -> None:
    """Write the state_dict and meta to a temporary file, then rename: a reader never sees half a file."""
    import torch

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(path, lambda fh: torch.save({"format": FORMAT, "state_dict": state, "meta": meta.to_dict()}, fh))


def load_model(path: str | os.PathLike) -> tuple[torch.nn.Module, ModelMeta]:
    """Rebuild a model from a checkpoint, in eval mode (weights_only: a file carrying code cannot run it)."""
    import torch

    from .models import build_model

    path = Path(path)
    name = path.name
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError("error.checkpoint.missing", file=name) from None
    except Exception as e:  # noqa: BLE001 -- any unpickling failure means the same to the user
        key = "error.checkpoint.has_code" if "weights_only" in str(e) else "error.checkpoint.damaged"
        raise CheckpointError(key, file=name) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or not isinstance(ckpt.get("meta"), dict):
        raise CheckpointError("error.checkpoint.not_ours", file=name)
    meta = ModelMeta.from_dict(ckpt["meta"], name)
    model = build_model(meta.model)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except Exception:  # noqa: BLE001 -- wrong shapes, missing or extra keys: one message
        raise CheckpointError("error.checkpoint.wrong_weights", file=name, model=meta.model) from None
    model.eval()
    return model, meta
