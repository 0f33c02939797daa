"""Running a model over many digits, the one way: in batches, in eval mode, without gradients, on the
model's own device. Probabilities (evaluate.predict_proba), the test loss of a training run
(train.evaluate_loss) and the penultimate features (explain.features) are all read from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import nn

from .data import to_float
from .models import eval_mode


def device_of(model: nn.Module) -> torch.device:
    """Where the model's weights live (the CPU for a model without weights)."""
    return next(model.parameters(), torch.empty(0)).device


def as_images(images) -> torch.Tensor:
    """uint8 digits (N, 28, 28) as a tensor, from a tensor or an array; one digit (28, 28) becomes N=1."""
    images = images if torch.is_tensor(images) else torch.from_numpy(np.ascontiguousarray(images))
    if images.ndim == 2:
        images = images[None]
    if images.dtype != torch.uint8:
        raise ValueError(f"expected uint8 images, got {images.dtype}")
    return images


def forward(
    model: nn.Sequential,
    images,
    normalize: str,
    pad: int,
    *,
    batch_size: int = 1000,
    upto: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> Iterator[tuple[slice, torch.Tensor]]:
    """(which digits, the model's output for them) batch by batch; with `upto`, the output of that
    layer instead of the last. progress(fraction done) is called after each batch. Eval mode and
    no_grad hold until the last batch is taken (or the generator is dropped): read it to the end."""
    images = as_images(images)
    net = model
    if upto is not None:  # the model up to and including that layer: its modules, not copies
        net = model[: [name for name, _ in model.named_children()].index(upto) + 1]
    device, n = device_of(model), len(images)
    with eval_mode(model), torch.no_grad():
        for i in range(0, n, batch_size):
            part = slice(i, min(i + batch_size, n))
            yield part, net(to_float(images[part].to(device), normalize, pad))
            if progress:
                progress(part.stop / n)
