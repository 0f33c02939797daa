"""Look inside a model: the learned conv filters and the output of every layer."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .inference import device_of
from .models import eval_mode

# the layers whose maps are shown before any is chosen: what a convolution makes, and its pooling
FIRST_SHOWN = ("Conv2d", "ReLU", "MaxPool2d", "AvgPool2d")


def conv_filters(model: nn.Module) -> list[tuple[str, np.ndarray]]:
    """(layer name, weights (out, in, k, k)) for every Conv2d, in model order."""
    return [
        (name, m.weight.detach().cpu().numpy().copy()) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)
    ]


def activations(model: nn.Module, x: torch.Tensor) -> list[tuple[str, str, np.ndarray]]:
    """(layer name, layer type, output of the first image: (C, H, W) or (F,)) after every layer."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    out = []
    with eval_mode(model), torch.no_grad():
        x = x.to(device_of(model))
        for name, layer in model.named_children():
            x = layer(x)
            # copy now: a later in-place layer (ReLU(inplace=True)) would change this tensor
            out.append((name, type(layer).__name__, x[0].detach().cpu().numpy().copy()))
    return out


def look_inside(model: nn.Module, img: np.ndarray, normalize: str, pad: int):
    """What Feature maps shows of one 28x28 uint8 digit: (its probabilities, every layer's output, the
    conv filters by layer, the model's input shape)."""
    from .data import to_float
    from .evaluate import predict_proba

    probs = predict_proba(model, img, normalize, pad)[0]
    x = to_float(torch.from_numpy(np.ascontiguousarray(img, dtype=np.uint8))[None], normalize, pad)
    return probs, activations(model, x), dict(conv_filters(model)), tuple(x.shape[1:])


def with_maps(acts: list[tuple[str, str, np.ndarray]], first_shown: bool = False) -> list[str]:
    """The names of the layers whose outputs are maps (C, H, W), in model order; with first_shown, only
    those of the kinds in FIRST_SHOWN."""
    return [n for n, kind, a in acts if a.ndim == 3 and (not first_shown or kind in FIRST_SHOWN)]


def dense(acts: list[tuple[str, str, np.ndarray]]) -> list[tuple[str, str, np.ndarray]]:
    """The layers whose outputs are vectors (F,), but Flatten's (only the maps before it, in a row)."""
    return [(n, kind, a) for n, kind, a in acts if a.ndim == 1 and kind != "Flatten"]
