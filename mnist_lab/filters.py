"""Image kernels applied two ways: OpenCV's filter2D and PyTorch's conv2d give the same numbers."""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .errors import LabError

KERNELS: dict[str, np.ndarray] = {
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
    "blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float32),
}


class FilterError(LabError, ValueError):
    """Kernel, stride and padding that do not fit the picture."""


def output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a conv output along one axis: floor((n + 2p - k) / s) + 1."""
    if stride < 1 or padding < 0 or k < 1:
        raise FilterError("error.filter.bad_params")
    if n + 2 * padding < k:
        raise FilterError("error.filter.kernel_too_big", k=k, n=n + 2 * padding)
    return (n + 2 * padding - k) // stride + 1


def output_shape(shape: tuple[int, ...], k: int = 3, stride: int = 1, padding: int = 0) -> tuple[int, int]:
    """(height, width) of a conv output for a picture of this shape."""
    return output_size(shape[0], k, stride, padding), output_size(shape[1], k, stride, padding)


def size_formulas(shape: tuple[int, ...], k: int = 3, stride: int = 1, padding: int = 0) -> list[str]:
    """The output-size sum in LaTeX for each side of a picture, longer side first (one for a square)."""
    return [
        rf"\left\lfloor \frac{{{n} + 2\cdot{padding} - {k}}}{{{stride}}} \right\rfloor + 1"
        f" = {output_size(n, k, stride, padding)}"
        for n in sorted(set(shape[:2]), reverse=True)
    ]


def kernel_from(cells) -> np.ndarray:
    """A kernel typed into a table, as float32: an empty or impossible number counts as 0."""
    with np.errstate(over="ignore"):
        kernel = np.asarray(cells, dtype=np.float64).astype(np.float32)
    return np.nan_to_num(kernel, nan=0.0, posinf=0.0, neginf=0.0)


def signed(kernel: np.ndarray) -> bool:
    """Whether a kernel has a negative weight, so that its outputs can be negative (drawn blue to red)."""
    return bool((np.asarray(kernel) < 0).any())


def _check(img: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> tuple[np.ndarray, np.ndarray]:
    img = np.asarray(img, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    if img.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D (use filter_channels for colour)")
    output_size(img.shape[0], kernel.shape[0], stride, padding)
    output_size(img.shape[1], kernel.shape[1], stride, padding)
    return img, kernel


def filter_cv2(img: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Cross-correlation with cv2.filter2D: zero-pad, filter, keep the valid part, subsample."""
    img, kernel = _check(img, kernel, stride, padding)
    padded = cv2.copyMakeBorder(img, padding, padding, padding, padding, cv2.BORDER_CONSTANT, value=0)
    # anchor (0, 0): out[i, j] = sum_uv kernel[u, v] * padded[i + u, j + v], the same sum as conv2d
    full = cv2.filter2D(padded, cv2.CV_32F, kernel, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    kh, kw = kernel.shape
    valid = full[: padded.shape[0] - kh + 1, : padded.shape[1] - kw + 1]
    return np.ascontiguousarray(valid[::stride, ::stride])


def filter_torch(img: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """The same filter with torch.nn.functional.conv2d (also a cross-correlation)."""
    img, kernel = _check(img, kernel, stride, padding)
    x = torch.from_numpy(img)[None, None]
    w = torch.from_numpy(kernel)[None, None]
    with torch.no_grad():
        return F.conv2d(x, w, stride=stride, padding=padding)[0, 0].numpy()


def convolve_true(img: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Textbook convolution: flip the kernel both ways, then correlate."""
    return filter_cv2(img, np.asarray(kernel)[::-1, ::-1], stride, padding)


class Comparison(NamedTuple):
    correlation: np.ndarray  # cv2.filter2D's output
    convolution: np.ndarray  # the kernel turned 180 degrees first
    libraries_apart: float  # the most OpenCV and PyTorch differ: rounding only
    flip_apart: float  # the most correlation and convolution differ
    symmetric: bool  # the kernel equals itself turned 180 degrees: correlation and convolution agree


def compare(img: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> Comparison:
    """One grey picture filtered by OpenCV and by PyTorch (the same cross-correlation) and by a textbook
    convolution, and how far apart the three are."""
    a, b = filter_cv2(img, kernel, stride, padding), filter_torch(img, kernel, stride, padding)
    c = convolve_true(img, kernel, stride, padding)
    k = np.asarray(kernel)
    return Comparison(a, c, float(np.abs(a - b).max()), float(np.abs(a - c).max()), np.array_equal(k, k[::-1, ::-1]))


def filter_channels(img: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """One feature map per colour channel: HxWxC -> (C, H', W'); a 2-D image gives (1, H', W')."""
    img = np.asarray(img, dtype=np.float32)
    planes = [img] if img.ndim == 2 else [img[..., c] for c in range(img.shape[2])]
    return np.stack([filter_cv2(p, kernel, stride, padding) for p in planes])


def sobel(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal and vertical Sobel gradients and their magnitude, same size as the image."""
    padded = np.pad(np.asarray(img, dtype=np.float32), 1, mode="edge")  # no fake edge at the frame
    gx = filter_cv2(padded, KERNELS["sobel_x"])
    gy = filter_cv2(padded, KERNELS["sobel_y"])
    return gx, gy, np.sqrt(gx * gx + gy * gy)


def builtin_pictures(size: int = 128) -> dict[str, np.ndarray]:
    """Generated test pictures (uint8; grey HxW or colour HxWx3) — nothing is downloaded."""
    s = size
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s

    shapes = np.zeros((s, s), np.uint8)
    cv2.rectangle(shapes, (s // 10, s // 10), (s * 4 // 10, s * 4 // 10), 255, -1)
    cv2.circle(shapes, (s * 7 // 10, s * 3 // 10), s // 6, 180, -1)
    tri = np.array([[s // 2, s * 55 // 100], [s * 9 // 10, s * 9 // 10], [s // 10, s * 9 // 10]], np.int32)
    cv2.fillPoly(shapes, [tri], 120)

    checker = ((np.arange(s)[:, None] // (s // 8)) + (np.arange(s)[None, :] // (s // 8))) % 2 * 255

    rings = (127.5 + 127.5 * np.cos(40 * np.hypot(xx - 0.5, yy - 0.5))).astype(np.uint8)

    digit = np.zeros((s, s), np.uint8)
    cv2.putText(
        digit, "7", (s // 4, s * 85 // 100), cv2.FONT_HERSHEY_SIMPLEX, s / 36, 255, max(1, s // 14), cv2.LINE_AA
    )

    scene = np.zeros((s, s, 3), np.uint8)
    scene[..., 0] = (80 + 100 * yy).astype(np.uint8)  # sky: darker blue at the top
    scene[..., 1] = (150 + 60 * yy).astype(np.uint8)
    scene[..., 2] = 235
    scene[s * 2 // 3 :] = (60, 160, 50)  # grass
    cv2.circle(scene, (s * 4 // 5, s // 5), s // 9, (255, 220, 40), -1)  # sun
    cv2.rectangle(scene, (s // 5, s * 2 // 5), (s // 2, s * 3 // 4), (200, 60, 50), -1)  # house
    roof = np.array([[s // 6, s * 2 // 5], [s * 21 // 40, s * 2 // 5], [s * 7 // 20, s // 4]], np.int32)
    cv2.fillPoly(scene, [roof], (120, 70, 40))
    cv2.rectangle(scene, (s * 3 // 10, s * 11 // 20), (s * 2 // 5, s * 3 // 4), (90, 50, 30), -1)  # door

    return {
        "shapes": shapes,
        "checkerboard": checker.astype(np.uint8),
        "rings": rings,
        "digit": digit,
        "scene": scene,
    }
