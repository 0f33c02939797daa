"""Turn a drawn or photographed digit into a 28x28 MNIST-style image.

Where the picture came from decides how its ink is found:

- `pad`: the Draw page's pad. White ink (or opaque alpha) on black, no lighting: the ink is what was
  drawn, with nothing to guess.
- `photo`: a photo, a scan or an uploaded file. A sheet on a darker table is found and flattened as
  a document scanner does (the largest bright quadrilateral, warped to a rectangle). Which side is
  ink is read from robust statistics (the border's level against the picture's extreme percentiles,
  or a wide median where the light is uneven); the pen's width is measured by a granulometry
  (openings of growing size); the page's light is divided out by a morphological closing just wider
  than the pen (for light ink an opening is subtracted), which keeps a shadow's hard edge and a light ramp; specks,
  page edges and parts much thicker than the pen (a shadow's corner) are dropped as connected parts.

Both end in the MNIST recipe (LeCun et al.): the ink's bounding box scaled to fit 20x20 with its
aspect kept and anti-aliased grey levels, then placed in 28x28 with its centre of mass at the centre.
"""

from __future__ import annotations

import numpy as np

from .images import to_gray
from .photo import MIN_SIDE, border_of, otsu, photo_gray, prepare_photo
from .recipe import Prepared, as_uint8, has_alpha, mnist_recipe, stroke_width_of_mask

SOURCES = ("pad", "photo")
# why no digit came out; the catalog says each in words (`reason.blank`, ...)
REASONS = ("blank", "faint", "noise", "several")


def pad_ink(img: np.ndarray) -> np.ndarray:
    """Ink 0..1: the alpha when the pad sends any transparency, else the grey level of white-on-black."""
    if has_alpha(img):
        return img[..., 3].astype(np.float32) / 255
    return to_gray(img).astype(np.float32) / 255


def _prepare_pad(img: np.ndarray) -> Prepared:
    ink = pad_ink(img)
    mask = ink >= 0.1  # the pad draws anti-aliased edges; its background is exactly 0
    if not mask.any():
        return Prepared(None, "blank", stages={"ink": ink})
    image, box, stages = mnist_recipe(ink, mask, stroke_width_of_mask(mask))
    return Prepared(image, None, tuple(int(v) for v in box), {"ink": ink, **stages})


def prepare_digit(img: np.ndarray, source: str) -> Prepared:
    """A grey/RGB/RGBA picture of one digit -> Prepared 28x28 white-on-black, MNIST style.

    `source` is "pad" (the Draw page's pad: white or opaque strokes on black) or "photo" (a photo,
    scan or uploaded file, any polarity and lighting).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    img = as_uint8(img)
    if img.size == 0:
        return Prepared(None, "blank")
    return _prepare_pad(img) if source == "pad" else prepare_photo(img)


def plain_recipe(img: np.ndarray) -> np.ndarray | None:
    """The simplest method, the baseline every figure is quoted beside: grey, inverted when the border
    is light, Otsu's threshold for the box, the box scaled into 20x20 and centred by mass. None when empty.
    """
    img = as_uint8(img)
    gray = photo_gray(img)
    if gray is None or min(gray.shape) < MIN_SIDE:
        return None
    level = float(np.median(border_of(gray)))
    if level > 0.5:
        gray, level = 1.0 - gray, 1.0 - level
    ink = np.clip(gray - level, 0, 1).astype(np.float32)
    if ink.max() <= 0:
        return None
    mask = ink >= otsu(ink / ink.max()) * ink.max()
    return mnist_recipe(ink, mask, width=float(max(ink.shape)))[0]  # never thickened
