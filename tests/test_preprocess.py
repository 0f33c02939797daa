"""prepare_digit: the pad's path (no guessing) and the photo path (polarity, lighting, specks, reasons)."""

import cv2
import numpy as np
import pytest

from mnist_lab import i18n
from mnist_lab.evaluate import unsure
from mnist_lab.preprocess import REASONS, SOURCES, plain_recipe, prepare_digit


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


def bold_zero_on_pad() -> np.ndarray:
    """A 0 drawn with a thick brush that fills the 280x280 pad and touches its edges (once read inverted)."""
    c = np.zeros((280, 280), np.uint8)
    cv2.ellipse(c, (140, 140), (112, 128), 0, 0, 360, 255, 46, cv2.LINE_AA)
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
    assert np.median(p.image) == 0  # background stays black


# ---------------------------------------------------------------- the pad


@pytest.mark.parametrize("make", [seven, zero])
def test_pad_digit_is_cropped_fitted_and_centred(make):
    assert_mnist_like(prepare_digit(make(255, 0), "pad"), tall=True)


def test_pad_bold_digit_filling_the_pad_is_read_as_ink_not_as_its_hole():
    p = prepare_digit(bold_zero_on_pad(), "pad")
    assert_mnist_like(p)
    assert p.image[14, 14] == 0  # the hole is background
    assert p.image[14, 1:6].max() > 200 or p.image[14, 22:27].max() > 200  # the ring is ink


@pytest.mark.parametrize("stroke", [255, 0])
def test_pad_with_transparent_background_reads_alpha(stroke):
    ink = seven(255, 0)
    rgba = np.zeros((300, 400, 4), np.uint8)
    rgba[..., :3] = stroke  # stroke colour everywhere; only alpha says where it was drawn
    rgba[..., 3] = ink
    p = prepare_digit(rgba, "pad")
    assert_mnist_like(p, tall=True)
    np.testing.assert_array_equal(p.image, prepare_digit(ink, "pad").image)


def test_pad_keeps_mnist_grey_levels_and_a_28px_digit_unchanged():
    rng = np.random.default_rng(0)
    digit = np.zeros((28, 28), np.uint8)
    cv2.line(digit, (14, 4), (14, 23), 255, 2, cv2.LINE_AA)
    cv2.line(digit, (14, 4), (9, 9), 255, 2, cv2.LINE_AA)
    pad = np.zeros((280, 280), np.uint8)
    y, x = rng.integers(0, 252, 2)
    pad[y : y + 28, x : x + 28] = digit
    p = prepare_digit(pad, "pad")
    assert_mnist_like(p, tall=True)
    assert len(np.unique(p.image)) > 5  # anti-aliased edges, not a binary mask


def test_pad_thin_brush_is_thickened():
    c = np.zeros((280, 280), np.uint8)
    cv2.line(c, (140, 10), (140, 270), 255, 2)
    p = prepare_digit(c, "pad")
    assert p.reason is None
    assert (p.image[6:22] > 64).sum(axis=1).min() >= 2


def test_empty_pad_is_blank():
    assert prepare_digit(np.zeros((280, 280, 4), np.uint8), "pad").reason == "blank"
    assert prepare_digit(np.zeros((0, 0), np.uint8), "pad").reason == "blank"


# ---------------------------------------------------------------- photos and scans


@pytest.mark.parametrize("make", [seven, zero])
@pytest.mark.parametrize("fg,bg", [(255, 0), (0, 255), (30, 220)])
def test_photo_off_centre_digit_is_centred_in_either_polarity(make, fg, bg):
    assert_mnist_like(prepare_digit(make(fg, bg), "photo"), tall=True)


def test_photo_both_polarities_give_the_same_digit():
    a = prepare_digit(seven(255, 0), "photo").image.astype(int)
    b = prepare_digit(seven(0, 255), "photo").image.astype(int)
    assert np.abs(a - b).max() <= 2


def test_box_is_in_input_coordinates():
    p = prepare_digit(seven(255, 0, thickness=14), "photo")
    x0, y0, x1, y1 = p.box
    assert 230 <= x0 <= 250 and 25 <= y0 <= 40 and 350 <= x1 <= 370 and 260 <= y1 <= 280


