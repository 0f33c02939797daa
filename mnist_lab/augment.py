"""Training-time augmentation: the ways people draw a digit differently."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random small rotations, slants, scales, shifts and stroke thickness, as people draw differently."""
    n = x.shape[0]

    def rand(*shape):
        return torch.rand(*shape, generator=gen).to(x.device)

    angle = (rand(n) - 0.5) * math.radians(30)
    scale = 0.85 + rand(n) * 0.3
    shift = (rand(n, 2) - 0.5) * (2 * 3 / 14)  # up to 3 px each way, in [-1, 1] units
    slant = (rand(n) - 0.5) * 0.6  # handwriting that leans, up to about 17 degrees either way
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + slant, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    thick = rand(n) < 0.25
    thin = (rand(n) < 0.15) & ~thick
    x = torch.where(thick[:, None, None, None], F.max_pool2d(x, 3, 1, 1), x)
    x = torch.where(thin[:, None, None, None], -F.max_pool2d(-x, 3, 1, 1), x)
    return x
