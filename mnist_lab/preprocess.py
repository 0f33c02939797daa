"""Turn a drawn or photographed digit into a 28x28 MNIST-style image.

MNIST digits were made like this: the ink's bounding box scaled to fit 20x20 (aspect kept,
anti-aliased), then placed in a 28x28 field so that the centre of mass sits at the centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .images import to_gray

# why no digit came out; the catalog says each in words (`reason.blank`, ...)
REASONS = ("blank", "noise")
WORK_SIDE = 1024  # larger pictures are shrunk first (speed)
MIN_CONTRAST = 0.1  # ink must differ from the background by ~25 grey levels
MIN_STRUCTURE = 0.3  # neighbouring ink pixels must correlate (noise does not)
STROKE_IN_BOX = 2.0  # thinnest stroke, in pixels of the 20x20 box (MNIST strokes are ~2-3 px)


@dataclass
class Prepared:
    """28x28 uint8 white-on-black digit, or None with a reason code (see REASONS)."""

    image: np.ndarray | None
    reason: str | None = None
    box: tuple[int, int, int, int] | None = None  # ink box (x0, y0, x1, y1) in the input, exclusive
    stages: dict[str, np.ndarray] = field(default_factory=dict)  # intermediate pictures for teaching


def _to_gray(img: np.ndarray) -> np.ndarray | None:
    """Grey float 0..1; transparent pixels become the colour opposite the strokes. None if all transparent."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        scale = 255.0 if img.size and np.nanmax(img) <= 1.0 else 1.0
        img = np.clip(np.nan_to_num(img.astype(np.float64)) * scale, 0, 255).astype(np.uint8)
    gray = to_gray(img) / 255
    if img.ndim == 2 or img.shape[2] != 4:
        return gray
    alpha = img[..., 3].astype(np.float32) / 255
    if alpha.min() >= 1.0:
        return gray
    if alpha.max() == 0:
        return None
    stroke = float((gray * alpha).sum() / alpha.sum())  # mean colour of what was drawn
    backdrop = 0.0 if stroke >= 0.5 else 1.0
    return gray * alpha + backdrop * (1 - alpha)


def _frame(gray: np.ndarray) -> np.ndarray:
    """The pixels along the picture's edge, which is mostly background."""
    b = max(1, min(gray.shape) // 20)
    return np.concatenate([gray[:b].ravel(), gray[-b:].ravel(), gray[:, :b].ravel(), gray[:, -b:].ravel()])


def _dark_ink(gray: np.ndarray, frame: np.ndarray, even: bool) -> bool:
    """Whether the ink is darker than what is around it (paper) or brighter (the Draw page's pad).

    On an even backdrop, the ink is the extreme of the picture furthest from the backdrop. On an
    uneven one (a photo half in shadow, whose edge is no single level), each pixel is compared with
    the median of its neighbourhood instead, which is the background wherever ink covers less than
    half of it and which keeps a shadow's sharp edge: the ink is the side that strays furthest.
    """
    if even:
        level = float(np.median(frame))
        lo, hi = np.percentile(gray, [0.5, 99.5])
        return level - lo > hi - level
    f = 128 / max(gray.shape)
    small = gray if f >= 1 else cv2.resize(gray, (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f))),
                                           interpolation=cv2.INTER_AREA)  # fmt: skip
    k = max(3, min(small.shape) // 4 | 1)
    background = cv2.medianBlur(np.rint(small * 255).astype(np.uint8), k).astype(np.float32) / 255
    stray = small - background
    return float(np.percentile(-stray, 99.5)) > float(np.percentile(stray, 99.5))


def _ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink as bright values on a zero background: fix polarity, then subtract the (uneven) background."""
    frame = _frame(gray)
    lo, hi = np.percentile(frame, [5, 95])
    even = hi - lo <= 0.01  # the Draw page's pad, a scan: no lighting to remove
    if _dark_ink(gray, frame, even):
        gray, frame = 1.0 - gray, 1.0 - frame
    small = min(gray.shape)
    if small >= 64 and not even:
        k = small // 5 | 1  # wider than any stroke: an opening erases strokes, keeps lighting
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
        opened = cv2.morphologyEx(gray, cv2.MORPH_OPEN, kernel)
        # smoothed, but never below the opening: a plain blur smeared a shadow's sharp edge into ink
        background = np.maximum(cv2.blur(opened, (k // 4 | 1, k // 4 | 1)), opened)
        background = np.minimum(background, gray)
    else:
        background = np.full_like(gray, np.median(frame) if small >= 64 else np.median(gray))
    return np.clip(gray - background, 0, 1)


def _structure(ink: np.ndarray) -> float:
    """Largest correlation of the ink with itself shifted by one pixel (~0 for noise, high for strokes)."""
    pairs = [(ink[:, :-1], ink[:, 1:]), (ink[:-1], ink[1:]), (ink[:-1, :-1], ink[1:, 1:]), (ink[:-1, 1:], ink[1:, :-1])]
    best = 0.0
    for a, b in pairs:
        if not a.size:
            continue
        a = (a - a.mean()).ravel()
        b = (b - b.mean()).ravel()
        norm = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))  # Pearson's r, without corrcoef's copies
        if norm > 0:
            best = max(best, float(np.dot(a, b)) / norm)
    return best


def _otsu(values: np.ndarray) -> float:
    """Otsu threshold of values in 0..1."""
    t, _ = cv2.threshold((values * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return t / 255


def _keep_main_parts(mask: np.ndarray) -> np.ndarray:
    """Drop specks: keep connected parts at least 5% the size of the largest one."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= max(2, 0.05 * areas.max())) + 1
    return np.isin(labels, keep)


def _stroke_width(mask: np.ndarray) -> float:
    """Rough stroke width: 2 * area / boundary length."""
    m = mask.astype(np.uint8)
    inner = cv2.erode(
        m, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)), borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    boundary = int(m.sum()) - int(inner.sum())
    return 2.0 * m.sum() / max(boundary, 1)


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


