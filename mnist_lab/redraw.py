"""Test digits redrawn the way students' digits reach the lab, to measure what the Draw page depends on.

Every picture is made from an MNIST test digit (so the true label is known) by taking its centre line
(skeleton) and drawing it again with a pen of a chosen width, size, slant and place, then putting it
where a student's digit would be:

- pad conditions: white strokes on the Draw page's black 280x280 pad, as the pad sends them (opaque,
  or ink in the alpha channel);
- photo conditions: dark ink on paper in a room (or chalk on a board), each condition stressing one
  thing a camera meets: a thick marker, a thin pen, light from one side, uneven light, a shadow's
  edge, grain, blur, low contrast, a tilted page with the table around it.

`redraw(images, condition, seed)` makes a set; `CONDITIONS` names them, and `SOURCE` says through
which path of `preprocess.prepare_digit` each goes. The UCI optical digits (real handwriting by 43
people, shipped inside scikit-learn) are made into scans by `uci_scans`.
"""

from __future__ import annotations

import cv2
import numpy as np

from .preprocess import prepare_digit

PAD = 280
PAD_CONDITIONS = ("pad", "pad_bold", "pad_small", "pad_own_size")
PHOTO_CONDITIONS = (
    "marker",
    "thin_pen",
    "side_light",
    "uneven_light",
    "shadow",
    "grain",
    "blur",
    "low_contrast",
    "tilted",
    "chalk",
)
CONDITIONS = PAD_CONDITIONS + PHOTO_CONDITIONS
SOURCE = dict.fromkeys(PAD_CONDITIONS, "pad") | dict.fromkeys(PHOTO_CONDITIONS, "photo")
# the shipped model's card quotes one figure per source, over a mix of its conditions
STYLES = {"canvas": ("pad", "pad_bold", "pad_small"), "photo": PHOTO_CONDITIONS}


