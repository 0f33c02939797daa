import numpy as np
import plotly.graph_objects as go
import pytest

from mnist_lab.charts import answers, digits, selection, style, training


def trace_types(fig: go.Figure) -> list[str]:
    return [t.type for t in fig.data]


def events(n_batches: int = 30, epochs: int = 3) -> list[dict]:
    out = [{"type": "start", "device": "cpu", "total_steps": n_batches, "epochs": epochs}]
    for k in range(1, n_batches + 1):
        out.append(
            {
                "type": "batch",
                "epoch": 1 + (k - 1) * epochs // n_batches,
                "step": k,
                "loss": 2.3 / k,
                "acc": min(1.0, 0.1 + k / n_batches),
            }
        )
    for e in range(1, epochs + 1):
        out.append(
            {
                "type": "epoch",
                "epoch": e,
                "train_loss": 1 / e,
                "train_acc": 1 - 0.1 / e,
                "test_loss": 1.1 / e,
                "test_acc": 1 - 0.12 / e,
            }
        )
    out.append({"type": "end", "state": "done", "reason": None, "test_accuracy": 0.96})
    return out


def test_digit_heatmap_values_on_cells():
    img = np.arange(28 * 28, dtype=np.int64).reshape(28, 28) % 256
    fig = digits.digit_heatmap(img.astype(np.uint8), title="A digit")
    assert trace_types(fig) == ["heatmap"]
    hm = fig.data[0]
    assert hm.texttemplate == "%{z}" and hm.zmin == 0 and hm.zmax == 255
    assert np.array_equal(np.asarray(hm.z), img)
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.title.text == "A digit"
    assert digits.digit_heatmap(img, show_values=False).data[0].texttemplate is None


def test_sample_grid_one_heatmap_and_clickable_tiles():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    fig = digits.sample_grid(imgs, [f"label {i % 10}" for i in range(64)], cols=8, indices=range(100, 164))
    assert trace_types(fig) == ["heatmap", "scatter", "scatter"]
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (8 * 30 - 2, 8 * 30 - 2)
    assert np.array_equal(z[30:58, 60:88], imgs[10])  # tile 10 = row 1, column 2
    assert np.isnan(z[28, 0])  # the gap between tiles
    tiles = fig.data[1]
    assert list(tiles.customdata)[:3] == [100, 101, 102] and len(tiles.customdata) == 64
    assert tiles.x[10] == 60 + 13.5 and tiles.y[10] == 30 + 13.5
    assert fig.data[2].text[3] == "label 3"
    odd = digits.sample_grid(imgs[:5], cols=3)
    assert trace_types(odd) == ["heatmap", "scatter"]
    assert np.asarray(odd.data[0].z).shape == (58, 88)


def test_class_counts_and_probability_bar():
    fig = digits.class_counts([5, 7, 9], ["a", "b", "c"], labels={"count": "이미지 수"})
    assert trace_types(fig) == ["bar"] and list(fig.data[0].y) == [5, 7, 9]
    assert fig.layout.annotations[0].text == "이미지 수" and fig.layout.xaxis.title.text == "Class"
    p = np.full(10, 0.02)
    p[7] = 0.82
    fig = answers.probability_bar(p)
    colours = list(fig.data[0].marker.color)
    assert colours[7] == style.ACCENT and colours.count(style.ACCENT) == 1
    assert fig.data[0].text[7] == "82%"


def test_kernel_heatmap_numbers_and_symmetric_colours():
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    fig = digits.kernel_heatmap(k, decimals=1)
    hm = fig.data[0]
    assert hm.type == "heatmap" and hm.texttemplate == "%{z:.1f}"
    assert hm.zmin == -2 and hm.zmax == 2


def test_feature_maps_grid_scaled_per_map_with_real_values_on_hover():
    rng = np.random.default_rng(1)
    act = rng.normal(size=(6, 12, 12)).astype(np.float32)
    act[2] *= 100
    fig = digits.feature_maps(act, cols=3, names=[f"ch{i}" for i in range(6)], title="conv1")
    assert trace_types(fig) == ["heatmap", "scatter"]
    z = np.asarray(fig.data[0].z, dtype=float)
    raw = np.asarray(fig.data[0].customdata, dtype=float)
    gap = 1
    tile2 = z[0:12, 2 * (12 + gap) : 2 * (12 + gap) + 12]
    assert np.nanmin(tile2) == pytest.approx(0) and np.nanmax(tile2) == pytest.approx(1)
    np.testing.assert_allclose(raw[0:12, 2 * 13 : 2 * 13 + 12], act[2], rtol=1e-6)
    assert list(fig.data[1].text) == [f"ch{i}" for i in range(6)]
    shared = digits.feature_maps(act, shared_scale=True)
    zs = np.asarray(shared.data[0].z, dtype=float)
    assert np.nanmax(zs[0:12, 0:12]) < 0.6  # small channel looks dim next to the big one
    assert trace_types(digits.feature_maps(np.arange(10.0))) == ["bar"]
    with pytest.raises(ValueError):
        digits.feature_maps(np.zeros((2, 2)))