def prepare_digit(img: np.ndarray) -> Prepared:
    """Any size grey/RGB/RGBA picture of one digit -> Prepared 28x28 white-on-black, MNIST style."""
    gray = _to_gray(img)
    if gray is None or gray.size == 0:
        return Prepared(None, "blank")
    h0, w0 = gray.shape
    factor = min(1.0, WORK_SIDE / max(h0, w0))
    if factor < 1.0:
        gray = cv2.resize(gray, (max(1, round(w0 * factor)), max(1, round(h0 * factor))), interpolation=cv2.INTER_AREA)
    ink = _ink_map(gray)
    stages = {"ink": ink}
    contrast = float(cv2.blur(ink, (3, 3)).max()) if min(ink.shape) >= 3 else float(ink.max())
    if contrast < MIN_CONTRAST:
        return Prepared(None, "blank", stages=stages)
    if _structure(ink) < MIN_STRUCTURE:
        return Prepared(None, "noise", stages=stages)

    ink = np.clip(ink / contrast, 0, 1)
    threshold = max(_otsu(ink), 0.2)
    mask = _keep_main_parts(ink >= threshold)
    if not mask.any():
        return Prepared(None, "blank", stages=stages)
    near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    soft = np.where(near, np.clip((ink - threshold / 2) / (1 - threshold / 2), 0, 1), 0).astype(np.float32)

    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    scale = 20.0 / max(y1 - y0, x1 - x0)
    grow = max(0, int(np.ceil((STROKE_IN_BOX / scale - _stroke_width(mask[y0:y1, x0:x1])) / 2)))
    if grow:  # thin pen on a big picture: thicken so strokes survive shrinking to 20 px
        soft = cv2.dilate(soft, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        y0, x0 = max(0, y0 - grow), max(0, x0 - grow)
        y1, x1 = min(soft.shape[0], y1 + grow), min(soft.shape[1], x1 + grow)
        scale = 20.0 / max(y1 - y0, x1 - x0)
    crop = soft[y0:y1, x0:x1]
    size = (max(1, min(20, round((x1 - x0) * scale))), max(1, min(20, round((y1 - y0) * scale))))
    fitted = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = _centre(fitted / fitted.max())
    image = np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
    box = (int(x0 / factor), int(y0 / factor), min(w0, int(np.ceil(x1 / factor))), min(h0, int(np.ceil(y1 / factor))))
    stages.update(crop=crop, fitted=fitted)
    return Prepared(image, None, box, stages)
