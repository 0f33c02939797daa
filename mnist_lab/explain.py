"""Why the network answered as it did: attribution maps made with Captum, the same maps for a network
with scrambled weights (Adebayo et al.'s sanity check), and the training digits it finds alike.

Every map is for one 28x28 digit and one target class (not only the answer: "what makes it a 9?").
- occlusion: cover a square patch with a baseline, watch the target's score; grey or blurred
  baselines, because a black one can only remove ink, so it shows nothing where ink is missing;
- smoothgrad: how much each pixel's change moves the score, averaged over noisy copies;
- gradcam: which places in the last convolution before pooling raise the score, upsampled.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .checkpoints import ModelMeta
from .data import to_float
from .errors import LabError
from .inference import device_of, forward
from .models import build_model, eval_mode
from .registry import MODELS

METHODS = ("occlusion", "smoothgrad", "gradcam")
BASELINES = ("grey", "blur", "black")
# Captum attaches hooks to the model while it works: one map at a time per process, since every
# session shares the same cached model object
_LOCK = threading.Lock()


class ExplainError(LabError, ValueError):
    """A map that this model or these settings cannot give."""


@dataclass
class Attribution:
    method: str
    target: int
    map: np.ndarray  # (28, 28) float32; signed for occlusion, >= 0 for the others
    seconds: float


def model_input(img: np.ndarray, meta: ModelMeta) -> torch.Tensor:
    """A 28x28 uint8 digit as the model's (1, 1, H, W) float input."""
    return to_float(torch.from_numpy(np.ascontiguousarray(img, dtype=np.uint8))[None], meta.normalize, meta.pad)


def _crop(attr: torch.Tensor, pad: int) -> np.ndarray:
    a = attr.detach().float()[0, 0].cpu().numpy()
    return np.ascontiguousarray(a[pad : a.shape[0] - pad, pad : a.shape[1] - pad] if pad else a, dtype=np.float32)


def _baseline(img: np.ndarray, meta: ModelMeta, kind: str) -> torch.Tensor | float:
    """What covers a patch: mid grey, the digit blurred (its surroundings, without detail), or black."""
    if kind == "grey":
        return float(model_input(np.full((28, 28), 128, np.uint8), meta)[0, 0, meta.pad, meta.pad])
    if kind == "blur":
        import cv2

        return model_input(cv2.GaussianBlur(np.asarray(img, np.uint8), (0, 0), 3), meta)
    if kind == "black":
        return float(model_input(np.zeros((28, 28), np.uint8), meta)[0, 0, 0, 0])
    raise ExplainError("error.explain.baseline", baseline=kind, choices=", ".join(BASELINES))


def attribution(
    model: nn.Module,
    meta: ModelMeta,
    img: np.ndarray,
    method: str,
    target: int,
    *,
    baseline: str = "grey",
    patch: int = 5,
    samples: int = 16,
    noise: float = 0.15,
) -> Attribution:
    """One map of the evidence for `target` in a 28x28 uint8 digit (see the module's docstring)."""
    import time

    from captum.attr import LayerAttribution, LayerGradCam, NoiseTunnel, Occlusion, Saliency

    if method not in METHODS:
        raise ExplainError("error.explain.method", method=method, choices=", ".join(METHODS))
    if not 0 <= int(target) <= 9:
        raise ExplainError("error.explain.target", target=target)
    x = model_input(img, meta).to(device_of(model))
    t0 = time.perf_counter()
    with _LOCK, eval_mode(model), torch.enable_grad():
        if method == "occlusion":
            patch = max(1, min(int(patch), 14))
            attr = Occlusion(model).attribute(
                x,
                target=int(target),
                sliding_window_shapes=(1, patch, patch),
                strides=(1, max(1, patch // 2), max(1, patch // 2)),
                baselines=_baseline(img, meta, baseline),
                perturbations_per_eval=64,
            )
        elif method == "smoothgrad":
            spread = float(noise) * float(x.max() - x.min())
            attr = NoiseTunnel(Saliency(model)).attribute(
                x.clone().requires_grad_(True),
                nt_type="smoothgrad",
                nt_samples=int(samples),
                stdevs=spread,
                target=int(target),
            )
        else:
            layer = MODELS[meta.model].gradcam_layer
            if layer is None:
                raise ExplainError("error.explain.no_conv", model=meta.model)
            # Captum hooks the layer while it works: on a private copy, so that another session's
            # forward pass through the shared model (Draw, Mistakes) neither fires nor disturbs it
            own = copy.deepcopy(model)
            cam = LayerGradCam(own, getattr(own, layer)).attribute(x, target=int(target), relu_attributions=True)
            attr = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), "bilinear")
    return Attribution(method, int(target), _crop(attr, meta.pad), time.perf_counter() - t0)


