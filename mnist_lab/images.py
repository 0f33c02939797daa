"""Safe decoding of untrusted uploaded image bytes into numpy arrays."""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000
MAX_SIDE = 8000

_SIXTEEN_BIT = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
                Image.DecompressionBombError)


class ImageError(ValueError):
    """An upload that cannot be used as an image; str(e) is a one-line user message."""


def _open(data: bytes) -> Image.Image:
    """Read only the header, refusing empty, unknown and oversized images."""
    if not data:
        raise ImageError("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageError(f"The image is too large; the limit is {MAX_PIXELS:,} pixels.") from None
    except (UnidentifiedImageError, *_READ_ERRORS):
        raise ImageError("This file is not an image we can read (try PNG, JPEG, GIF, BMP or WebP).") from None
    w, h = im.size
    if w < 1 or h < 1:
        raise ImageError("The image has no pixels.")
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise ImageError(f"The image is too large ({w}×{h}); the limit is {MAX_SIDE} pixels a side "
                         f"and {MAX_PIXELS:,} pixels in all.")
    return im


def _flatten(im: Image.Image, mode: str) -> Image.Image:
    """Convert any PIL mode to L or RGB, compositing transparency on white."""
    if im.mode in _SIXTEEN_BIT:
        arr = np.asarray(im, dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L").convert(mode)
    if im.mode == "F":
        arr = np.nan_to_num(np.asarray(im, dtype=np.float64))
        if arr.size and arr.max() <= 1.0:
            arr = arr * 255.0
        return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L").convert(mode)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if mode == "RGBA":
        return im.convert("RGBA")
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert(mode)
    return im.convert(mode)


def decode_image(data: bytes, mode: str = "L") -> np.ndarray:
    """Decode untrusted bytes to uint8 HxW ("L"), HxWx3 ("RGB") or HxWx4 ("RGBA"); raises ImageError."""
    if mode not in ("L", "RGB", "RGBA"):
        raise ValueError(f"mode must be 'L', 'RGB' or 'RGBA', not {mode!r}")
    im = _open(data)
    try:
        im.seek(0)  # first frame of an animation
        im.load()
        im = ImageOps.exif_transpose(im)
        out = np.asarray(_flatten(im, mode), dtype=np.uint8)
    except ImageError:
        raise
    except _READ_ERRORS:
        raise ImageError("The image file is damaged or incomplete.") from None
    return np.ascontiguousarray(out)
