"""What the Draw page's pad sends, read back: a blank pad, an emptied one, a drawing, and what it never sends."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from mnist_lab import i18n, padink, preprocess
from mnist_lab.images import ImageError
from tests.helpers import assert_ok, draw_on_pad, goto, start

DRAW = "app_pages/8_Draw.py"


def _seven(side: int = 280) -> np.ndarray:
    sheet = np.zeros((side, side), np.uint8)
    cv2.line(sheet, (side // 4, side // 5), (3 * side // 4, side // 5), 255, side // 14)
    cv2.line(sheet, (3 * side // 4, side // 5), (side // 2, 4 * side // 5), 255, side // 14)
    return sheet


def _png(picture: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(cv2.imencode(".png", picture)[1].tobytes()).decode()


def test_never_drawn_and_emptied_are_told_apart():
    assert padink.read_ink(None) is None
    emptied = padink.read_ink({"strokes": 0, "n": 4})
    assert emptied.picture is None and emptied.n == 4


def test_a_drawing_comes_back_cropped_small_and_reads_like_the_whole_pad():
    message = padink.message_for(_seven(), n=3)
    ink = padink.read_ink(message)
    assert max(ink.picture.shape) == padink.SEND and ink.n == 3
    x, y, w, h = ink.box
    assert min(x, y) >= 0 and x + w <= padink.PAD and y + h <= padink.PAD
    assert ink.picture.max() == 255 and np.median(ink.picture) == 0  # white ink on black
    whole, sent = preprocess.prepare_digit(_seven(), "pad").image, preprocess.prepare_digit(ink.picture, "pad").image
    assert np.abs(whole.astype(int) - sent).mean() < 3  # grey levels out of 255, on average
    assert padink.message_for(np.zeros((280, 280), np.uint8)) is None


@pytest.mark.parametrize(
    "message",
    [
        "a string",
        {"png": "http://example.com/x.png", "box": [0, 0, 10, 10]},
        {"png": "data:image/png;base64,!!!not base64!!!", "box": [0, 0, 10, 10]},
        {"png": "data:image/png;base64," + base64.b64encode(b"hello").decode(), "box": [0, 0, 10, 10]},
        {"png": "data:image/png;base64," + "A" * 300_000, "box": [0, 0, 10, 10]},
        {"png": _png(np.zeros((20, 20), np.uint8)), "box": [0, 0, 10]},
        {"png": _png(np.zeros((20, 20), np.uint8)), "box": ["a", 0, 1, 1]},
        {"png": _png(np.zeros((400, 400), np.uint8)), "box": [0, 0, 400, 400]},
        {"strokes": 0, "n": "many"},
    ],
)
def test_what_the_pad_never_sends_is_refused(message):
    with pytest.raises(ImageError):
        padink.read_ink(message)


def test_the_draw_page_says_so_for_a_message_the_pad_never_sends(tiny_mnist, runs_dir):
    at = goto(start(), DRAW)
    at.session_state["pad"] = {"ink": {"png": "data:image/png;base64,AAAA", "box": [0, 0, 1, 1]}}
    at.run()
    assert not at.exception and i18n.t("common.bad_image") in at.error[0].value
    at = draw_on_pad(at, _seven(), n=2)  # the next stroke is read as usual
    assert_ok(at, DRAW)
    assert not at.error and [m.value for m in at.metric if m.label == i18n.t("draw.prediction")] == ["7"]
