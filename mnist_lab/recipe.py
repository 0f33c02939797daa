"""The MNIST recipe (LeCun et al.), the end of both ways in (preprocess.py): the ink's bounding box scaled
to fit 20x20 with its aspect kept and anti-aliased grey levels, then placed in 28x28 with its centre of
mass at the centre. Also what a prepared digit is (`Prepared`) and the pictures it keeps for teaching."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

BOX = 20
STROKE_IN_BOX = 2.0  # thinnest stroke, in pixels of the 20x20 box (MNIST strokes are ~2-3 px)
# the pictures `Prepared.stages` may hold, in the order a page shows them
STAGES = ("grey", "background", "ink", "mask", "crop", "fitted")


@dataclass
class Prepared:
    """28x28 uint8 white-on-black digit, or None with a reason code (see REASONS)."""

    image: np.ndarray | None
    reason: str | None = None
    # the box cropped (x0, y0, x1, y1) in the input's pixels, exclusive: the ink's, plus what a thin pen grew
    box: tuple[int, int, int, int] | None = None
    stages: dict[str, np.ndarray] = field(default_factory=dict)  # intermediate pictures for teaching

    def shown_stages(self) -> list[tuple[str, np.ndarray]]:
        """The intermediate pictures a page shows, in the order of STAGES."""
        return [(k, self.stages[k]) for k in STAGES if k in self.stages]


def as_uint8(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected a grey, RGB or RGBA picture, got shape {img.shape}")
    if img.dtype != np.uint8:
        scale = 255.0 if img.size and np.nanmax(img) <= 1.0 else 1.0
        img = np.clip(np.nan_to_num(img.astype(np.float64)) * scale, 0, 255).astype(np.uint8)
    return img[..., 0] if img.ndim == 3 and img.shape[2] == 1 else img


def has_alpha(img: np.ndarray) -> bool:
    return img.ndim == 3 and img.shape[2] == 4 and int(img[..., 3].min()) < 255


def thickness(labels: np.ndarray, n: int) -> np.ndarray:
    """2 * area / boundary length of each labelled part (label 0 is the background): a stroke's width.
    Pixels on the picture's edge are not boundary (erosion's default border)."""
    m = (labels > 0).astype(np.uint8)
    edge = labels[(m - cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)))) > 0]
    area = np.bincount(labels.ravel(), minlength=n)
    return 2.0 * area / np.maximum(np.bincount(edge, minlength=n), 1)


def stroke_width_of_mask(mask: np.ndarray) -> float:
    """Stroke width of a binary mask, taken as one part."""
    return float(thickness(mask.astype(np.int32), 2)[1])


def _centre(fitted: np.ndarray) -> np.ndarray:
    """Paste into 28x28 with the centre of mass at (14, 14), shifting by whole pixels, never cutting ink."""
    h, w = fitted.shape
    ys, xs = np.mgrid[0:h, 0:w]
    mass = fitted.sum()
    cy, cx = (ys * fitted).sum() / mass, (xs * fitted).sum() / mass
    top = int(np.clip(round(14 - cy), 0, 28 - h))
    left = int(np.clip(round(14 - cx), 0, 28 - w))
    out = np.zeros((28, 28), np.float32)
    out[top : top + h, left : left + w] = fitted
    return out


def mnist_recipe(ink: np.ndarray, mask: np.ndarray, width: float) -> tuple[np.ndarray, tuple, dict]:
    """Crop the mask's box from the grey ink, fit it to 20x20 keeping the aspect, centre by mass."""
    x0, y0, bw, bh = cv2.boundingRect(mask.astype(np.uint8))
    x1, y1 = x0 + bw, y0 + bh
    scale = BOX / max(y1 - y0, x1 - x0)
    grow = max(0, int(np.ceil((STROKE_IN_BOX / scale - width) / 2)))
    if grow:  # a thin pen on a big picture: thicken, or the strokes fade away when shrunk to 20 px
        ink = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        y0, x0 = max(0, y0 - grow), max(0, x0 - grow)
        y1, x1 = min(ink.shape[0], y1 + grow), min(ink.shape[1], x1 + grow)
        scale = BOX / max(y1 - y0, x1 - x0)
    crop = ink[y0:y1, x0:x1]
    size = (max(1, min(BOX, round((x1 - x0) * scale))), max(1, min(BOX, round((y1 - y0) * scale))))
    fitted = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if fitted.max() <= 0:
        fitted = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    out = _centre(fitted / fitted.max())
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8), (x0, y0, x1, y1), {"crop": crop, "fitted": fitted}
