"""A drawing or a photo into the class's set: what is kept of the picture, and one save per drawing.

The model's answer and confidence are kept as they were when the student pressed Add, so a later
look at the set can tell "the model got it wrong then" from "the model gets it wrong now".
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from ..images import to_gray
from ..recipe import Prepared, as_uint8, has_alpha
from .store import DigitStore, png

MAX_SIDE = 280  # a kept picture is at most this big: a phone photo's crop would otherwise be megabytes
MARGIN = 0.08  # a little room around the ink, as a fraction of the box's longer side


def drawing_key(image: np.ndarray) -> str:
    """A short name for one drawing (its 28x28): the same drawing gives the same key, so a second click
    on Add for it can be told from a new drawing."""
    return hashlib.sha1(np.ascontiguousarray(image, np.uint8).tobytes()).hexdigest()[:16]


def keepsake(picture: np.ndarray, box: tuple[int, int, int, int] | None, source: str) -> bytes:
    """The student's own picture cropped to the digit, as PNG. The pad's strokes are kept as white ink on
    black (its transparent background would vanish on a white page); a photo keeps its colours."""
    img = as_uint8(picture)
    h, w = img.shape[:2]
    if box is not None:
        x0, y0, x1, y1 = box
        m = round(MARGIN * max(x1 - x0, y1 - y0))
        x0, y0, x1, y1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        if x1 > x0 and y1 > y0:
            img = img[y0:y1, x0:x1]
    if source == "pad":
        img = img[..., 3] if has_alpha(img) else to_gray(img)
    elif img.ndim == 3:  # PNG wants OpenCV's channel order
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA if img.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    scale = MAX_SIDE / max(img.shape[:2])
    if scale < 1:
        size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return png(img)


def add_drawing(
    store: DigitStore,
    *,
    picture: np.ndarray,
    prepared: Prepared,
    source: str,
    label: int,
    probs: np.ndarray | None = None,
    student: str | None = None,
    model: str | None = None,
) -> int:
    """Store one prepared drawing (pad) or photo with the label the student gave and what the model
    answered (its probabilities, if a model answered); returns the digit's id. DigitsError when refused."""
    answer = confidence = None
    if probs is not None:
        answer = int(np.argmax(probs))
        confidence = min(1.0, max(0.0, float(probs[answer])))  # float32 rounding may pass 1 by a hair
    return store.add(
        label=label,
        image=prepared.image,
        picture=keepsake(picture, prepared.box, source),
        student=student,
        source=source,
        model=model,
        answer=answer,
        confidence=confidence,
    )
