"""The photo path of preprocess.prepare_digit: a photo, a scan or an uploaded file, any polarity and
lighting. See preprocess.py's docstring for the method."""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from .images import to_gray
from .recipe import Prepared, has_alpha, mnist_recipe, stroke_width_of_mask, thickness

PHOTO_SIDE = 320  # photos are worked on at most this size (a 20x20 box needs far less)
SPECTRUM_SIDE = 160  # the stroke width is measured on a copy at most this size
MIN_CONTRAST = 0.1  # ink must differ from its background by ~10% (after lighting is divided out)
FAINT_CONTRAST = 0.03  # below this there is nothing at all; between the two, "too faint"
MIN_STRUCTURE = 0.3  # neighbouring ink pixels must correlate (noise does not)
MIN_SIDE = 8  # a photo narrower than this holds no digit (and would shrink to nothing)
FINE = 4095  # histogram steps where a grey level is too coarse


def photo_gray(img: np.ndarray) -> np.ndarray | None:
    """Grey 0..1; transparent pixels become the colour opposite the strokes. None if all transparent."""
    if img.ndim == 3 and not has_alpha(img):  # bytes in, one conversion: several times faster than floats
        code = cv2.COLOR_RGBA2GRAY if img.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        return cv2.cvtColor(img, code).astype(np.float32) / 255
    gray = to_gray(img).astype(np.float32) / 255
    if not has_alpha(img):
        return gray
    alpha = img[..., 3].astype(np.float32) / 255
    if alpha.max() == 0:
        return None
    opaque = alpha >= 0.5
    if opaque.mean() >= 0.5:  # a page with transparent corners or erased parts: fill them with the page
        backdrop = float(np.median(gray[opaque]))
    else:  # only the strokes are opaque (a drawing app's layer): the backdrop is their opposite
        stroke = float((gray * alpha).sum() / alpha.sum())
        backdrop = 0.0 if stroke >= 0.5 else 1.0
    return gray * alpha + backdrop * (1 - alpha)


def border_of(gray: np.ndarray) -> np.ndarray:
    """The pixels along the picture's edge, which is mostly background."""
    b = max(1, min(gray.shape) // 20)
    return np.concatenate([gray[:b].ravel(), gray[-b:].ravel(), gray[:, :b].ravel(), gray[:, -b:].ravel()])


def _find_page(gray: np.ndarray) -> np.ndarray | None:
    """A sheet of paper photographed on a darker table: its four corners (a 4x2 float32 array, in
    `gray`'s pixels, clockwise from top-left), or None when the paper fills the picture.

    As document scanners do: the largest bright region (Otsu), its convex hull simplified to a
    quadrilateral with at least two corners inside the picture (a shadow's edge across a page makes a
    bright region whose corners all lie on the picture's edge), clearly brighter than what is outside.
    """
    small = _small(gray)
    f = max(small.shape) / max(gray.shape)
    s8 = cv2.GaussianBlur(np.rint(small * 255).astype(np.uint8), (5, 5), 0)
    _, bright = cv2.threshold(s8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(largest)
    area = cv2.contourArea(hull) / (small.shape[0] * small.shape[1])
    solid = cv2.contourArea(largest) / max(cv2.contourArea(hull), 1.0)  # a sheet fills its hull; a digit does not
    quad = cv2.approxPolyDP(hull, 0.04 * cv2.arcLength(hull, True), True).reshape(-1, 2).astype(np.float32)
    if len(quad) != 4 or not 0.4 <= area <= 0.95 or solid < 0.9:
        return None
    h, w = small.shape
    margin = 0.02 * min(h, w)
    inside = (
        (quad[:, 0] > margin) & (quad[:, 0] < w - 1 - margin) & (quad[:, 1] > margin) & (quad[:, 1] < h - 1 - margin)
    )
    region = np.zeros_like(s8)
    cv2.fillConvexPoly(region, quad.astype(np.int32), 255)
    paper, table = np.median(s8[region > 0]), np.median(s8[region == 0])
    if inside.sum() < 2 or table > 0.8 * paper:
        return None
    centre = quad.mean(0)
    order = np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))  # clockwise on screen
    quad = quad[order]
    quad = np.roll(quad, -int(np.argmin(quad.sum(1))), axis=0)  # top-left first
    return quad / f


