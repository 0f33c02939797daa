"""Robustness sweeps: change one thing about a digit step by step (turn, size, shift, stroke, noise)
and watch where the model's answer flips.

Everything here is numpy and cv2 on uint8 28x28 images; torch is imported only to predict.
A sweep is one batch of ~37 images: a few milliseconds for a LeNet-sized model on one thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

if TYPE_CHECKING:
    from .i18n import Translator

SIDE = 28
CENTRE = (SIDE - 1) / 2  # pixel centres run 0..27: turning and scaling about 13.5 keeps a digit in place


class SweepSpec(NamedTuple):
    """One transform: its range of values, the value that leaves a digit as it is, the default number
    of steps (chosen so the steps are round numbers: 5°, 1 px, 4 grey levels), and its unit."""

    low: float
    high: float
    identity: float
    steps: int
    unit: str
    decimals: int  # how many decimals a value is written with


SWEEPS: dict[str, SweepSpec] = {
    "rotate": SweepSpec(-90.0, 90.0, 0.0, 37, "degrees", 0),  # + turns anticlockwise, as in maths
    "scale": SweepSpec(0.4, 1.6, 1.0, 37, "times", 2),
    "shift_x": SweepSpec(-10.0, 10.0, 0.0, 21, "pixels", 0),  # + moves right
    "shift_y": SweepSpec(-10.0, 10.0, 0.0, 21, "pixels", 0),  # + moves down
    "thickness": SweepSpec(-2.0, 3.0, 0.0, 6, "pixels", 0),  # change of the stroke's width
    "noise": SweepSpec(0.0, 128.0, 0.0, 33, "grey levels", 0),  # sigma of Gaussian noise
}
KINDS = tuple(SWEEPS)
MIN_INK = 0.1  # thinning stops before a digit keeps less than this share of its bright pixels
MAX_CHAIN = 8  # stretches of one answer a summary writes out; noise can flip back and forth many times


def _spec(kind: str) -> SweepSpec:
    try:
        return SWEEPS[kind]
    except KeyError:
        raise ValueError(f"unknown transform {kind!r}; choose one of {', '.join(KINDS)}") from None


def _as_digit(img) -> np.ndarray:
    a = np.asarray(img)
    if a.shape != (SIDE, SIDE):
        raise ValueError(f"expected a 28x28 image, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float64)), 0, 255).astype(np.uint8)
    return a


def _affine(img: np.ndarray, angle: float = 0.0, scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    m = cv2.getRotationMatrix2D((CENTRE, CENTRE), angle, scale)
    m[:, 2] += (dx, dy)
    return cv2.warpAffine(img, m, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


_SQUARE2 = np.ones((2, 2), np.uint8)


def _stroke_levels(img: np.ndarray, low: int, high: int) -> dict[int, np.ndarray]:
    """The digit with its strokes 1 px thinner or thicker per step, from low to high (low <= 0 <= high).

    A 2x2 min/max widens or narrows a stroke by one pixel; alternating its anchor between steps keeps
    the digit where it was (a 3x3 step, two pixels at once, erased most MNIST strokes in two steps).
    Thinning stops at the last step that keeps MIN_INK of the digit's bright pixels: a sweep never
    wipes the digit out, thin strokes just stop getting thinner.
    """
    levels = {0: img}
    bright = max(1, int((img >= max(1, int(img.max()) // 2)).sum()))
    current = img
    for n in range(1, high + 1):
        current = cv2.dilate(current, _SQUARE2, anchor=(n % 2, n % 2))
        levels[n] = current
    current = img
    for n in range(1, -low + 1):
        thinner = cv2.erode(current, _SQUARE2, anchor=(n % 2, n % 2))
        if (thinner >= max(1, int(img.max()) // 2)).sum() >= MIN_INK * bright:
            current = thinner
        levels[-n] = current
    return levels


def _thickness(levels: dict[int, np.ndarray], value: float) -> np.ndarray:
    """Between two whole steps, a blend of both: the sweep changes smoothly for any number of steps."""
    n = int(np.floor(value))
    frac = float(value - n)
    if frac < 1e-6:
        return levels[n]
    mix = (1 - frac) * levels[n].astype(np.float32) + frac * levels[n + 1].astype(np.float32)
    return np.clip(np.rint(mix), 0, 255).astype(np.uint8)


def _noise_field(seed: int) -> np.ndarray:
    """One fixed pattern per seed: a sweep scales the same noise up, so its steps differ only in strength."""
    return np.random.default_rng(seed).standard_normal((SIDE, SIDE)).astype(np.float32)


def _noisy(img: np.ndarray, sigma: float, field: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img.astype(np.float32) + sigma * field), 0, 255).astype(np.uint8)


def transform(img, kind: str, value: float, seed: int = 0) -> np.ndarray:
    """A 28x28 uint8 digit changed by one transform (see SWEEPS); a new uint8 28x28 array.
    Values outside the transform's range are clipped to it."""
    spec = _spec(kind)
    img = _as_digit(img)
    v = float(np.clip(value, spec.low, spec.high))
    if kind == "rotate":
        return _affine(img, angle=v)
    if kind == "scale":
        return _affine(img, scale=v)
    if kind == "shift_x":
        return _affine(img, dx=v)
    if kind == "shift_y":
        return _affine(img, dy=v)
    if kind == "thickness":
        n = int(np.floor(v))
        return _thickness(_stroke_levels(img, min(n, 0), max(n + 1, 0)), v).copy()
    return _noisy(img, v, _noise_field(seed))


