"""Test digits redrawn the way students' digits reach the model, to measure what the Draw page depends on.

Two styles, both made from MNIST test digits (so the true label is known), both passed through
`preprocess.prepare_digit` like a real drawing:

- canvas: white strokes on the Draw page's black 280x280 pad: thin and thick brushes, small and
  off-centre digits, a slant of up to 20 degrees, strokes broken by gaps;
- photo: dark ink on paper photographed in a room: uneven light, a shadow across the page, paper
  grain, a little blur, lower contrast.

Each call takes a seed; `tools/make_default_model.py` uses a fresh one each time it measures.
"""

from __future__ import annotations

import cv2
import numpy as np

from .preprocess import prepare_digit

STYLES = ("canvas", "photo")


def _place(digit: np.ndarray, rng: np.random.Generator, side: int, size_range: tuple[int, int]) -> np.ndarray:
    """The digit scaled to a random size, slanted, and put at a random place on a side x side field."""
    size = int(rng.integers(*size_range))
    big = cv2.resize(digit, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    slant = np.tan(np.radians(rng.uniform(-20, 20)))
    turn = rng.uniform(-10, 10)
    m = cv2.getRotationMatrix2D((size / 2, size / 2), turn, 1.0)
    m[0, 1] += slant  # a shear along x: how handwriting leans
    m[0, 2] -= slant * size / 2
    big = cv2.warpAffine(big, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    field = np.zeros((side, side), np.float32)
    x, y = (int(rng.integers(0, side - size + 1)) for _ in range(2))
    field[y : y + size, x : x + size] = big
    return field


def canvas_style(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 280x280 RGBA drawing, as the canvas sends it: white ink, black background."""
    size = int(rng.integers(90, 250))  # a small digit in a corner, up to one filling the pad
    ink = _place(digit, rng, 280, (size, size + 1)) >= 110  # where the student's pen went
    brush = int(rng.integers(-2 if size > 150 else 0, 7))  # thin pens (erode) to thick markers (dilate)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(brush) + 1, 2 * abs(brush) + 1))
    mask = ink.astype(np.uint8)
    if brush > 0:
        mask = cv2.dilate(mask, kernel)
    elif brush < 0:
        thinner = cv2.erode(mask, kernel)
        mask = thinner if thinner.sum() > 0.3 * mask.sum() else mask  # never erase the digit
    for _ in range(int(rng.integers(0, 3))):  # a pen lifted too early: short gaps across the strokes
        ys, xs = np.nonzero(mask)
        if len(xs):
            k = int(rng.integers(len(xs)))
            angle = rng.uniform(0, np.pi)
            dx, dy = size / 10 * np.cos(angle), size / 10 * np.sin(angle)
            cv2.line(
                mask, (int(xs[k] - dx), int(ys[k] - dy)), (int(xs[k] + dx), int(ys[k] + dy)), 0, max(2, size // 50)
            )
    grey = cv2.GaussianBlur(mask.astype(np.float32) * 255, (3, 3), 0)  # the canvas draws anti-aliased
    out = np.zeros((280, 280, 4), np.uint8)
    out[..., :3] = np.clip(grey, 0, 255).astype(np.uint8)[..., None]
    out[..., 3] = 255
    return out


def photo_style(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 300x400 RGB photo of the digit written in dark ink on paper, under uneven light."""
    h, w = 300, 400
    ink = _place(digit, rng, 280, (120, 260)) / 255
    page = np.zeros((h, w), np.float32)
    top, left = (h - 280) // 2, int(rng.integers(0, w - 280))
    page[top : top + 280, left : left + 280] = ink
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, 2)
    light = 0.78 + 0.18 * (gx * (xx / w - 0.5) + gy * (yy / h - 0.5))  # the lamp on one side
    edge = rng.uniform(0.2, 0.8) * w
    shadow = np.where(xx > edge + (yy - h / 2) * rng.uniform(-0.5, 0.5), rng.uniform(0.6, 0.9), 1.0)
    paper = light * cv2.GaussianBlur(shadow.astype(np.float32), (31, 31), 0)
    paper += rng.normal(0, 0.025, (h, w)).astype(np.float32)  # grain and sensor noise
    darkness = rng.uniform(0.55, 0.85)  # pencil to felt pen
    photo = paper * (1 - darkness * page)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.3, 1.2))
    tint = rng.uniform(0.9, 1.0, 3).astype(np.float32)  # warm or cold light
    rgb = np.clip(photo[..., None] * tint * 255, 0, 255).astype(np.uint8)
    return rgb


def redraw(images: np.ndarray, style: str, seed: int) -> list[np.ndarray]:
    """Each 28x28 digit redrawn in a style (see STYLES), with its own random pen, size and place."""
    rng = np.random.default_rng(seed)
    make = {"canvas": canvas_style, "photo": photo_style}[style]
    return [make(np.asarray(d, np.uint8), rng) for d in images]


def redrawn_accuracy(model, meta, images: np.ndarray, labels: np.ndarray, style: str, seed: int) -> float:
    """Accuracy on the digits redrawn in a style, through prepare_digit; a picture in which no digit is
    found counts as wrong (the student would see no answer)."""
    from .evaluate import predict_proba

    prepared = [prepare_digit(p).image for p in redraw(images, style, seed)]
    found = [i for i, p in enumerate(prepared) if p is not None]
    if not found:
        return 0.0
    probs = predict_proba(model, np.stack([prepared[i] for i in found]), meta.normalize, meta.pad)
    correct = int((probs.argmax(1) == np.asarray(labels)[found]).sum())
    return correct / len(labels)