def _flatten_page(gray: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page inside `quad` warped to a rectangle, a little inside its edges; and the warp's matrix."""
    inset = quad + (quad.mean(0) - quad) * 0.04  # the paper's edge and the table's shadow stay out
    w = int(max(np.linalg.norm(inset[1] - inset[0]), np.linalg.norm(inset[2] - inset[3])))
    h = int(max(np.linalg.norm(inset[3] - inset[0]), np.linalg.norm(inset[2] - inset[1])))
    target = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    m = cv2.getPerspectiveTransform(inset.astype(np.float32), target)
    return cv2.warpPerspective(
        gray, m, (max(w, 1), max(h, 1)), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    ), m


def _dark_ink(gray: np.ndarray) -> bool:
    """Whether the ink is darker than the page, from robust statistics: ink is rare, so it is the tail of
    the histogram furthest from the background's level.

    On an even background (a scan, a clean page) that level is the border's median. On an uneven one (a
    photo with a lamp on one side or a shadow across it) each pixel is compared with the median of a
    wide neighbourhood instead: a median follows a ramp and keeps a shadow's hard edge, and is the
    background wherever ink covers less than half of the neighbourhood.
    """
    frame = border_of(gray)
    lo, hi = _percentiles(gray, [0.5, 99.5])
    level = float(_percentiles(frame, [50], FINE)[0])
    # even: most of the border is one level (a stroke touching the edge still leaves most of it alone)
    if np.mean(np.abs(frame - level) <= 0.1 * (hi - lo)) >= 0.6:
        return level - lo > hi - level
    small = _small(gray)
    k = _odd(min(small.shape) // 2)
    level = cv2.medianBlur(np.rint(small * 255).astype(np.uint8), min(k, 255)).astype(np.float32) / 255
    stray = small - level
    # the two tails compared on a fine histogram: a thin pen's tail can lead by a few thousandths
    low, high = _percentiles((1 - stray) / 2, [99.5], FINE)[0], _percentiles((1 + stray) / 2, [99.5], FINE)[0]
    return low > high


def _small(img: np.ndarray) -> np.ndarray:
    """A copy at most SPECTRUM_SIDE wide or tall, for measurements that need no detail."""
    f = min(1.0, SPECTRUM_SIDE / max(img.shape))
    size = (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f)))
    return img if f == 1.0 else cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _percentiles(values: np.ndarray, qs, steps: int = 255) -> np.ndarray:
    """Percentiles of values in 0..1 to the nearest 1/steps, from a histogram (a sort is slower)."""
    levels = np.rint(np.clip(values, 0, 1) * steps).astype(np.int32).ravel()
    cum = np.cumsum(np.bincount(levels, minlength=steps + 1)) / levels.size
    return np.searchsorted(cum, np.asarray(qs) / 100).clip(0, steps) / steps


def _odd(x: float) -> int:
    return max(3, round(x) | 1)


