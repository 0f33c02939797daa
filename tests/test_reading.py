"""Floors on digits the project did not make: the shipped model through prepare_digit, beside the plain
MNIST recipe on the same pictures. A change that makes reading worse fails here.

- The UCI optical digits (real handwriting by 43 people, shipped inside scikit-learn): no download.
- MNIST test digits drawn on the pad and photographed (needs the real MNIST: $MNIST_LAB_DATA).
- Named hard cases: a bold digit that fills the pad and touches its edges, a thick marker on a page
  lit from one side (both once read inverted).

Every set is made with a fixed seed, so a figure moves only when the code does.
"""

import cv2
import numpy as np
import pytest

from mnist_lab import redraw
from mnist_lab.checkpoints import default_checkpoint, load_model
from mnist_lab.evaluate import predict_proba
from mnist_lab.preprocess import plain_recipe, prepare_digit


@pytest.fixture(scope="module")
def shipped():
    return load_model(default_checkpoint())


def read(shipped, picture, source) -> int | None:
    model, meta = shipped
    p = prepare_digit(picture, source)
    return None if p.image is None else int(predict_proba(model, p.image[None], meta.normalize, meta.pad)[0].argmax())


def plain_accuracy(shipped, pictures, labels) -> float:
    return redraw.score(*shipped, [plain_recipe(p) for p in pictures], labels)


@pytest.mark.slow
@pytest.mark.parametrize("scale,dark_on_light", [(14, False), (14, True), (4, False)])
def test_uci_handwriting_scans_read_at_least_95_percent_and_never_below_the_plain_recipe(shipped, scale, dark_on_light):
    pictures, labels = redraw.uci_scans(scale, dark_on_light)
    ours = redraw.accuracy_on(*shipped, pictures, labels, "photo")
    plain = plain_accuracy(shipped, pictures, labels)
    assert ours >= 0.95, ours
    assert ours >= plain, (ours, plain)


# ---------------------------------------------------------------- named hard cases, no data needed


def bold_on_pad(label: int) -> np.ndarray:
    """A digit drawn with a 44 px brush, as large as the pad, its strokes touching the pad's edges."""
    c = np.zeros((280, 280), np.uint8)
    if label == 0:
        cv2.ellipse(c, (140, 140), (108, 125), 0, 0, 360, 255, 44, cv2.LINE_AA)
    elif label == 9:
        cv2.ellipse(c, (140, 90), (100, 80), 0, 0, 360, 255, 44, cv2.LINE_AA)
        cv2.line(c, (240, 90), (220, 280), 255, 44, cv2.LINE_AA)
    else:  # a 3 whose bows run off the pad's top, right and bottom edges
        cv2.ellipse(c, (130, 70), (130, 75), 0, -180, 90, 255, 44, cv2.LINE_AA)
        cv2.ellipse(c, (130, 210), (140, 80), 0, -90, 180, 255, 44, cv2.LINE_AA)
    return np.dstack([c, c, c, np.full_like(c, 255)])  # as the pad sends it: opaque RGBA


@pytest.mark.parametrize("label", [0, 3, 9])  # once read as 5, 2 and 7
def test_a_bold_digit_filling_the_pad_is_read(shipped, label):
    assert read(shipped, bold_on_pad(label), "pad") == label


def marker_photo(label: int) -> np.ndarray:
    """A 400x300 RGB photo of a digit written with a thick marker (43 px), on a page lit from the right."""
    ink = np.zeros((300, 400), np.float32)
    if label == 0:
        cv2.ellipse(ink, (200, 150), (53, 100), 0, 0, 360, 1.0, 43, cv2.LINE_AA)
    elif label == 8:
        cv2.ellipse(ink, (200, 94), (39, 45), 0, 0, 360, 1.0, 43, cv2.LINE_AA)
        cv2.ellipse(ink, (200, 200), (49, 57), 0, 0, 360, 1.0, 43, cv2.LINE_AA)
    else:  # a 9: a loop and a stem
        cv2.ellipse(ink, (194, 94), (50, 50), 0, 0, 360, 1.0, 43, cv2.LINE_AA)
        cv2.line(ink, (244, 94), (231, 262), 1.0, 43, cv2.LINE_AA)
    _ys, xs = np.mgrid[0:300, 0:400]
    paper = 60 + 180 * xs / 400 + np.random.default_rng(label).normal(0, 3, (300, 400))
    photo = np.clip(paper * (1 - 0.75 * ink), 0, 255).astype(np.uint8)
    return np.repeat(photo[..., None], 3, axis=2)


@pytest.mark.parametrize("label", [8, 0, 9])  # once read with the loops as ink: as 3, 1 and 5
def test_a_thick_marker_on_a_page_lit_from_one_side_is_read(shipped, label):
    assert read(shipped, marker_photo(label), "photo") == label


# ---------------------------------------------------------------- MNIST test digits, redrawn


def mnist_test(real_data, n: int):
    from mnist_lab.data import load_dataset

    test = load_dataset("mnist", real_data, download=False).test
    return test.images[:n].numpy(), test.labels[:n].numpy()


@pytest.mark.realdata
@pytest.mark.slow
def test_mnist_digits_on_the_pad_at_their_own_size_read_at_least_99_5_percent(real_data, shipped):
    images, labels = mnist_test(real_data, 10_000)
    assert redraw.redrawn_accuracy(*shipped, images, labels, "pad_own_size", seed=0) >= 0.995


# measured at seed 1 on the first 600 test digits, less half a point; the code at 10a191a fell below
# the floors of pad_bold, marker, blur, low_contrast, tilted and grain
FLOORS = {
    **{"pad": 0.985, "pad_bold": 0.985, "pad_small": 0.98},
    **{"marker": 0.985, "thin_pen": 0.98, "side_light": 0.98, "uneven_light": 0.965, "shadow": 0.89},
    **{"blur": 0.98, "low_contrast": 0.965, "tilted": 0.98, "grain": 0.93, "chalk": 0.985},
}


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("condition,floor", FLOORS.items())
def test_redrawn_mnist_digits_read_above_their_floor_and_the_plain_recipe(real_data, shipped, condition, floor):
    images, labels = mnist_test(real_data, 600)
    pictures = redraw.redraw(images, condition, seed=1)
    ours = redraw.accuracy_on(*shipped, pictures, labels, redraw.SOURCE[condition])
    assert ours >= floor, ours
    assert ours >= plain_accuracy(shipped, pictures, labels) - 0.005, ours
