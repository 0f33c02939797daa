"""The shipped default model: small, loadable safely, described by its card, and reads drawn digits."""

import json

import cv2
import numpy as np
import pytest

from mnist_lab.checkpoints import default_checkpoint, load_model, read_card
from mnist_lab.evaluate import evaluate, predict_proba
from mnist_lab.preprocess import prepare_digit


def test_card_and_size():
    path = default_checkpoint()
    card = read_card(path)
    assert card == json.loads(path.with_suffix(".json").read_text())
    assert path.stat().st_size <= 2_000_000 and card["size_bytes"] == path.stat().st_size
    for key in ("model", "preset", "epochs", "test_accuracy", "command", "date"):
        assert key in card
    assert card["test_accuracy"] >= 0.99
    # what a class sees on the Draw page, measured on redrawn test digits (the Home page shows both)
    assert card["redrawn_canvas_accuracy"] >= 0.98 and card["redrawn_photo_accuracy"] >= 0.95
    assert card["redraw"]["images"] == 10_000 and isinstance(card["redraw"]["seed"], int)
    _model, meta = load_model(path)
    assert meta.model == card["model"] and meta.test_accuracy == card["test_accuracy"]


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
@pytest.mark.parametrize(
    "polarity,source", [("dark-on-light", "photo"), ("light-on-dark", "photo"), ("light-on-dark", "pad")]
)
def test_reads_hand_drawn_digits(label, polarity, source):
    model, meta = load_model(default_checkpoint())
    ink, paper = (0, 255) if polarity == "dark-on-light" else (255, 0)
    prepared = prepare_digit(draw(DIGITS[label], ink=ink, paper=paper), source)
    probs = predict_proba(model, prepared.image[None], meta.normalize, meta.pad)[0]
    assert int(probs.argmax()) == label, probs.round(3)


@pytest.mark.realdata
@pytest.mark.slow
def test_shipped_model_scores_what_its_card_says(real_data):
    """The card's accuracy, measured again on the real MNIST test set (10,000 digits)."""
    from mnist_lab.data import load_dataset

    model, meta = load_model(default_checkpoint())
    card = read_card()
    ev = evaluate(model, load_dataset(meta.dataset, real_data, download=False).test, meta.normalize, meta.pad)
    assert len(ev.labels) == 10_000
    # the card rounds to 4 places; a different CPU may flip one or two borderline digits
    assert ev.accuracy == pytest.approx(card["test_accuracy"], abs=0.0003), ev.accuracy
    np.testing.assert_allclose(ev.per_class, card["per_class_accuracy"], atol=0.002)


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("style", ["canvas", "photo"])
def test_shipped_model_reads_redrawn_digits_as_its_card_says(real_data, style):
    """The first 1,000 test digits, redrawn with the card's seed (the same pictures the card's figure
    began with): within two points of the card's figure over all 10,000."""
    from mnist_lab.data import load_dataset
    from mnist_lab.redraw import redrawn_accuracy

    model, meta = load_model(default_checkpoint())
    card = read_card()
    test = load_dataset(meta.dataset, real_data, download=False).test
    images, labels = test.images[:1000].numpy(), test.labels[:1000].numpy()
    accuracy = redrawn_accuracy(model, meta, images, labels, style, card["redraw"]["seed"])
    assert accuracy == pytest.approx(card[f"redrawn_{style}_accuracy"], abs=0.02)
