"""What the Draw page's pad sends when the pen lifts, read back into a picture for `prepare_digit(..., "pad")`.

The pad (ui/pad/pad.js) sends the ink alone: its strokes drawn again white on black, cropped to their box
and at most SEND pixels on the long side, as a grey PNG data URL, with the box in pad units (the pad is
PAD units wide whatever its size on screen). A pad never drawn on sends nothing (None); one emptied by undo or
clear sends no picture.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import numpy as np

from .images import ImageError, decode_image

PAD = 400  # the pad's side in the units its strokes and box are given in
SEND = 112  # the long side of the picture it sends (pad.js: SEND)
_PREFIX = "data:image/png;base64,"
# a 112x112 PNG is a few KB; anything far bigger did not come from the pad
_MAX_CHARS = 200_000


@dataclass(frozen=True)
class Ink:
    picture: np.ndarray | None  # uint8 grey, white ink on black, the ink's box only; None once emptied
    box: tuple[int, int, int, int]  # x, y, width, height on the pad, in pad units
    strokes: int  # how many strokes are on the pad
    n: int  # the pad's message number (a clock): a new number is a new drawing


def read_ink(message) -> Ink | None:
    """The pad's message -> Ink (its picture None once emptied); None when never drawn on. Raises ImageError
    for anything the pad does not send."""
    if message is None:
        return None
    if not isinstance(message, dict):
        raise ImageError("error.image.damaged")
    png = message.get("png")
    if png is None and message.get("strokes") == 0:
        return Ink(None, (0, 0, 0, 0), 0, _int(message.get("n")))
    if not isinstance(png, str) or not png.startswith(_PREFIX) or len(png) > _MAX_CHARS:
        raise ImageError("error.image.damaged")
    try:
        data = base64.b64decode(png[len(_PREFIX) :], validate=True)
        box = tuple(int(v) for v in message.get("box", ()))
        strokes, n = int(message.get("strokes", 1)), int(message.get("n", 0))
    except (binascii.Error, TypeError, ValueError):
        raise ImageError("error.image.damaged") from None
    if len(box) != 4:
        raise ImageError("error.image.damaged")
    picture = decode_image(data, "L")
    if max(picture.shape) > SEND + 2:
        raise ImageError("error.image.damaged")
    return Ink(picture, box, strokes, n)


def _int(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ImageError("error.image.damaged") from None


def message_for(sheet: np.ndarray, n: int = 1, strokes: int = 1) -> dict | None:
    """What the pad sends for a drawing (grey or RGBA, white ink on black, PAD x PAD or any square size):
    the same crop and size as pad.js, done with OpenCV. For tests and benchmarks; the browser does its own."""
    import cv2

    from .preprocess import pad_ink
    from .recipe import as_uint8

    ink = np.rint(pad_ink(as_uint8(sheet)) * 255).astype(np.uint8)  # as the pad path reads a sheet
    ys, xs = np.nonzero(ink)
    if not len(xs):
        return None
    k = PAD / max(ink.shape)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    crop = ink[y0:y1, x0:x1]
    scale = min(1.0, SEND / (max(crop.shape) * k))
    size = (max(1, round(crop.shape[1] * k * scale)), max(1, round(crop.shape[0] * k * scale)))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    png = cv2.imencode(".png", crop)[1].tobytes()
    box = [int(x0 * k), int(y0 * k), round((x1 - x0) * k), round((y1 - y0) * k)]
    return {"png": _PREFIX + base64.b64encode(png).decode(), "box": box, "pad": PAD, "strokes": strokes, "n": n}