def lit_from_one_side(ink: np.ndarray, darkness: float = 0.7) -> np.ndarray:
    """Ink 0..1 on paper whose light falls from 240 on the right to 70 on the left, as an RGB photo."""
    h, w = ink.shape
    _ys, xs = np.mgrid[0:h, 0:w]
    paper = 70 + 170 * xs / w + np.random.default_rng(1).normal(0, 3, (h, w))
    photo = np.clip(paper * (1 - darkness * ink), 0, 255).astype(np.uint8)
    return np.repeat(photo[..., None], 3, axis=2)


@pytest.mark.parametrize("width", [6, 34])  # a pen, and a thick marker (once read with its loops as ink)
def test_photo_lit_from_one_side_keeps_the_loop_empty(width):
    ink = np.zeros((480, 640), np.float64)
    cv2.ellipse(ink, (330, 240), (90, 170), 0, 0, 360, 1.0, width, cv2.LINE_AA)
    p = prepare_digit(lit_from_one_side(ink), "photo")
    assert_mnist_like(p, tall=True)
    assert p.image[12:17, 12:17].max() < 60  # the hole of the zero stays empty


@pytest.mark.parametrize("make", [seven, zero])
@pytest.mark.parametrize("shadow", [0.45, 0.6])
def test_a_shadow_across_the_page_is_not_ink(make, shadow):
    page = make(0, 255).astype(np.float64) / 255 * 0.8 + 0.15  # dark ink on light paper
    ys, xs = np.mgrid[0 : page.shape[0], 0 : page.shape[1]]
    shade = xs > 120 + 0.3 * ys  # a slanted edge; the digit may lie on either side
    photo = np.clip(255 * page * np.where(shade, 1 - shadow, 1.0), 0, 255).astype(np.uint8)
    p = prepare_digit(np.repeat(photo[..., None], 3, axis=2), "photo")
    assert_mnist_like(p, tall=True)
    assert np.abs(p.image.astype(int) - prepare_digit(make(255, 0), "photo").image).mean() < 12


def test_a_page_on_a_dark_table_is_found_and_its_edges_are_not_ink():
    page = seven(0, 235).astype(np.float32)
    src = np.float32([[0, 0], [400, 0], [400, 300], [0, 300]])
    dst = np.float32([[60, 40], [560, 70], [540, 430], [80, 410]])
    photo = cv2.warpPerspective(page, cv2.getPerspectiveTransform(src, dst), (640, 480), borderValue=60)
    p = prepare_digit(photo.astype(np.uint8), "photo")
    assert_mnist_like(p, tall=True)
    x0, y0, x1, y1 = p.box  # in the photo's pixels, round the 7's place on the page
    assert 300 < x0 < 420 and 60 < y0 < 140 and 430 < x1 < 560 and 300 < y1 < 420


def test_thin_pen_on_a_big_photo_is_thickened():
    c = np.full((800, 800), 230, np.uint8)
    cv2.line(c, (400, 40), (400, 760), 40, 2)
    p = prepare_digit(c, "photo")
    assert p.reason is None
    assert (p.image[6:22] > 64).sum(axis=1).min() >= 2


@pytest.mark.parametrize(
    "img",
    [
        np.zeros((300, 400), np.uint8),
        np.full((300, 400), 255, np.uint8),
        np.full((300, 400, 3), 90, np.uint8),
        np.zeros((300, 400, 4), np.uint8),  # fully transparent
        np.zeros((1, 1), np.uint8),
        np.clip(200 + np.random.default_rng(2).normal(0, 3, (300, 400)), 0, 255).astype(np.uint8),  # plain paper
    ],
)
def test_blank(img):
    p = prepare_digit(img, "photo")
    assert p.image is None and p.reason == "blank"


def test_pure_noise_is_refused():
    rng = np.random.default_rng(3)
    for noise in (
        rng.integers(0, 256, (300, 400), dtype=np.uint8),
        np.clip(rng.normal(128, 60, (200, 200)), 0, 255).astype(np.uint8),
    ):
        p = prepare_digit(noise, "photo")
        assert p.image is None and p.reason == "noise"


