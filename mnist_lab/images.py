"""Pictures: safe decoding of untrusted uploaded bytes into numpy arrays, grey and smaller copies."""

from __future__ import annotations

import io
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import LabError

MAX_PIXELS = 40_000_000
MAX_SIDE = 8000

_SIXTEEN_BIT = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
_READ_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    Image.DecompressionBombError,
)


class ImageError(LabError, ValueError):
    """An upload that cannot be used as an image."""


def _open(data: bytes) -> Image.Image:
    """Read only the header, refusing empty, unknown and oversized images."""
    if not data:
        raise ImageError("error.image.empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageError("error.image.bomb", limit=f"{MAX_PIXELS:,}") from None
    except (UnidentifiedImageError, *_READ_ERRORS):
        raise ImageError("error.image.unknown") from None
    w, h = im.size
    if w < 1 or h < 1:
        raise ImageError("error.image.no_pixels")
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise ImageError("error.image.too_large", w=w, h=h, side=MAX_SIDE, limit=f"{MAX_PIXELS:,}")
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
        raise ImageError("error.image.damaged") from None
    return np.ascontiguousarray(out)


def to_gray(img: np.ndarray) -> np.ndarray:
    """Grey float32 0..255 of a grey, RGB or RGBA uint8 picture (ITU-R 601 weights, as cv2 and PIL use;
    alpha is ignored)."""
    img = np.asarray(img)
    if img.ndim == 2:
        return img.astype(np.float32)
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0].astype(np.float32)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected HxW, HxWx3 or HxWx4 image, got shape {img.shape}")
    return cv2.cvtColor(np.ascontiguousarray(img[..., :3], dtype=np.float32), cv2.COLOR_RGB2GRAY)


def grey_if_grey(img: np.ndarray) -> np.ndarray:
    """A colour picture whose three channels are equal (a grey picture saved as RGB) as its one grey
    channel HxW; any other picture as it is."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 3 and (img[..., :1] == img[..., 1:]).all():
        return img[..., 0]
    return img


def fit(img: np.ndarray, side: int = 192) -> np.ndarray:
    """Shrink a picture so its longer side is at most `side` pixels (charts of big pictures are slow)."""
    h, w = img.shape[:2]
    if max(h, w) <= side:
        return img
    scale = side / max(h, w)
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def stage_picture(stage: np.ndarray, side: int = 160) -> np.ndarray:
    """A preprocessing stage (float 0..1) as a uint8 picture about `side` px: big ones shrunk, small ones
    (the 20x20 box) enlarged with square pixels, so a projector shows pixels, not blur."""
    pic = np.clip(np.rint(np.asarray(stage, np.float32) * 255), 0, 255).astype(np.uint8)
    h, w = pic.shape[:2]
    if max(h, w) >= side:
        return fit(pic, side)
    k = max(1, side // max(h, w))
    return cv2.resize(pic, (w * k, h * k), interpolation=cv2.INTER_NEAREST)