def _inner_parts(mask: np.ndarray) -> np.ndarray:
    """The connected parts of a mask that do not touch the picture's edge, unless they are only specks
    (a digit that fills a scan touches the edge; a table round a page does too, and is no stroke)."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    inner = np.ones(n, bool)
    inner[edge] = False
    inner[0] = False
    kept = inner[labels]
    if not kept.any():
        return mask
    ys, xs = np.nonzero(kept)
    return kept if max(np.ptp(ys), np.ptp(xs)) >= 0.25 * min(mask.shape) else mask


def _stroke_width(ink: np.ndarray) -> float:
    """Stroke width, in pixels, by granulometry: the size of square at which openings remove the strokes.

    `ink` is bright on dark. An opening by a k x k square removes bright structures narrower than k
    and leaves a lighting ramp or a shadow's step alone. Counting the pixels it lowers by at least half
    the ink's contrast, the count jumps where the square outgrows the strokes. Measured on a small copy.
    """
    small = _small(ink)
    f = max(small.shape) / max(ink.shape)
    small = cv2.GaussianBlur(small, (3, 3), 0)  # paper grain would otherwise look like 1-px strokes
    sizes = [1]
    k = 3
    while k <= max(3, min(small.shape) // 3):
        sizes.append(k)
        k = _odd(k * 1.3 + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (sizes[-1], sizes[-1]))
    widest = small - cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    level = 0.5 * float(_percentiles(widest, [99.8])[0])
    if level <= 0:
        return 1.0 / f
    region = _inner_parts(widest > level)
    counts = [0]
    for k in sizes[1:]:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
        opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
        counts.append(int(np.count_nonzero((small - opened > level) & region)))
    jumps = np.diff(counts) / np.diff(np.log(sizes))
    # the first clear jump: strokes are the finest structure; lighting's patches and a table's corners
    # are coarser and may remove many more pixels than a thin pen's strokes
    i = int(np.flatnonzero(jumps >= 0.1 * jumps.max())[0])
    # the squares between sizes[i] and sizes[i+1] outgrew the strokes: a diagonal stroke of width w
    # holds a square of side w / sqrt(2), so the stroke is about sqrt(2) times the square
    return float(np.sqrt(sizes[i] * sizes[i + 1]) * np.sqrt(2) / f)


def _photo_ink(gray: np.ndarray) -> tuple[np.ndarray, float, dict[str, np.ndarray]]:
    """Ink 0..1, bright on dark, with the page's lighting divided out; the stroke width; the stages."""
    dark = _dark_ink(gray)
    width = _stroke_width(1.0 - gray if dark else gray)
    # wide enough to hold a junction of two strokes, no wider: the background follows the lighting
    k = _odd(min(2.5 * width + 2, max(gray.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    grey8 = np.rint(gray * 255).astype(np.uint8)  # morphology on bytes is several times faster
    if dark:  # paper x light: divide it out, so ink reads the same in shadow and in full light
        page = cv2.morphologyEx(grey8, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
        ink = 1.0 - gray / np.maximum(page.astype(np.float32) / 255, 1 / 255)
    else:  # light ink (chalk, a white-on-black scan): lighting adds
        page = cv2.morphologyEx(grey8, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
        ink = gray - page.astype(np.float32) / 255
    ink = np.clip(ink, 0, 1).astype(np.float32)
    return ink, width, {"grey": gray, "background": page.astype(np.float32) / 255}


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


def otsu(values: np.ndarray) -> float:
    """Otsu threshold of values in 0..1."""
    t, _ = cv2.threshold(np.rint(values * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return t / 255


def _digit_parts(mask: np.ndarray, pen: float) -> tuple[np.ndarray | None, str | None]:
    """The components that make the digit, or a reason: 'several' for two digits side by side.

    Dropped: parts much thicker than the pen (the corner of a shadow or of the table, a thumb), thin
    lines along most of one side (a page's edge), then specks beside the largest part.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return None, "blank"
    areas = stats[:, cv2.CC_STAT_AREA]
    widths = thickness(labels, n)
    h, w = mask.shape
    x, y, bw, bh = (stats[:, c] for c in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    parts = list(range(1, n))
    sizable = [i for i in parts if areas[i] >= 0.05 * areas[1:].max()]
    pen = min(pen, min(widths[i] for i in sizable))  # the measured width is coarse; the thinnest part is the pen
    pen_like = [i for i in parts if widths[i] <= 3 * pen]
    if pen_like and max(areas[i] for i in pen_like) >= 0.2 * max(areas[i] for i in parts):
        parts = pen_like
    touches = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    line = [i for i in parts if touches[i] and max(bw[i] / w, bh[i] / h) >= 0.8 and widths[i] < 0.05 * min(h, w)]
    if len(line) < len(parts):
        parts = [i for i in parts if i not in line]
    biggest = max(areas[i] for i in parts)
    keep = [i for i in parts if areas[i] >= max(2, 0.05 * biggest)]
    if not keep:  # only single pixels
        return None, "noise"
    # two digits side by side: tall parts with a clear gap between them (a 5's flag or a 4's stroke overlaps)
    top, bottom = min(y[i] for i in keep), max(y[i] + bh[i] for i in keep)
    tall = sorted((i for i in keep if bh[i] >= 0.6 * (bottom - top)), key=lambda i: x[i])
    for a, b in itertools.pairwise(tall):
        if x[b] - (x[a] + bw[a]) > 0.3 * (bottom - top):
            return None, "several"
    lut = np.zeros(n, bool)
    lut[keep] = True
    return lut[labels], None


def prepare_photo(img: np.ndarray) -> Prepared:
    gray = photo_gray(img)
    if gray is None or min(gray.shape) < MIN_SIDE:
        return Prepared(None, "blank")
    h0, w0 = gray.shape
    factor = min(1.0, PHOTO_SIDE / max(h0, w0))
    if factor < 1.0:
        gray = cv2.resize(gray, (max(1, round(w0 * factor)), max(1, round(h0 * factor))), interpolation=cv2.INTER_AREA)
    quad, warp = _find_page(gray), None
    if quad is not None:
        gray, warp = _flatten_page(gray, quad)
    ink, width, stages = _photo_ink(gray)
    stages["ink"] = ink
    contrast = float(cv2.blur(ink, (3, 3)).max()) if min(ink.shape) >= 3 else float(ink.max())
    if contrast < MIN_CONTRAST:
        faint = contrast >= FAINT_CONTRAST and _structure(_small(ink)) >= MIN_STRUCTURE
        return Prepared(None, "faint" if faint else "blank", stages=stages)
    if _structure(_small(ink)) < MIN_STRUCTURE:
        return Prepared(None, "noise", stages=stages)
    ink = np.clip(ink / contrast, 0, 1)
    threshold = max(otsu(ink), 0.2)
    mask, reason = _digit_parts(ink >= threshold, width)
    if mask is None:
        return Prepared(None, reason, stages=stages)
    stages["mask"] = mask.astype(np.float32)
    # the grey ink near the kept strokes: anti-aliased edges stay, specks and page edges go
    near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    soft = np.where(near, ink, 0).astype(np.float32)
    image, (x0, y0, x1, y1), more = mnist_recipe(soft, mask, stroke_width_of_mask(mask))
    stages.update(more)
    if warp is not None:  # the box's corners back through the page's warp
        corners = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).reshape(-1, 1, 2)
        back = cv2.perspectiveTransform(corners, np.linalg.inv(warp)).reshape(-1, 2)
        x0, y0 = back.min(0)
        x1, y1 = back.max(0)
    box = (
        max(0, int(x0 / factor)),
        max(0, int(y0 / factor)),
        min(w0, int(np.ceil(x1 / factor))),
        min(h0, int(np.ceil(y1 / factor))),
    )
    return Prepared(image, None, box, stages)
