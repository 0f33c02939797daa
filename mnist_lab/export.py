"""A model as one self-contained ONNX file: raw pixels in, probabilities out.

The graph takes "pixels", float 0–255 of shape N × 1 × 28 × 28 (any N), and gives "probabilities",
N × 10 after softmax. The model's normalisation and padding are inside it, so a consumer (onnxruntime,
a phone, a browser) needs nothing from MNIST Lab to use it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .data import MNIST_MEAN, MNIST_STD
from .errors import LabError
from .files import atomic_write_bytes

if TYPE_CHECKING:
    from torch import nn

    from .checkpoints import ModelMeta

INPUT, OUTPUT = "pixels", "probabilities"
OPSET = 17
# the TorchScript exporter keeps its settings in module globals: two server threads exporting at once
# would read each other's
_EXPORT_LOCK = threading.Lock()


class ExportError(LabError):
    """An export that cannot be written where it was asked to go."""


def available() -> bool:
    """Whether this Python can export (torch's exporter needs the onnx package)."""
    return importlib.util.find_spec("onnx") is not None


def _wrapped(model: nn.Module, meta: ModelMeta) -> nn.Module:
    """A CPU copy of the model in eval mode, behind the normalisation and padding of data.to_float."""
    import torch
    from torch import nn

    from .models import build_model

    if meta.normalize not in ("minmax", "standardize", "none"):
        raise ValueError(f"unknown normalisation {meta.normalize!r}")

    class Exported(nn.Module):
        def __init__(self, inner: nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, pixels: torch.Tensor) -> torch.Tensor:
            x = pixels
            if meta.normalize != "none":
                x = x / 255.0
            if meta.normalize == "standardize":
                x = (x - MNIST_MEAN) / MNIST_STD
            if meta.pad:
                bg = -MNIST_MEAN / MNIST_STD if meta.normalize == "standardize" else 0.0
                x = torch.nn.functional.pad(x, (meta.pad,) * 4, value=bg)
            return torch.softmax(self.inner(x), dim=1)

    # a fresh CPU copy from the weights alone: the caller's model may be training, on a GPU, or
    # carrying the hooks another session's Captum has attached to the shared cached model (deepcopy
    # would copy those too)
    inner = build_model(meta.model)
    inner.load_state_dict({k: v.detach().cpu() for k, v in model.state_dict().items()})
    return Exported(inner.float().eval()).eval()


def _metadata(meta: ModelMeta) -> dict[str, str]:
    """What a consumer may want to show: the model, its classes, how well it did."""
    info = {
        "mnist_lab.model": meta.model,
        "mnist_lab.dataset": meta.dataset,
        "mnist_lab.classes": json.dumps(list(meta.classes)),
        "mnist_lab.input": f"{INPUT}: float32 N×1×28×28, pixel values 0–255 (white digit on black)",
        "mnist_lab.output": f"{OUTPUT}: float32 N×{len(meta.classes)}, softmax",
    }
    if meta.epoch is not None:
        info["mnist_lab.epoch"] = str(meta.epoch)
    if meta.test_accuracy is not None:
        info["mnist_lab.test_accuracy"] = f"{meta.test_accuracy:.4f}"
    return info


def onnx_bytes(model: nn.Module, meta: ModelMeta) -> bytes:
    """The model as the bytes of one .onnx file (see the module's docstring for its inputs and outputs)."""
    import torch

    if not available():
        raise ExportError("error.export.no_onnx")
    import onnx

    wrapped = _wrapped(model, meta)
    buf = io.BytesIO()
    with _EXPORT_LOCK, warnings.catch_warnings(), torch.no_grad():
        # the TorchScript exporter is deprecated, but it writes one file and needs no onnxscript; padding
        # exports as Pad with computed pads, which it warns it cannot fold: correct, only not folded
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", "Constant folding", UserWarning)
        torch.onnx.export(
            wrapped,
            (torch.zeros(1, 1, 28, 28),),
            buf,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "N"}, OUTPUT: {0: "N"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load_model_from_string(buf.getvalue())
    for key, value in _metadata(meta).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def export_onnx(model: nn.Module, meta: ModelMeta, path: str | os.PathLike) -> int:
    """Write the model to path as one .onnx file (atomically); returns its size in bytes."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ExportError("error.export.is_folder", path=str(path))
    if not path.parent.is_dir():
        raise ExportError("error.export.no_folder", path=str(path), folder=str(path.parent))
    data = onnx_bytes(model, meta)
    try:
        atomic_write_bytes(path, data)
    except IsADirectoryError:  # made a folder meanwhile
        raise ExportError("error.export.is_folder", path=str(path)) from None
    except OSError as e:
        if not path.parent.is_dir():  # removed meanwhile
            raise ExportError("error.export.no_folder", path=str(path), folder=str(path.parent)) from None
        raise ExportError("error.export.unwritable", path=str(path), error=e.strerror or str(e)) from None
    return len(data)
