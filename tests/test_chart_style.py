"""One visual language (charts/style.py): the class colours on every chart, the true class standing out,
percentages up to 100%, no lone dots, level axis titles, 12 px text or more, and both themes readable."""

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.colors import hex_to_rgb, sample_colorscale, unlabel_rgb

from mnist_lab.charts import answers, classdigits, digits, maps, style, sweeps, training
from tests.test_charts import events

WHITE, DARK = "#ffffff", "#0e1117"  # Streamlit's light and dark page backgrounds


def luminance(colour: str) -> float:
    rgb = unlabel_rgb(colour) if colour.startswith("rgb") else hex_to_rgb(colour)
    c = [v / 255 for v in rgb]
    c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def sweep(n: int = 37):
    values = np.linspace(-90, 90, n)
    probs = np.full((n, 10), 0.02)
    probs[:, 3] = 0.82  # always answers 3
    probs[n // 2 :, 3], probs[n // 2 :, 8] = 0.02, 0.82  # then 8
    return values, probs, [(n // 2, 3, 8)]


def every_figure() -> dict[str, go.Figure]:
    """One figure from each builder the pages use (the class board has its own owner and tests)."""
    rng = np.random.default_rng(0)
    cm = np.diag(rng.integers(900, 1100, 10))
    cm[4, 9], cm[7, 2] = 12, 1
    img = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    values, probs, flips = sweep()
    coords, true = rng.normal(size=(200, 2)), rng.integers(0, 10, 200)
    return {
        "digit_heatmap": digits.digit_heatmap(img, title="A digit"),
        "sample_grid": digits.sample_grid(
            rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
            list("abcdefgh"),
            caption_size=9,
            footers=list("abcdefgh"),
        ),
        "class_counts": digits.class_counts(rng.integers(5000, 7000, 10)),
        "kernel_heatmap": digits.kernel_heatmap(np.eye(3)),
        "feature_maps": digits.feature_maps(rng.normal(size=(3, 12, 12)), names=["grey", "a", "b"], diverging=True),
        "vector": digits.feature_maps(rng.normal(size=84)),
        "probability_bar": answers.probability_bar(np.eye(10)[7]),
        "confusion_matrix": answers.confusion_matrix(cm),
        "class_errors": answers.class_errors(cm),
        "attribution_map": maps.attribution_map(img, rng.normal(size=(28, 28)), signed=True),
        "digit_map": maps.digit_map(coords, true, (true + (rng.random(200) < 0.1)) % 10, star=(0, 0)),
        "robustness_chart": sweeps.robustness_chart(values, probs, flips, kind_label="Turn", true=7),
        "robustness_two": sweeps.robustness_chart(
            values, np.stack([probs, probs]), [flips, flips], kind_label="Turn", true=7, model_names=["a", "b"]
        ),
        "batch_curves": training.batch_curves(events(), title="Every batch"),
        "epoch_curves": training.epoch_curves(events()),
        "runs_overlay": training.runs_overlay({"a": events(epochs=3), "b": events(epochs=2)}),
        "runs_overlay_loss": training.runs_overlay({"a": events()}, "loss"),
        "last_values": training.runs_overlay({"a": events(epochs=1)}),
        "label_counts": classdigits.label_counts([3, 0, 1, 0, 0, 0, 0, 0, 0, 2]),
        "student_counts": classdigits.student_counts(["Ana", "Ben"], [5, 2], [0.8, 0.5]),
    }


FIGURES = every_figure()


def font_sizes(node, key: str = "") -> list[tuple[str, float]]:
    """Every font size set anywhere in a figure's JSON (font, textfont, tickfont, ...), with its key."""
    if isinstance(node, dict):
        found = [(key, s) for s in np.ravel(node["size"])] if key.endswith("font") and "size" in node else []
        return found + [f for k, v in node.items() for f in font_sizes(v, k)]
    if isinstance(node, list):
        return [f for v in node for f in font_sizes(v, key)]
    return []


# ---------------------------------------------------------------- colours


def test_ten_distinct_class_colours_that_read_on_white_and_on_dark():
    colours = style.CLASS_COLOURS
    assert len(set(colours)) == 10
    for c in colours:
        r, g, b = hex_to_rgb(c)
        assert max(r, g, b) - min(r, g, b) > 60, f"{c} is grey: it reads as faded"
        assert contrast(c, WHITE) > 1.6 and contrast(c, DARK) > 3, c


def test_every_per_class_chart_uses_the_class_colours():
    fig = FIGURES["digit_map"]
    assert [t.marker.color for t in fig.data[:10]] == list(style.CLASS_COLOURS)
    fig = FIGURES["robustness_chart"]
    assert [t.line.color for t in fig.data] == list(style.CLASS_COLOURS)
    assert list(FIGURES["class_counts"].data[0].marker.color) == list(style.CLASS_COLOURS)
    assert list(FIGURES["class_errors"].data[0].marker.color) == list(style.CLASS_COLOURS)


def test_the_true_class_stands_out_even_when_never_the_answer():
    values, probs, flips = sweep()
    fig = sweeps.robustness_chart(values, probs, flips, kind_label="Turn", true=7)
    seven, three, zero = fig.data[7], fig.data[3], fig.data[0]
    assert not np.asarray(seven.marker.size).any()  # 7 is never the answer ...
    assert seven.opacity == 1 and seven.line.width > three.line.width > zero.line.width  # ... yet it stands out
    assert zero.opacity < 1  # a class that is neither true nor ever the answer steps back
    plain = sweeps.robustness_chart(values, probs, flips, kind_label="Turn")
    assert plain.data[7].opacity < 1 and plain.data[7].line.width == zero.line.width


def test_errors_of_the_confusion_matrix_are_vivid_and_the_diagonal_apart():
    cm = np.diag([1000] * 10)
    cm[4, 9], cm[7, 2], cm[3, 5] = 1, 5, 40
    right, wrong, _ = answers.confusion_matrix(cm).data
    scale = [[float(at), colour] for at, colour in wrong.colorscale]
    z = np.asarray(wrong.z, dtype=float)
    assert np.isnan(np.diag(z)).all() and np.isnan(np.asarray(right.z, dtype=float)[4, 9])
    assert np.isnan(z[0, 1])  # no mistakes: no colour at all
    for t, p in ((4, 9), (7, 2), (3, 5)):
        share = (z[t, p] - wrong.zmin) / (wrong.zmax - wrong.zmin)
        colour = sample_colorscale(scale, [share])[0]
        assert contrast(colour, WHITE) > 1.5 and contrast(colour, DARK) > 3, (t, p, colour)
    one, forty = (sample_colorscale(scale, [(z[i] - wrong.zmin) / wrong.zmax])[0] for i in ((4, 9), (3, 5)))
    assert luminance(forty) < luminance(one)  # more mistakes, darker


def test_class_errors_count_what_99_percent_bars_hide():
    cm = np.diag([990, 997, 1000, 999, 990, 1000, 1000, 1000, 1000, 1000])
    cm[0, 6], cm[1, 7], cm[4, 9] = 10, 3, 10
    bars = answers.class_errors(cm, labels={"wrong": "틀린 개수"})
    assert list(bars.data[0].x) == [10, 3, 0, 0, 10, 0, 0, 0, 0, 0]
    assert bars.data[0].text[0] == "10 · 99.0%" and bars.data[0].text[1] == "3 · 99.7%"
    assert bars.layout.xaxis.title.text == "틀린 개수" and bars.layout.xaxis.range[1] >= 10


# ---------------------------------------------------------------- honest axes


@pytest.mark.parametrize(
    "name, axis",
    [("probability_bar", "yaxis"), ("batch_curves", "yaxis2"), ("epoch_curves", "yaxis2"), ("runs_overlay", "yaxis")],
)
def test_accuracy_axes_stop_at_100_percent(name, axis):
    y = FIGURES[name].layout[axis]
    assert y.tickformat == ".0%" and y.range[1] == 1 and 0 <= y.range[0] < 1


def test_a_single_point_does_not_stretch_the_axis_to_150_percent():
    assert style.accuracy_axis([0.991]) == dict(range=[0.9, 1.0], tickformat=".0%")
    assert style.accuracy_axis([1.0, None])["range"] == [0.9, 1.0]
    assert style.accuracy_axis([0.05, 0.7])["range"] == [0.0, 1.0]
    assert style.accuracy_axis([])["range"] == [0.0, 1.0]


def test_per_epoch_charts_need_two_epochs():
    assert not training.enough_epochs(events(epochs=1)) and training.enough_epochs(events(epochs=2))
    assert not training.enough_epochs([])
    fig = training.runs_overlay({"a": events(epochs=1), "b": events(epochs=1)}, "test_acc")
    assert [t.type for t in fig.data] == ["bar"]  # each run's number, not two lone dots
    assert list(fig.data[0].text) == ["88.00%", "88.00%"] and fig.layout.xaxis.range[1] == 1
    mixed = training.runs_overlay({"a": events(epochs=1), "b": events(epochs=3)}, "test_acc")
    assert [t.type for t in mixed.data] == ["scatter", "scatter"]


def test_the_sweep_axis_spans_the_sweep_exactly():
    values, probs, flips = sweep()
    fig = sweeps.robustness_chart(values, probs, flips, kind_label="Turn")
    assert list(fig.layout.xaxis.range) == [-90, 90]
    assert all(t.cliponaxis is False for t in fig.data)  # the dots at ±90° are drawn whole


def test_the_legend_lies_in_rows_above_the_chart():
    for name in ("robustness_chart", "digit_map", "batch_curves", "runs_overlay"):
        legend = FIGURES[name].layout.legend
        assert legend.orientation == "h" and legend.y >= 1, name


# ---------------------------------------------------------------- text


@pytest.mark.parametrize("name", list(FIGURES))
def test_no_rotated_axis_title(name):
    """A y axis title is written level, as an annotation over the axis: rotated Korean is hard to read."""
    layout = FIGURES[name].layout
    for axis in [k for k in layout if k.startswith("yaxis")]:
        assert not layout[axis].title.text, f"{name}: {axis} has a rotated title"
    for note in layout.annotations:
        assert note.textangle in (None, 0)


@pytest.mark.parametrize(
    "name",
    [
        "class_counts",
        "probability_bar",
        "class_errors",
        "vector",
        "label_counts",
        "runs_overlay",
        "robustness_chart",
        "confusion_matrix",
    ],
)
def test_charts_with_a_y_title_write_it_level(name):
    fig = FIGURES[name]
    titles = [a for a in fig.layout.annotations if a.name == style.LEVEL_TITLE]
    assert titles and all(a.text and a.yanchor == "bottom" and a.y == 1 for a in titles)
    assert fig.layout.margin.t >= style.ROW or titles[0].xanchor == "right"  # room above the plot (or beside it)


@pytest.mark.parametrize("name", list(FIGURES))
def test_text_is_12_px_or_more(name):
    fig = FIGURES[name]
    sizes = font_sizes(fig.to_plotly_json())
    assert fig.layout.font.size >= style.MIN_TEXT and fig.layout.uniformtext.minsize >= style.MIN_TEXT
    assert sizes  # the walk finds sizes
    small = [(where, size) for where, size in sizes if size < style.MIN_TEXT]
    assert small == [], f"{name}: {small}"


def test_text_in_pictures_is_12_px_or_more():
    fig = FIGURES["sample_grid"]  # asked for 9 px captions
    captions = [t for t in fig.data if t.type == "scatter" and t.mode == "text"]
    assert [t.textfont.size for t in captions] == [style.MIN_TEXT, style.MIN_TEXT]
    assert FIGURES["digit_heatmap"].data[0].textfont.size >= style.MIN_TEXT  # the pixel numbers


@pytest.mark.parametrize("name", list(FIGURES))
def test_text_on_the_page_takes_the_themes_colour(name):
    """Light and dark themes: text on the page's background sets no colour of its own (white titles on white
    was Filters'); text over a picture carries a dark outline, so it reads on white ink and black paper."""
    layout = FIGURES[name].layout
    assert layout.font.color is None and layout.title.font.color is None and layout.legend.font.color is None
    for note in layout.annotations:
        assert note.font.color is None, (name, note.text)
        assert note.bgcolor is None or luminance(note.bgcolor) < 0.6  # no white plate under light text
    for trace in FIGURES[name].data:
        if trace.type == "scatter" and trace.mode == "text":
            assert trace.textfont.shadow == style.HALO, name


def test_feature_map_names_read_on_a_white_map():
    """Filters: "grey", "correlation (cv2, torch)" and "convolution (kernel turned 180°)" were white on white."""
    flat = digits.feature_maps(np.zeros((2, 8, 8)), names=["correlation", "convolution"], diverging=True)
    names = flat.data[1]
    assert list(names.text) == ["correlation", "convolution"] and names.textfont.shadow == style.HALO
