"""The shipped default model: small, loadable safely, described by its card, and reads drawn digits."""
import json

import cv2
import numpy as np
import pytest

from mnist_lab.evaluate import predict_proba
from mnist_lab.preprocess import prepare_digit
from mnist_lab.runs import default_checkpoint, load_model


def test_card_and_size():
    path = default_checkpoint()
    card = json.loads(path.with_suffix(".json").read_text())
    assert path.stat().st_size <= 2_000_000 and card["size_bytes"] == path.stat().st_size
    for key in ("model", "preset", "epochs", "test_accuracy", "command", "date"):
        assert key in card
    assert card["test_accuracy"] >= 0.99
    model, meta = load_model(path)
    assert meta["model"] == card["model"]


def draw(strokes, size=(300, 400), ink=0, paper=255, width=22):
    canvas = np.full(size, paper, np.uint8)
    for kind, *args in strokes:
        if kind == "line":
            cv2.line(canvas, args[0], args[1], ink, width)
        else:
            cv2.ellipse(canvas, args[0], args[1], 0, 0, 360, ink, width)
    return canvas


DIGITS = {
    1: [("line", (210, 40), (200, 260))],
    7: [("line", (120, 50), (290, 50)), ("line", (290, 50), (170, 260))],
    0: [("ellipse", (200, 150), (70, 110))],
    4: [("line", (230, 40), (120, 190)), ("line", (120, 190), (280, 190)), ("line", (240, 110), (240, 270))],
}


@pytest.mark.parametrize("label", sorted(DIGITS))
@pytest.mark.parametrize("polarity", ["dark-on-light", "light-on-dark"])
def test_reads_hand_drawn_digits(label, polarity):
    model, meta = load_model(default_checkpoint())
    ink, paper = (0, 255) if polarity == "dark-on-light" else (255, 0)
    prepared = prepare_digit(draw(DIGITS[label], ink=ink, paper=paper))
    probs = predict_proba(model, prepared.image[None], meta["normalize"], meta["pad"])[0]
    assert int(probs.argmax()) == label, probs.round(3)
