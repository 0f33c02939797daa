"""How each model of the registry (registry.MODELS) is built: the function with the model's name.

Each is an nn.Sequential of named layers, so pages can walk them in order; registry.py says what
else every model keeps to.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from .registry import MODELS


def _seq(*layers: tuple[str, nn.Module]) -> nn.Sequential:
    return nn.Sequential(OrderedDict(layers))


def simple_cnn() -> nn.Sequential:
    """Seed 000's 4-layer CNN on 32x32 input, Glorot-uniform (gain sqrt 2) weights, zero biases."""
    model = _seq(
        ("conv1", nn.Conv2d(1, 20, 5)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(20, 10, 5)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(10 * 5 * 5, 20)),
        ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(20, 10)),
    )
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight, gain=math.sqrt(2))
            nn.init.zeros_(m.bias)
    return model


def lenet5() -> nn.Sequential:
    """Seed 003's LeNet-5 (ReLU, max-pool): 61,706 parameters."""
    return _seq(
        ("c1", nn.Conv2d(1, 6, 5, padding=2)),
        ("relu1", nn.ReLU()),
        ("s2", nn.MaxPool2d(2)),
        ("c3", nn.Conv2d(6, 16, 5)),
        ("relu3", nn.ReLU()),
        ("s4", nn.MaxPool2d(2)),
        ("c5", nn.Conv2d(16, 120, 5)),
        ("relu5", nn.ReLU()),
        ("flatten", nn.Flatten()),
        ("f6", nn.Linear(120, 84)),
        ("relu6", nn.ReLU()),
        ("f7", nn.Linear(84, 10)),
    )


def mlp() -> nn.Sequential:
    """A plain two-hidden-layer perceptron: the baseline a CNN should beat."""
    return _seq(
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(28 * 28, 256)),
        ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(256, 128)),
        ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(128, 10)),
    )


def _block(i: int, cin: int, cout: int, padding: int = 1) -> list[tuple[str, nn.Module]]:
    return [
        (f"conv{i}", nn.Conv2d(cin, cout, 3, padding=padding, bias=False)),
        (f"bn{i}", nn.BatchNorm2d(cout)),
        (f"relu{i}", nn.ReLU()),
    ]


def modern_cnn() -> nn.Sequential:
    """A small modern CNN: 3x3 convolutions with batch norm, global average pooling (~99k parameters)."""
    return _seq(
        *_block(1, 1, 16),
        *_block(2, 16, 32),
        ("pool1", nn.MaxPool2d(2)),
        *_block(3, 32, 64),
        ("pool2", nn.MaxPool2d(2)),
        *_block(4, 64, 128, padding=0),
        ("gap", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("dropout", nn.Dropout(0.1)),
        ("fc", nn.Linear(128, 10)),
    )


# the builder of each registered model: the function of this module with the model's name
_BUILDERS = {name: globals()[name] for name in MODELS}


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """model.eval() inside the block, then the mode it had before (a training run may be using it)."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def build_model(name: str) -> nn.Sequential:
    """A freshly initialised model by registry name."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return _BUILDERS[name]()


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def summary(model: str | nn.Sequential, input_size: int | None = None) -> list[dict]:
    """One row per layer: name, type, output shape (without batch) and parameter count."""
    if isinstance(model, str):
        input_size = input_size or MODELS[model].input_size
        model = build_model(model)
    x = torch.zeros(1, 1, input_size or 28, input_size or 28)
    rows = []
    with eval_mode(model), torch.no_grad():
        for name, layer in model.named_children():
            x = layer(x)
            rows.append(
                {
                    "layer": name,
                    "type": type(layer).__name__,
                    "output_shape": tuple(x.shape[1:]),
                    "params": count_params(layer),
                }
            )
    return rows
