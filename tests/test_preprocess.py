import cv2
import numpy as np
import pytest

from mnist_lab import i18n
from mnist_lab.preprocess import REASONS, prepare_digit


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    a = img.astype(np.float64)
    ys, xs = np.mgrid[0 : a.shape[0], 0 : a.shape[1]]
    return (ys * a).sum() / a.sum(), (xs * a).sum() / a.sum()


def ink_box(img: np.ndarray) -> tuple[int, int]:
    ys, xs = np.nonzero(img)
    return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


def seven(fg: int, bg: int, thickness: int = 14, h: int = 300, w: int = 400) -> np.ndarray:
    """A big '7' drawn off-centre, in the right part of a 400x300 canvas."""
    c = np.full((h, w), bg, np.uint8)
    cv2.line(c, (250, 40), (350, 40), fg, thickness, cv2.LINE_AA)
    cv2.line(c, (350, 40), (290, 260), fg, thickness, cv2.LINE_AA)
    return c


def zero(fg: int, bg: int) -> np.ndarray:
    """A loop drawn in the top-left corner."""
    c = np.full((300, 400), bg, np.uint8)
    cv2.ellipse(c, (70, 90), (45, 70), 0, 0, 360, fg, 12, cv2.LINE_AA)
    return c


def assert_mnist_like(p, tall: bool | None = None):
    assert p.reason is None
    assert p.image.shape == (28, 28) and p.image.dtype == np.uint8
    assert p.image.max() == 255
    h, w = ink_box(p.image)
    assert h <= 20 and w <= 20 and max(h, w) >= 19
    if tall:
        assert h > w
    cy, cx = centre_of_mass(p.image)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    # background stays black
    assert np.median(p.image) == 0


@pytest.mark.parametrize("make", [seven, zero])
@pytest.mark.parametrize("fg,bg", [(255, 0), (0, 255), (30, 220)])
def test_off_centre_digit_is_centred(make, fg, bg):
    p = prepare_digit(make(fg, bg))
    assert_mnist_like(p, tall=True)


def test_both_polarities_give_same_result():
    a = prepare_digit(seven(255, 0)).image.astype(int)
    b = prepare_digit(seven(0, 255)).image.astype(int)
    assert np.abs(a - b).max() <= 2


def test_box_is_in_input_coordinates():
    p = prepare_digit(seven(255, 0, thickness=14))
    x0, y0, x1, y1 = p.box
    assert 230 <= x0 <= 250 and 25 <= y0 <= 40 and 350 <= x1 <= 370 and 260 <= y1 <= 280


@pytest.mark.parametrize("stroke", [255, 0])
def test_rgba_transparent_canvas(stroke):
    ink = seven(255, 0)
    rgba = np.zeros((300, 400, 4), np.uint8)
    rgba[..., :3] = stroke  # stroke colour everywhere; only alpha says where it was drawn
    rgba[..., 3] = ink
    p = prepare_digit(rgba)
    assert_mnist_like(p, tall=True)
    np.testing.assert_allclose(p.image.astype(int), prepare_digit(ink).image.astype(int), atol=2)


def test_opaque_rgb_photo_with_uneven_light():
    rng = np.random.default_rng(1)
    _ys, xs = np.mgrid[0:480, 0:640]
    paper = 120 + 110 * xs / 640 + rng.normal(0, 4, (480, 640))  # light falls off to the left
    ink = np.zeros((480, 640), np.float64)
    cv2.ellipse(ink, (450, 200), (50, 90), 0, 0, 360, 1.0, 16, cv2.LINE_AA)
    photo = np.clip(paper * (1 - 0.6 * ink), 0, 255).astype(np.uint8)
    rgb = np.repeat(photo[..., None], 3, axis=2)
    p = prepare_digit(rgb)
    assert_mnist_like(p, tall=True)
    assert p.image[14, 14] < 60  # the hole of the zero stays empty


@pytest.mark.parametrize("make", [seven, zero])
@pytest.mark.parametrize("shadow", [0.45, 0.6])
def test_a_shadow_across_the_page_is_not_ink(make, shadow):
    """A photo whose edge lies half in a hard shadow: once read inverted, with the shadow's edge as ink."""
    page = make(0, 255).astype(np.float64) / 255 * 0.8 + 0.15  # dark ink on light paper
    _ys, xs = np.mgrid[0 : page.shape[0], 0 : page.shape[1]]
    shade = xs > 120 + 0.3 * _ys  # a slanted edge; the digit may lie on either side
    photo = np.clip(255 * page * np.where(shade, 1 - shadow, 1.0), 0, 255).astype(np.uint8)
    p = prepare_digit(np.repeat(photo[..., None], 3, axis=2))
    expected = prepare_digit(make(255, 0))
    assert_mnist_like(p, tall=True)
    assert np.abs(p.image.astype(int) - expected.image).mean() < 12  # the digit alone, as on a clean page


def test_thin_pen_is_thickened():
    c = np.zeros((400, 400), np.uint8)
    cv2.line(c, (200, 20), (200, 380), 255, 1)
    p = prepare_digit(c)
    assert p.reason is None
    widths = (p.image[6:22] > 64).sum(axis=1)
    assert widths.min() >= 2


def test_mnist_sized_input_roundtrip():
    digit = np.zeros((28, 28), np.uint8)
    cv2.line(digit, (14, 4), (14, 23), 255, 2)
    cv2.line(digit, (14, 4), (10, 8), 255, 2)
    p = prepare_digit(digit)
    assert_mnist_like(p, tall=True)


@pytest.mark.parametrize(
    "img",
    [
        np.zeros((300, 400), np.uint8),
        np.full((300, 400), 255, np.uint8),
        np.full((300, 400, 3), 90, np.uint8),
        np.zeros((300, 400, 4), np.uint8),  # fully transparent canvas
        np.zeros((1, 1), np.uint8),
        np.clip(200 + np.random.default_rng(2).normal(0, 3, (300, 400)), 0, 255).astype(np.uint8),  # plain paper
    ],
)
def test_blank(img):
    p = prepare_digit(img)
    assert p.image is None and p.reason == "blank"
    assert p.reason in REASONS and f"reason.{p.reason}" in i18n.EN


def test_pure_noise_is_refused():
    rng = np.random.default_rng(3)
    for noise in (
        rng.integers(0, 256, (300, 400), dtype=np.uint8),
        np.clip(rng.normal(128, 60, (200, 200)), 0, 255).astype(np.uint8),
    ):
        p = prepare_digit(noise)
        assert p.image is None and p.reason == "noise"


def test_float_input_and_bad_shape():
    p = prepare_digit(seven(255, 0).astype(np.float32) / 255)
    assert_mnist_like(p)
    with pytest.raises(ValueError):
        prepare_digit(np.zeros((5, 5, 2), np.uint8))


def test_speck_far_away_is_ignored():
    c = seven(255, 0)
    c[290:292, 5:7] = 255  # a tiny speck in the far corner
    assert_mnist_like(prepare_digit(c), tall=True)