def scrambled(meta: ModelMeta, seed: int = 0) -> nn.Module:
    """The same architecture with freshly random weights: maps that look the same for it do not depend
    on what the network learned (they only redraw the input)."""
    torch.manual_seed(seed)
    return build_model(meta.model).eval()


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps' magnitudes (1: the same pixels matter in the same order;
    near 0: unrelated). Magnitudes, as in Adebayo et al.: a random network's signs mean nothing.

    pandas' own rank correlation (tied pixels share their mean rank, as in scipy's spearmanr): scipy.stats
    cost the server 58 MB for this one number."""
    import pandas as pd

    a, b = np.abs(np.asarray(a, np.float64).ravel()), np.abs(np.asarray(b, np.float64).ravel())
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(pd.DataFrame({"a": a, "b": b}).corr(method="spearman").iloc[0, 1])


# the sanity check's thresholds: a trained map that ranks the pixels like the scrambled network's
# (above SAME) mostly redraws the picture; one unlike it (below DIFFERS) shows what the network learned
SAME, DIFFERS = 0.7, 0.3


def verdict(correlation: float) -> str:
    """What the sanity check says of a map, from its rank correlation with the scrambled network's:
    "same", "partly" or "differs" (the explain.check.* texts)."""
    if correlation > SAME:
        return "same"
    return "differs" if correlation < DIFFERS else "partly"


def signed(method: str) -> bool:
    """Whether a method's maps have a sign, evidence for and against the class (occlusion's); the
    others say only how much each place matters."""
    return method == "occlusion"


# ---------------------------------------------------------------- what the network finds alike


def features(model: nn.Module, meta: ModelMeta, images, batch_size: int = 500, progress=None) -> np.ndarray:
    """The penultimate features (the registry's feature_layer, which feeds the last Linear layer) of
    uint8 images (N, 28, 28)."""
    layer = MODELS[meta.model].feature_layer
    out = [
        y.flatten(1).float().cpu().numpy()
        for _, y in forward(
            model, images, meta.normalize, meta.pad, batch_size=batch_size, upto=layer, progress=progress
        )
    ]
    return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


class Neighbours:
    """The training digits nearest to a digit in the penultimate layer: its distance to every one of them
    (torch.cdist, computed directly, not through a matrix product that loses digits) and the k smallest.
    One digit against 60,000 takes milliseconds; scikit-learn's index brought scipy into the server, 75 MB
    for one page's neighbours."""

    def __init__(self, train_features: np.ndarray):
        self.features = torch.from_numpy(np.ascontiguousarray(train_features, np.float32))

    def nearest(self, feature: np.ndarray, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(indices into the training set, distances), nearest first."""
        q = torch.from_numpy(np.asarray(feature, np.float32).reshape(1, -1))
        with torch.no_grad():
            d = torch.cdist(q, self.features, compute_mode="donot_use_mm_for_euclid_dist")[0]
            dist, idx = d.topk(min(k, len(d)), largest=False)
        return idx.numpy(), dist.numpy()


def agreeing(neighbour_labels, answer: int) -> int:
    """How many of the nearest training digits have the class the network answered."""
    return int((np.asarray(neighbour_labels) == answer).sum())