def test_feature_maps_caps_count_and_filter_grid():
    fig = digits.feature_maps(np.random.default_rng(2).random((100, 5, 5)), max_maps=64)
    assert len(fig.data[1].text) == 64
    w = np.random.default_rng(3).normal(size=(16, 6, 5, 5))
    fg = digits.filter_grid(w, in_channel=2)
    raw = np.asarray(fg.data[0].customdata, dtype=float)
    np.testing.assert_allclose(raw[0:5, 0:5], w[0, 2], rtol=1e-5)
    assert fg.data[0].zmin == -1 and fg.data[0].colorscale is not None


def test_smooth_is_debiased_ema():
    assert np.allclose(training.smooth([5, 5, 5, 5]), 5)
    s = training.smooth([0, 10], smoothing=0.5)
    assert s[0] == 0 and s[1] == pytest.approx(10 * 0.5 / 0.75)
    assert np.allclose(training.smooth([1, 2, 3], smoothing=0), [1, 2, 3])


def test_batch_and_epoch_curves():
    ev = events()
    fig = training.batch_curves(ev, labels={"raw": "원본", "loss": "손실"})
    assert trace_types(fig) == ["scatter"] * 4
    raw, smoothed = fig.data[0], fig.data[1]
    assert len(raw.x) == 30 and raw.name == "원본"
    assert smoothed.y[-1] > raw.y[-1]  # a falling loss: the smoothed curve lags above it
    assert fig.layout.annotations[0].text == "손실"  # written level over the left plot
    fig = training.epoch_curves(ev)
    assert trace_types(fig) == ["scatter"] * 4
    assert [t.name for t in fig.data] == ["train", "test", "train", "test"]
    assert list(fig.data[3].y) == pytest.approx([1 - 0.12 / e for e in (1, 2, 3)])
    assert trace_types(training.batch_curves([])) == ["scatter"] * 4  # a run that has not started yet


def test_runs_overlay():
    runs = {"lenet5 #1": events(epochs=3), "mlp #2": events(epochs=2)}
    fig = training.runs_overlay(runs, "test_acc")
    assert [t.name for t in fig.data] == list(runs) and len(fig.data[1].x) == 2
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis.range[1] == 1
    fig = training.runs_overlay(runs, "loss", labels={"step": "단계"})
    assert len(fig.data[0].x) == 30 and fig.layout.xaxis.title.text == "단계"


def test_confusion_matrix_clickable_cells():
    cm = np.zeros((10, 10), int)
    np.fill_diagonal(cm, 100)
    cm[4, 9] = 7
    fig = answers.confusion_matrix(cm, labels={"true": "정답", "predicted": "예측"})
    assert trace_types(fig) == ["heatmap", "heatmap", "scatter"]  # the right answers, the mistakes, the cells
    right, wrong = (np.asarray(t.text) for t in fig.data[:2])
    assert list(np.diag(right)) == ["100"] * 10 and wrong[4, 9] == "7"
    assert wrong[0, 1] == "" and right[4, 9] == ""  # a cell says its count once; an empty one stays blank
    cells = np.asarray(fig.data[2].customdata)
    assert cells.shape == (100, 3) and cells.dtype.kind == "i"
    row = cells[(cells[:, 0] == 4) & (cells[:, 1] == 9)][0]
    assert row[2] == 7
    i = int(np.flatnonzero((cells[:, 0] == 4) & (cells[:, 1] == 9))[0])
    assert fig.data[2].x[i] == 9 and fig.data[2].y[i] == 4  # x = predicted column, y = true row
    assert fig.layout.xaxis.title.text == "예측"
    assert [a.text for a in fig.layout.annotations if a.name == style.LEVEL_TITLE] == ["정답"]


def test_default_labels_cover_every_key_used():
    import re
    from pathlib import Path

    import mnist_lab.charts

    source = "".join(p.read_text() for p in Path(mnist_lab.charts.__file__).parent.glob("*.py"))
    keys = set(re.findall(r"_t\(labels, \"(\w+)\"\)|_t\(labels, '(\w+)'\)", source))
    used = {a or b for a, b in keys}
    assert used and used <= set(style.DEFAULT_LABELS)


