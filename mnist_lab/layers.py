"""Look inside a model: the learned conv filters and the output of every layer."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .models import eval_mode


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
        x = x.to(next(model.parameters(), torch.empty(0)).device)
        for name, layer in model.named_children():
            x = layer(x)
            # copy now: a later in-place layer (ReLU(inplace=True)) would change this tensor
            out.append((name, type(layer).__name__, x[0].detach().cpu().numpy().copy()))
    return out