def test_a_very_faint_digit_is_called_faint():
    page = (200 - (seven(255, 0) > 0) * 10).astype(np.uint8)  # ink only ten grey levels darker
    p = prepare_digit(page, "photo")
    assert p.image is None and p.reason == "faint"


def test_two_digits_side_by_side_are_refused():
    c = np.full((300, 500), 240, np.uint8)
    cv2.line(c, (100, 50), (100, 250), 20, 12)  # a 1
    cv2.ellipse(c, (380, 150), (60, 100), 0, 0, 360, 20, 12)  # a 0
    p = prepare_digit(c, "photo")
    assert p.image is None and p.reason == "several"


def test_a_five_in_two_strokes_is_one_digit():
    c = np.full((300, 300), 240, np.uint8)
    cv2.line(c, (110, 60), (110, 140), 20, 12)
    cv2.ellipse(c, (140, 190), (60, 55), 0, -120, 150, 20, 12)
    cv2.line(c, (125, 60), (210, 60), 20, 12)  # the flag, apart from the body
    assert prepare_digit(c, "photo").reason is None


def test_speck_far_away_is_ignored():
    c = seven(0, 255)
    c[290:292, 5:7] = 0  # a tiny speck in the far corner
    assert_mnist_like(prepare_digit(c, "photo"), tall=True)


def test_every_reason_is_said_in_both_languages():
    for reason in REASONS:
        assert f"reason.{reason}" in i18n.EN and f"reason.{reason}" in i18n.STRINGS["ko"]


def test_float_input_bad_shape_and_unknown_source():
    assert_mnist_like(prepare_digit(seven(255, 0).astype(np.float32) / 255, "photo"))
    with pytest.raises(ValueError):
        prepare_digit(np.zeros((5, 5, 2), np.uint8), "photo")
    with pytest.raises(ValueError):
        prepare_digit(seven(255, 0), "camera")
    assert SOURCES == ("pad", "photo")


def test_plain_recipe_is_the_mnist_recipe_on_a_clean_picture():
    a = plain_recipe(seven(255, 0))
    assert a.shape == (28, 28) and max(ink_box(a)) == 20
    assert plain_recipe(np.zeros((10, 10), np.uint8)) is None


def test_every_stage_a_page_shows_is_named_in_both_languages():
    from mnist_lab.recipe import STAGES

    photo = prepare_digit(seven(0, 255), "photo").stages
    pad = prepare_digit(seven(255, 0), "pad").stages
    assert set(photo) | set(pad) >= set(STAGES)
    for key in STAGES:
        assert f"draw.stage.{key}" in i18n.EN and f"draw.stage.{key}" in i18n.STRINGS["ko"]


@pytest.mark.parametrize("shape", [(1, 320), (2, 1000), (3, 1000), (1000, 1), (320, 1), (9, 1000)])
def test_a_picture_too_thin_for_a_digit_is_refused_not_a_crash(shape):
    picture = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    assert prepare_digit(picture, "photo").image is None
    assert prepare_digit(picture, "pad").reason in (None, "blank")
    assert plain_recipe(picture) is None or plain_recipe(picture).shape == (28, 28)


def test_a_page_with_transparent_parts_keeps_its_digit_box():
    """A screenshot with rounded corners or an erased patch: the transparency is page, not ink."""
    page = seven(0, 255)
    rgba = np.dstack([page, page, page, np.full_like(page, 255)])
    rgba[100:150, 50:100, 3] = 0
    rgba[:20, :, 3] = 0
    assert prepare_digit(rgba, "photo").box == prepare_digit(page, "photo").box


def test_a_weak_answer_is_unsure_and_the_stages_come_in_page_order():
    from mnist_lab.recipe import STAGES

    assert unsure(np.full(10, 0.1)) and unsure([0.59, 0.41]) and not unsure([0.6, 0.4])
    shown = [k for k, _ in prepare_digit(seven(0, 255), "photo").shown_stages()]
    assert shown == [k for k in STAGES if k in shown] and "fitted" in shown