def sweep_values(kind: str, steps: int | None = None) -> np.ndarray:
    """The values of a sweep: `steps` evenly spaced over the transform's range (its default number if None)."""
    spec = _spec(kind)
    n = spec.steps if steps is None else max(2, int(steps))
    return np.linspace(spec.low, spec.high, n)


def sweep(img, kind: str, steps: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(values (S,), images (S, 28, 28) uint8): the digit transformed at each value of the sweep."""
    img = _as_digit(img)
    values = sweep_values(kind, steps)
    if kind == "thickness":
        spec = SWEEPS[kind]
        levels = _stroke_levels(img, int(spec.low), int(spec.high))
        levels[int(spec.high) + 1] = levels[int(spec.high)]  # the top value has no blend partner
        images = [_thickness(levels, v) for v in values]
    elif kind == "noise":
        field = _noise_field(seed)
        images = [_noisy(img, v, field) for v in values]
    else:
        images = [transform(img, kind, v) for v in values]
    return values, np.stack(images).astype(np.uint8, copy=False)


def flips(probs) -> list[tuple[int, int, int]]:
    """Where the answer changes along a sweep: (index, from_class, to_class) for every index i whose
    argmax differs from that of i - 1."""
    p = np.asarray(probs)
    if p.ndim != 2 or len(p) == 0:
        return []
    answer = p.argmax(axis=1)
    return [(int(i), int(answer[i - 1]), int(answer[i])) for i in np.flatnonzero(answer[1:] != answer[:-1]) + 1]


def segments(values, probs) -> list[tuple[int, float, float]]:
    """The sweep in stretches of one answer: (class, first value, last value), in order."""
    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(probs)
    if len(p) == 0:
        return []
    answer = p.argmax(axis=1)
    starts = [0] + [i for i, _, _ in flips(p)]
    ends = [*starts[1:], len(p)]
    return [(int(answer[s]), float(x[s]), float(x[e - 1])) for s, e in zip(starts, ends)]


def strip_indices(n: int, most: int = 13) -> list[int]:
    """Evenly spaced steps to show as pictures, first and last included: every k-th, with k the smallest
    whole step that keeps them to `most` (37 steps of 5° -> every 15°), else nearly even."""
    if n <= most:
        return list(range(n))
    k = next(k for k in range(1, n) if (n - 1) % k == 0 and (n - 1) // k < most)
    if (n - 1) // k >= most // 2:
        return list(range(0, n, k))
    return sorted({round(i) for i in np.linspace(0, n - 1, most)})  # no even spacing fits: nearly even


def value_text(kind: str, value: float) -> str:
    """A value as the page writes it (no unit): '-45', '1.20' (never '-0')."""
    d = _spec(kind).decimals
    return f"{round(float(value), d) + 0.0:.{d}f}"


def value_label(kind: str, value: float, tr: Translator) -> str:
    """A value with its unit, in the reader's language: '-45°', '×1.20', 'σ 0.30'."""
    return tr(f"robust.value.{kind}", v=value_text(kind, value))


def summary(values, probs, kind: str, class_names: list[str], tr: Translator, most: int = MAX_CHAIN) -> str:
    """'7 (−90° to 35°) → 1 (40° to 90°)' in words: the stretches of one answer, left to right (the
    first `most` of them)."""
    parts = segments(values, probs)
    said = [dict(cls=class_names[c], start=value_label(kind, a, tr), end=value_label(kind, b, tr)) for c, a, b in parts]
    if len(parts) == 1:
        return tr("robust.steady", **said[0])
    # a stretch of one step is one value: "1 (-90°)", not "1 (-90° to -90°)"
    chain = " → ".join(
        tr("robust.segment_one", cls=s["cls"], at=s["start"]) if s["start"] == s["end"] else tr("robust.segment", **s)
        for s in said[:most]
    ) + (" → …" if len(parts) > most else "")
    return tr("robust.flipped", n=len(parts) - 1, chain=chain)


def sweep_probabilities(model, meta, img, kind: str, steps: int | None = None, seed: int = 0) -> np.ndarray:
    """(S, classes) probabilities of the model (a ModelMeta says how its inputs are normalised and
    padded) for every step of the sweep, predicted in one batch."""
    from .evaluate import predict_proba

    _, images = sweep(img, kind, steps, seed)
    return predict_proba(model, images, meta.normalize, meta.pad, batch_size=len(images))
