"""The pictures made for the first screen: the strip of layers, Home's card pictures, the class board's
curves and axes."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_lab import layers, models
from mnist_lab.charts import board, strips
from mnist_lab.classroom import BoardRow


@pytest.fixture(scope="module")
def lenet_acts():
    model = models.build_model("lenet5")
    digit = strips.glyphs("7")[0]
    return digit, layers.look_inside(model, digit, "standardize", 0)[1]


def test_the_strip_leaves_out_normalisation_and_activations_unless_asked(lenet_acts):
    _, acts = lenet_acts
    assert strips.strip_layers(acts) == ["c1", "s2", "c3", "s4", "c5", "f6", "f7"]
    assert strips.strip_layers(acts, everything=True) == [name for name, _, _ in acts]
    modern = [(r["layer"], r["type"], None) for r in models.summary("modern_cnn")]
    assert not {"bn1", "relu1", "dropout", "flatten"} & set(strips.strip_layers(modern))


def test_the_strip_has_a_column_per_layer_that_a_click_opens(lenet_acts):
    digit, acts = lenet_acts
    shown = strips.strip_layers(acts)
    fig = strips.layer_strip(digit, acts, shown, selected="s4")
    clicks = next(t for t in fig.data if t.type == "scatter" and t.mode == "markers")
    assert [c[0] for c in dict.fromkeys(tuple(c) for c in clicks.customdata)] == shown
    names = next(t for t in fig.data if t.type == "scatter" and t.mode == "text")
    assert list(names.text) == ["input", *shown]
    [frame] = fig.layout.shapes  # the opened layer, framed
    s4 = next(x for x, c in zip(clicks.x, clicks.customdata) if c[0] == "s4")
    assert frame.x0 < s4 < frame.x1
    maps = fig.data[0].z
    assert np.nanmin(maps) >= 0 and np.nanmax(maps) <= 1  # every map on its own 0..1 scale
    # a 5x5 map keeps its 25 cells when enlarged to a tile: nearest neighbour, no blur
    assert len(np.unique(strips._fit(np.arange(25.0).reshape(5, 5), strips.TILE, strips.TILE))) == 25


def test_home_cards_are_pictures_of_one_size():
    digits = strips.glyphs("0123456789")
    assert digits.shape == (10, 28, 28) and digits.dtype == np.uint8
    for d in digits:  # written in the middle, as MNIST centres its digits
        ys, xs = np.nonzero(d > 64)
        assert abs(ys.mean() - 13.5) < 3 and abs(xs.mean() - 13.5) < 3
    labels = np.arange(100) % 10
    cards = [
        strips.digits_card(digits),
        strips.edges_card(digits[3], digits[3]),
        strips.ours_card(digits),
        strips.maps_card(digits[7], np.random.default_rng(0).random((4, 5, 5))),
        strips.evidence_card(digits[4]),
        strips.confusion_card(labels, labels),
        strips.scatter_card(np.random.default_rng(0).normal(size=(100, 2)), labels),
        strips.sweep_card([digits[1]] * 3),
        strips.curves_card(),
        strips.bars_card(),
        strips.rows_card(),
        strips.pad_card(digits[2]),
    ]
    for card in cards:
        assert card.shape == (*strips.SIZE, 3) and card.dtype == np.uint8
        assert card.std() > 10  # something drawn, not a blank card


def _row(student, model, lr, acc, best=False, state="done"):
    return BoardRow(student, student, model, "adam", lr, 64, 2, False, acc, 10.0, state, best)


def test_the_board_names_the_learning_rates_used_on_a_log_axis():
    rows = [_row("Ana", "lenet5", 0.003, 0.981, True), _row("Ben", "mlp", 0.01, 0.962, True)]
    fig = board.class_scatter(rows, "lr")
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.ticktext) == ["0.003", "0.01"]  # never plotly's 2 3 4 5 between decades
    assert fig.layout.yaxis.range[1] == 1.0  # accuracy stops at 100%


def test_the_board_overlays_every_run_with_the_sessions_own_in_front():
    events = [{"type": "batch", "step": s, "total_steps": 50, "acc": min(1.0, 0.1 + s / 40)} for s in range(1, 51)]
    x, y = board.run_curve(events, epochs=2)
    assert x[-1] == 2.0 and len(x) == len(y) <= 120  # steps counted in epochs, at most 120 points
    assert board.run_curve([], epochs=2) == ((), ())
    curves = (("Ana", "lenet5", x, y, True), ("Ben", "mlp", x, tuple(v * 0.9 for v in y), False))
    fig = board.class_curves(curves, labels={"my_runs": "mine"})
    assert [t.name for t in fig.data] == ["mlp", "mine"]  # one's own drawn last, on top
    assert fig.data[1].line.width > fig.data[0].line.width
    assert fig.layout.yaxis.range[1] == 1.0


def test_the_board_ranks_finished_runs_best_first():
    rows = [_row("A", "mlp", 0.01, None, state="running"), _row("B", "mlp", 0.01, 0.95), _row("C", "mlp", 0.01, 0.99)]
    assert [r.student for r in board.ranked(rows)] == ["C", "B", "A"]