def _centre_line(digit: np.ndarray, size: int, rng: np.random.Generator, lean: float = 20) -> np.ndarray:
    """The digit's skeleton at `size` px tall, slanted and turned a little, on a field with a margin."""
    from skimage.morphology import skeletonize  # the test and bench extras; the app never draws

    big = cv2.resize(digit, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    margin = size // 3
    big = cv2.copyMakeBorder(big, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)
    side = big.shape[0]
    slant = np.tan(np.radians(rng.uniform(-lean, lean)))
    m = cv2.getRotationMatrix2D((side / 2, side / 2), rng.uniform(-10, 10), 1.0)
    m[0, 1] += slant  # a shear along x: how handwriting leans
    m[0, 2] -= slant * side / 2
    big = cv2.warpAffine(big, m, (side, side), flags=cv2.INTER_LINEAR, borderValue=0)
    return skeletonize(big >= 100)


def _stroke(line: np.ndarray, width: float) -> np.ndarray:
    """Ink 0..1 of a round pen of `width` px drawn along the centre line, with anti-aliased edges."""
    dist = cv2.distanceTransform((~line).astype(np.uint8), cv2.DIST_L2, 5)
    return np.clip(width / 2 + 0.5 - dist, 0, 1).astype(np.float32)


def _tight(ink: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(ink > 0)
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _paste(ink: np.ndarray, h: int, w: int, rng: np.random.Generator, overhang: int = 0) -> np.ndarray:
    """The ink at a random place on an h x w field; up to `overhang` px of it may fall off an edge."""
    ih, iw = ink.shape
    field = np.zeros((h + 2 * overhang + ih, w + 2 * overhang + iw), np.float32)
    y = int(rng.integers(0, max(1, h + 2 * overhang - ih + 1)))
    x = int(rng.integers(0, max(1, w + 2 * overhang - iw + 1)))
    field[y : y + ih, x : x + iw] = ink
    return field[overhang : overhang + h, overhang : overhang + w]


def _pen_digit(digit: np.ndarray, rng: np.random.Generator, size: int, width: float) -> np.ndarray:
    return _tight(_stroke(_centre_line(digit, size, rng), width))


def _as_pad(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """RGBA as a pad sends it: white on opaque black, or white ink whose alpha is the coverage."""
    out = np.zeros((*ink.shape, 4), np.uint8)
    grey = np.rint(ink * 255).astype(np.uint8)
    if rng.random() < 0.5:
        out[..., :3], out[..., 3] = grey[..., None], 255
    else:
        out[..., :3], out[..., 3] = 255, grey
    return out


def pad_drawing(digit: np.ndarray, rng: np.random.Generator, condition: str = "pad") -> np.ndarray:
    """A 280x280 RGBA pad drawing of the digit."""
    if condition == "pad_own_size":  # the 28x28 digit itself, unscaled, somewhere on the pad
        return _as_pad(_paste(digit.astype(np.float32) / 255, PAD, PAD, rng), rng)
    if condition == "pad_bold":  # a thick brush, the digit filling the pad and touching its edges
        size = int(rng.integers(250, 300))
        ink = _pen_digit(digit, rng, size, rng.uniform(0.12, 0.2) * size)
        return _as_pad(_paste(ink, PAD, PAD, rng, overhang=int(rng.integers(0, 6))), rng)
    if condition == "pad_small":
        size = int(rng.integers(40, 90))
        ink = _pen_digit(digit, rng, size, rng.uniform(4, 10))
    else:
        size = int(rng.integers(90, 260))
        ink = _pen_digit(digit, rng, size, rng.uniform(6, min(40, size / 5)))
    return _as_pad(_paste(ink, PAD, PAD, rng), rng)


def _light(h: int, w: int, rng: np.random.Generator, strength: float) -> np.ndarray:
    """A lamp on one side: a linear ramp of the given strength in a random direction."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * (xx / w - 0.5) + np.sin(angle) * (yy / h - 0.5)) / 0.7
    return 1 - strength * (ramp + 0.5).clip(0, 1)


def photo(digit: np.ndarray, rng: np.random.Generator, condition: str = "thin_pen") -> np.ndarray:
    """A 360x480 three-channel photo (as OpenCV decodes a JPEG) of the digit on paper, stressing one condition."""
    h, w = 360, 480
    size = int(rng.integers(140, 300))
    width = {"marker": rng.uniform(0.08, 0.15) * size, "thin_pen": rng.uniform(1.5, 3.5)}.get(
        condition, rng.uniform(2.5, 0.05 * size + 2.5)
    )
    ink = _paste(_pen_digit(digit, rng, size, width), h, w, rng)
    paper = np.full((h, w), rng.uniform(0.75, 0.95), np.float32)
    paper *= _light(h, w, rng, 0.65 if condition == "side_light" else rng.uniform(0, 0.2))
    if condition == "uneven_light":  # a lamp close by and a reflection: light in patches
        blobs = cv2.GaussianBlur(rng.uniform(0, 1, (h // 40, w // 40)).astype(np.float32), (0, 0), 1)
        paper *= 0.55 + 0.45 * cv2.resize((blobs - blobs.min()) / np.ptp(blobs), (w, h), interpolation=cv2.INTER_CUBIC)
    if condition == "shadow":  # a hand or a phone between the lamp and the page: a hard slanted edge
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        edge = rng.uniform(0.25, 0.75) * w + (yy - h / 2) * rng.uniform(-0.6, 0.6)
        side = xx > edge if rng.random() < 0.5 else xx < edge
        paper *= cv2.GaussianBlur(np.where(side, rng.uniform(0.35, 0.65), 1.0).astype(np.float32), (0, 0), 1.5)
    darkness = rng.uniform(0.15, 0.3) if condition == "low_contrast" else rng.uniform(0.55, 0.9)
    if condition == "chalk":  # light ink on a dark board
        board = np.full((h, w), rng.uniform(0.12, 0.3), np.float32) * _light(h, w, rng, rng.uniform(0, 0.3))
        page = board + darkness * 0.8 * ink
    else:
        page = paper * (1 - darkness * ink)
    if condition == "tilted":  # the page held at an angle, the table around it
        table = rng.uniform(0.1, 0.45)
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        jitter = rng.uniform(0.03, 0.14, (4, 2)) * [w, h]
        dst = np.float32([[jitter[0, 0], jitter[0, 1]], [w - jitter[1, 0], jitter[1, 1]],
                          [w - jitter[2, 0], h - jitter[2, 1]], [jitter[3, 0], h - jitter[3, 1]]])  # fmt: skip
        page = cv2.warpPerspective(page, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=table)
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(1.8, 3.0) if condition == "blur" else rng.uniform(0.3, 0.9))
    grain = rng.uniform(0.04, 0.07) if condition == "grain" else rng.uniform(0.005, 0.02)
    page = page + rng.normal(0, grain, (h, w)).astype(np.float32)
    tint = rng.uniform(0.88, 1.0, 3).astype(np.float32)  # warm or cold light
    rgb = np.clip(page[..., None] * tint * 255, 0, 255).astype(np.uint8)
    _ok, jpeg = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 95))])  # a phone's file
    return cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED)


# ---------------------------------------------------------------- named hard cases (the floors and the bench)


# each as strokes: ("ellipse", centre, axes, start angle, end angle) or ("line", from, to)
BOLD_ON_PAD = {
    0: [("ellipse", (140, 140), (108, 125), 0, 360)],
    9: [("ellipse", (140, 90), (100, 80), 0, 360), ("line", (240, 90), (220, 280))],
    # a 3 whose bows run off the pad's top, right and bottom edges
    3: [("ellipse", (130, 70), (130, 75), -180, 90), ("ellipse", (130, 210), (140, 80), -90, 180)],
}
MARKER_ON_PAGE = {
    0: [("ellipse", (200, 150), (53, 100), 0, 360)],
    8: [("ellipse", (200, 94), (39, 45), 0, 360), ("ellipse", (200, 200), (49, 57), 0, 360)],
    9: [("ellipse", (194, 94), (50, 50), 0, 360), ("line", (244, 94), (231, 262))],
}


def _draw(canvas: np.ndarray, strokes: list, value: float, width: int) -> np.ndarray:
    for kind, *args in strokes:
        if kind == "ellipse":
            centre, axes, start, end = args
            cv2.ellipse(canvas, centre, axes, 0, start, end, value, width, cv2.LINE_AA)
        else:
            cv2.line(canvas, *args, value, width, cv2.LINE_AA)
    return canvas


def bold_on_pad(label: int) -> np.ndarray:
    """A digit (0, 3 or 9) drawn with a 44 px brush, as large as the pad, its strokes touching the
    pad's edges; opaque RGBA, as the pad sends it."""
    c = _draw(np.zeros((280, 280), np.uint8), BOLD_ON_PAD[label], 255, 44)
    return np.dstack([c, c, c, np.full_like(c, 255)])


def marker_photo(label: int) -> np.ndarray:
    """A 400x300 photo of a digit (0, 8 or 9) written with a thick marker (43 px), on a page lit from
    the right."""
    ink = _draw(np.zeros((300, 400), np.float32), MARKER_ON_PAGE[label], 1.0, 43)
    _ys, xs = np.mgrid[0:300, 0:400]
    paper = 60 + 180 * xs / 400 + np.random.default_rng(label).normal(0, 3, (300, 400))
    photo = np.clip(paper * (1 - 0.75 * ink), 0, 255).astype(np.uint8)
    return np.repeat(photo[..., None], 3, axis=2)


def redraw(images: np.ndarray, condition: str, seed: int) -> list[np.ndarray]:
    """Each 28x28 digit redrawn in a condition (see CONDITIONS), or in a card style (see STYLES: each
    digit in one of the style's conditions, drawn at random), with its own random pen, size and place."""
    rng = np.random.default_rng(seed)
    out = []
    for d in images:
        c = STYLES[condition][int(rng.integers(len(STYLES[condition])))] if condition in STYLES else condition
        make = pad_drawing if SOURCE[c] == "pad" else photo
        out.append(make(np.asarray(d, np.uint8), rng, c))
    return out


def source_of(condition: str) -> str:
    """Which path of prepare_digit a condition or card style goes through."""
    return SOURCE[STYLES[condition][0]] if condition in STYLES else SOURCE[condition]


def uci_scans(scale: int, dark_on_light: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """The UCI optical digits (1,797 digits by 43 writers, 8x8, 0-16) scaled `scale` times (cubic) as
    coarse scans, light on dark as the set stores them (or dark on light), with their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pictures = []
    for d in digits.images:
        big = cv2.resize((d / 16 * 255).astype(np.float32), (8 * scale, 8 * scale), interpolation=cv2.INTER_CUBIC)
        big = np.clip(np.rint(big), 0, 255).astype(np.uint8)
        pictures.append(255 - big if dark_on_light else big)
    return pictures, digits.target


def score(model, meta, images: list[np.ndarray | None], labels: np.ndarray) -> float:
    """Accuracy of the model on 28x28 images; a picture in which no digit was found (None) counts as
    wrong (the student would see no answer)."""
    from .evaluate import predict_proba

    found = [i for i, im in enumerate(images) if im is not None]
    if not found:
        return 0.0
    probs = predict_proba(model, np.stack([images[i] for i in found]), meta.normalize, meta.pad)
    return int((probs.argmax(1) == np.asarray(labels)[found]).sum()) / len(labels)


def accuracy_on(model, meta, pictures: list[np.ndarray], labels: np.ndarray, source: str) -> float:
    """Accuracy through prepare_digit's path for `source`."""
    return score(model, meta, [prepare_digit(p, source).image for p in pictures], labels)


def redrawn_accuracy(model, meta, images: np.ndarray, labels: np.ndarray, condition: str, seed: int) -> float:
    """Accuracy on the digits redrawn in a condition or card style, through the matching path."""
    return accuracy_on(model, meta, redraw(images, condition, seed), labels, source_of(condition))