@pytest.mark.parametrize(
    "points, expected",
    [
        ([], None),
        ([{"x": 1}], None),
        ([{"customdata": {"1": 9, "0": 4, "2": 7}}], [4, 9, 7]),  # how the browser sends an array
        ([{"customdata": [4, 9]}, {"customdata": [1, 1]}], [4, 9]),
        ([{"customdata": 17}], [17]),
    ],
)
def test_selected_customdata(points, expected):
    assert selection.selected_customdata(points) == expected


def test_selected_indices_every_point_once_in_order():
    points = [{"customdata": 40}, {"customdata": 3}, {"customdata": 40.0}, {"x": 1, "y": 2}, {"customdata": [1, 2]}]
    assert selection.selected_indices(points) == [3, 40]  # the star (no customdata) and arrays are left out
    assert selection.selected_indices([]) == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_quick_probability_bar_is_the_checked_one_and_shares_nothing(lang):
    import json

    import plotly.io as pio

    from mnist_lab import i18n

    names = [str(i) for i in range(10)]
    for seed, title in ((0, None), (1, "t")):
        p = np.random.default_rng(seed).dirichlet(np.ones(10))
        quick = answers.probability_bar(p, names, title=title, labels=i18n.chart_labels(lang))
        checked = answers.checked_probability_bar(p, names, title=title, labels=i18n.chart_labels(lang))
        assert json.loads(pio.to_json(quick)) == json.loads(pio.to_json(checked))
    quick.update_layout(height=999)  # a page sizing its copy leaves the next one alone
    assert answers.probability_bar(p, names, labels=i18n.chart_labels(lang)).layout.height is None


def test_the_probability_bars_measure_no_text_for_digits_but_do_for_longer_names():
    """Digits get fixed margins (the browser draws these bars anew at every stroke, and automargin draws them
    twice), wide enough for the "100%" tick; clothes' names can be long and tilt, so plotly sizes those."""
    from mnist_lab import i18n

    fig = answers.probability_bar(np.eye(10)[3], [str(i) for i in range(10)])
    assert fig.layout.xaxis.automargin is False and fig.layout.yaxis.automargin is False
    assert fig.layout.margin.l >= style.text_width("100%", style.MIN_TEXT) + 8  # the tick and plotly's pad
    assert fig.layout.margin.b >= 2 * style.ROW  # a row of ticks and the axis title under it
    clothes = answers.probability_bar(np.eye(10)[3], i18n.class_names("fashion", "en"))
    assert clothes.layout.xaxis.automargin is None and clothes.layout.margin.b == 10


def test_a_shared_figure_sends_what_its_builder_made_and_makes_its_dict_once():
    """ui.figure's figures are every session's: st.plotly_chart gets the same figure as the builder's (a
    property set to None, sent as {}, is left out, which plotly.js reads the same), the dict is made once, a language
    is one figure and another language another, and chart() refuses to resize one for everybody."""
    import json

    import plotly.io as pio
    import plotly.tools

    from mnist_lab import i18n
    from ui import widgets

    def sent(fig) -> dict:  # what st.plotly_chart serialises
        return json.loads(pio.to_json(plotly.tools.return_figure_from_figure_or_data(fig, True), validate=False))

    def without_none(d):
        if isinstance(d, dict):
            return {k: without_none(v) for k, v in d.items() if v not in (None, {})}
        return [without_none(v) for v in d] if isinstance(d, list) else d

    imgs = np.random.default_rng(0).integers(0, 255, (12, 28, 28)).astype(np.uint8)
    ko = i18n.chart_labels("ko")
    shared = widgets.figure(digits.sample_grid, imgs, [str(i % 10) for i in range(12)], cols=4, height=300)
    plain = digits.sample_grid(imgs, [str(i % 10) for i in range(12)], cols=4).update_layout(height=300)
    assert sent(shared) == without_none(sent(plain))
    assert shared.to_dict() is shared.to_dict()
    bars = widgets.figure(answers.probability_bar, np.eye(10)[2], labels=ko)
    assert widgets.figure(answers.probability_bar, np.eye(10)[2], labels=i18n.chart_labels("ko")) is bars
    english = widgets.figure(answers.probability_bar, np.eye(10)[2], labels=i18n.chart_labels("en"))
    assert english is not bars and english.layout.xaxis.title.text != bars.layout.xaxis.title.text
    with pytest.raises(ValueError, match=r"ui\.figure"):
        widgets.chart(bars, "k", height=100)
