"""Robustness sweeps: the transforms, flips, probabilities along a sweep, the chart, and the page."""

from __future__ import annotations

import base64
import json
import shutil
import time

import cv2
import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from mnist_lab import i18n, robustness
from mnist_lab.charts import sweeps
from mnist_lab.checkpoints import ModelMeta
from mnist_lab.models import build_model
from mnist_lab.registry import MODELS
from tests.helpers import assert_ok, by_label, goto, start, texts

PAGE = "app_pages/11_Robustness.py"


def _bar() -> np.ndarray:
    """A horizontal bar through the middle, 2 px thick, 16 px long."""
    img = np.zeros((28, 28), np.uint8)
    img[13:15, 6:22] = 255
    return img


def _seven() -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    cv2.line(img, (7, 7), (21, 7), 255, 2)
    cv2.line(img, (21, 7), (12, 23), 255, 2)
    return img


def _ink_box(img: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(img > 127)
    return int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())


# ---------------------------------------------------------------- transforms


@pytest.mark.parametrize("kind", robustness.KINDS)
def test_every_transform_keeps_shape_and_dtype_and_its_identity_changes_nothing(kind):
    spec = robustness.SWEEPS[kind]
    img = _seven()
    assert np.array_equal(robustness.transform(img, kind, spec.identity), img)
    for v in (spec.low, (spec.low + spec.high) / 2, spec.high):
        out = robustness.transform(img, kind, v)
        assert out.shape == (28, 28) and out.dtype == np.uint8
    values, images = robustness.sweep(img, kind)
    assert values[0] == spec.low and values[-1] == spec.high and len(values) == spec.steps
    assert images.shape == (spec.steps, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images[int(np.argmin(np.abs(values - spec.identity)))], img)  # the sweep holds the digit
    for v, one in zip(values[::5], images[::5]):  # the sweep is the same as the transform, step by step
        assert np.array_equal(one, robustness.transform(img, kind, v))


def test_a_quarter_turn_stands_a_horizontal_bar_up_turning_to_the_left():
    top, bottom, left, right = _ink_box(robustness.transform(_bar(), "rotate", 90))
    assert right - left <= 2 and bottom - top >= 14  # tall and thin: vertical
    assert top >= 6 and bottom <= 21 and left >= 12 and right <= 15  # turned about the centre
    dot = np.zeros((28, 28), np.uint8)
    dot[13:15, 22:25] = 255  # right of the centre
    top, bottom, left, right = _ink_box(robustness.transform(dot, "rotate", 90))
    assert bottom < 8 and left >= 12 and right <= 15  # now above it: + turns anticlockwise


def test_scale_and_shifts_move_and_resize_the_ink():
    top, bottom, left, right = _ink_box(_bar())
    assert _ink_box(robustness.transform(_bar(), "shift_x", 3)) == (top, bottom, left + 3, right + 3)
    assert _ink_box(robustness.transform(_bar(), "shift_y", -4)) == (top - 4, bottom - 4, left, right)
    small = _ink_box(robustness.transform(_bar(), "scale", 0.5))
    assert small[3] - small[2] < (right - left) * 0.6


def test_thickness_widens_and_narrows_strokes_but_never_erases_a_digit():
    widths = [int((robustness.transform(_bar(), "thickness", v) > 127).any(axis=1).sum()) for v in range(-2, 4)]
    assert widths[2] == 2 and widths[3:] == [3, 4, 5]  # one pixel wider a step
    assert widths[1] == 1
    hairline = np.zeros((28, 28), np.uint8)
    hairline[4:24, 14] = 200
    for img in (_bar(), hairline, _seven()):
        _, images = robustness.sweep(img, "thickness")
        assert all((one > 100).sum() >= 10 for one in images)
        assert _ink_box(images[-1])[2] >= _ink_box(img)[2] - 2  # grown in place, not slid aside


def test_noise_is_repeatable_with_its_seed_and_grows_along_the_sweep():
    img = _seven()
    a, b = robustness.transform(img, "noise", 64, seed=3), robustness.transform(img, "noise", 64, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, robustness.transform(img, "noise", 64, seed=4))
    _, images = robustness.sweep(img, "noise", seed=3)
    assert np.array_equal(images[16], a)  # step 16 of 0..128 by 4 is sigma 64, with the same speckles
    change = [np.abs(one.astype(int) - img).mean() for one in images]
    assert change[0] == 0 and np.all(np.diff(change) >= 0)


def test_bad_input_is_refused_in_words():
    with pytest.raises(ValueError, match="unknown transform"):
        robustness.transform(_seven(), "melt", 1)
    with pytest.raises(ValueError, match="28x28"):
        robustness.sweep(np.zeros((5, 5), np.uint8), "rotate")
    out = robustness.transform(_seven().astype(np.float64) * 2, "rotate", 400)  # clipped: the pixels and the value
    assert out.dtype == np.uint8
    assert np.array_equal(out, robustness.transform(np.clip(_seven() * 2.0, 0, 255), "rotate", 90))


def test_values_are_written_plainly():
    assert [robustness.value_text("rotate", v) for v in (-45.0, -1e-12, 5.0)] == ["-45", "0", "5"]
    assert robustness.value_text("scale", 1.2000001) == "1.20"
    assert robustness.strip_indices(37) == list(range(0, 37, 3))
    assert robustness.strip_indices(6) == list(range(6))


def test_a_sweep_is_summed_up_in_words():
    tr = i18n.translator("en")
    assert robustness.value_label("rotate", -45.0, tr) == "-45°" and robustness.value_label("scale", 1.2, tr) == "×1.20"
    values = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    steady = np.tile(np.eye(10)[7], (5, 1))
    assert robustness.summary(values, steady, "rotate", i18n.class_names("mnist"), tr) == tr(
        "robust.steady", cls="7", start="-10°", end="10°"
    )
    flipping = np.eye(10)[[7, 7, 1, 1, 9]]
    said = robustness.summary(values, flipping, "rotate", i18n.class_names("mnist"), tr)
    chain = "7 (-10° to -5°) → 1 (0° to 5°) → 9 (10°)"  # a one-step stretch is one value
    assert said == tr("robust.flipped", n=2, chain=chain)
    noisy = np.eye(10)[[1, 2, 1, 2, 1]]
    assert robustness.summary(values, noisy, "rotate", [str(k) for k in range(10)], tr, most=2).endswith("2 (-5°) → …")


# ---------------------------------------------------------------- flips and probabilities


def test_flips_finds_exactly_the_changes_of_answer():
    answers = [7, 7, 7, 1, 1, 7, 4, 4]
    probs = np.full((len(answers), 10), 0.05)
    probs[np.arange(len(answers)), answers] = 0.55
    assert robustness.flips(probs) == [(3, 7, 1), (5, 1, 7), (6, 7, 4)]
    assert robustness.flips(probs[:3]) == [] and robustness.flips(np.zeros((0, 10))) == []
    values = np.arange(len(answers)) * 5.0
    assert robustness.segments(values, probs) == [(7, 0, 10), (1, 15, 20), (7, 25, 25), (4, 30, 35)]


@pytest.mark.parametrize("name", list(MODELS))
def test_sweep_probabilities_one_row_per_step_summing_to_one(name):
    torch.manual_seed(0)
    model = build_model(name).eval()
    meta = ModelMeta(name, "standardize", MODELS[name].pad)
    probs = robustness.sweep_probabilities(model, meta, _seven(), "rotate")
    assert probs.shape == (37, 10)
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert robustness.sweep_probabilities(model, meta, _seven(), "thickness", steps=11).shape == (11, 10)


def test_a_sweep_is_quick_for_a_lenet():
    torch.manual_seed(0)
    model, meta = build_model("lenet5").eval(), ModelMeta("lenet5", "standardize", MODELS["lenet5"].pad)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        robustness.sweep_probabilities(model, meta, _seven(), "rotate")
        best = min(_timed(lambda: robustness.sweep_probabilities(model, meta, _seven(), "rotate")) for _ in range(5))
    finally:
        torch.set_num_threads(threads)
    assert best < 0.1  # ~5 ms on a quiet core; generous for a busy machine


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# ---------------------------------------------------------------- the chart


def _flip_marks(fig: go.Figure) -> tuple[list, list]:
    return [s for s in fig.layout.shapes if s.name == "flip"], [a for a in fig.layout.annotations if a.name == "flip"]


def test_the_chart_has_ten_lines_and_marks_each_flip():
    answers = [7, 7, 7, 1, 1, 7, 4, 4]
    probs = np.full((8, 10), 0.05)
    probs[np.arange(8), answers] = 0.55
    values = np.arange(8) * 5.0
    flips = robustness.flips(probs)
    fig = sweeps.robustness_chart(values, probs, flips, kind_label="Turn", class_names=i18n.class_names("mnist"))
    assert len(fig.data) == 10 and all(t.type == "scatter" for t in fig.data)
    shapes, notes = _flip_marks(fig)
    assert len(shapes) == len(notes) == 3
    assert [n.text for n in notes] == ["7→1", "1→7", "7→4"]
    assert [s.x0 for s in shapes] == [12.5, 22.5, 27.5]  # between the two steps the answer changed between
    assert fig.layout.xaxis.title.text == "Turn" and fig.layout.yaxis.range == (0, 1.05)
    seven = fig.data[7]
    assert list(seven.marker.size) == [8 if a == 7 else 0 for a in answers]  # a dot on the answer
    assert seven.line.width > fig.data[0].line.width and fig.data[0].opacity < 1  # 0 is never the answer


def test_the_chart_compares_two_models_on_one_x_axis():
    values = np.linspace(-90, 90, 37)
    rng = np.random.default_rng(0)
    a, b = rng.dirichlet(np.ones(10), 37), np.tile(np.eye(10)[3], (37, 1))
    flips = [robustness.flips(a), robustness.flips(b)]
    fig = sweeps.robustness_chart(
        values, np.stack([a, b]), flips, kind_label="x", class_names=None, model_names=["<b>Ana</b>", "B"]
    )
    assert len(fig.data) == 20
    assert {t.xaxis for t in fig.data[:10]} == {"x"} and {t.xaxis for t in fig.data[10:]} == {"x2"}
    assert fig.layout.xaxis2.matches == "x"
    assert sum(t.showlegend is not False for t in fig.data) == 10  # one legend entry per class
    shapes, notes = _flip_marks(fig)
    assert len(shapes) == len(notes) == len(flips[0]) > 0
    assert any("&lt;b&gt;Ana" in n.text for n in fig.layout.annotations)  # a typed name stays text
    with pytest.raises(ValueError):
        sweeps.robustness_chart(values, np.stack([a, b]), flips[:1], kind_label="x")


# ---------------------------------------------------------------- the page


@pytest.fixture
def fashion_mlp_run(runs_dir) -> str:
    """A finished run of an (untrained) MLP on Fashion-MNIST."""
    from mnist_lab import checkpoints, config, runs

    cfg = config.make_config("mlp", "fast", epochs=1).to_dict()
    run = runs.RunStore(runs_dir).create(cfg)
    meta = ModelMeta("mlp", "standardize", 0, "fashion", config=cfg, epoch=1, test_accuracy=0.1)
    checkpoints.save_checkpoint(run.checkpoint_path(), build_model("mlp"), meta)
    run.set_status("done", started=time.time() - 5, test_accuracy=0.1)
    return run.run_id


def _figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _array(a) -> np.ndarray:
    """A plotly JSON array: a list, or {"bdata": base64, "dtype": ...} for numpy data."""
    if isinstance(a, dict):
        return np.frombuffer(base64.b64decode(a["bdata"]), dtype=a["dtype"])
    return np.asarray(a)


def _sweep_chart(at) -> dict:
    return next(f for f in _figures(at) if len(f["data"]) % 10 == 0 and f["data"][0]["type"] == "scatter")


def test_the_page_sweeps_a_test_digit(tiny_mnist, runs_dir):
    at = goto(start(), PAGE)
    assert_ok(at, PAGE)
    assert by_label(at.number_input, "fm.index").value == 0
    assert len(at.get("plotly_chart")) == 2  # the strip of pictures, the probabilities
    assert len(_sweep_chart(at)["data"]) == 10
    summary = texts(at.markdown)
    assert i18n.t("robust.steady").split("{")[0] in summary or i18n.t("robust.flipped").split("{")[0] in summary
    assert i18n.t("robust.true_label", label="") in summary
    assert i18n.t("robust.how.rotate") in texts(at.caption)


def test_the_page_sweeps_the_drawn_digit(tiny_mnist, runs_dir):
    at = start()
    at.session_state["drawn_digit"] = _seven()
    at.session_state["digit_source"] = "drawn"
    at = goto(at, PAGE)
    assert_ok(at, PAGE)
    assert not at.number_input  # no test-image index for a drawn digit
    assert len(_sweep_chart(at)["data"]) == 10


@pytest.mark.parametrize("kind", robustness.KINDS)
def test_every_transform_renders(tiny_mnist, runs_dir, kind):
    at = start()
    at.session_state["robust_kind"] = kind
    at = goto(at, PAGE)
    assert_ok(at, PAGE)
    assert i18n.t(f"robust.how.{kind}") in texts(at.caption)
    chart = _sweep_chart(at)
    assert len(_array(chart["data"][0]["x"])) == robustness.SWEEPS[kind].steps
    assert chart["layout"]["xaxis"]["title"]["text"] == i18n.t(f"robust.axis.{kind}")


def test_the_transform_is_picked_with_the_segmented_control(tiny_mnist, runs_dir):
    at = goto(start(), PAGE)

    def kinds():
        return next(b for b in at.get("button_group") if len(b.proto.options) == len(robustness.KINDS))

    kinds().set_value("noise").run()
    assert not at.exception
    assert at.session_state["robust_kind"] == "noise"
    assert i18n.t("robust.how.noise") in texts(at.caption)
    for kind in ("scale", "shift_x", "thickness"):  # one click after another, none lost
        kinds().set_value(kind).run()
        assert at.session_state["robust_kind"] == kind
        assert i18n.t(f"robust.how.{kind}") in texts(at.caption)
    at = goto(goto(at, "app_pages/0_Home.py"), PAGE)  # back from another page: the same change
    assert at.session_state["robust_kind"] == "thickness" and kinds().value == "thickness"


def test_two_models_on_the_same_sweep(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["robust_compare"] = model_run
    at = goto(at, PAGE)
    assert_ok(at, PAGE)
    assert by_label(at.selectbox, "robust.compare").value == model_run
    assert len(_sweep_chart(at)["data"]) == 20
    body = texts(at.markdown)
    assert f"**{i18n.t('robust.model_in_use')}**" in body and f"**{i18n.t('robust.second_model')}**" in body


def test_a_deleted_second_model_is_a_plain_warning(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["robust_compare"] = model_run
    at = goto(at, PAGE)
    assert len(_sweep_chart(at)["data"]) == 20
    shutil.rmtree(runs_dir / model_run)
    at.run()
    assert_ok(at, PAGE)
    assert i18n.t("model.run_missing", run=model_run) in texts(at.warning)
    assert len(_sweep_chart(at)["data"]) == 10
    assert at.session_state["robust_compare"] is None


def test_a_second_model_that_goes_between_listing_and_loading_is_left_out_after_saying_why(
    tiny_mnist, runs_dir, model_run, monkeypatch
):
    """Listed when the page starts, gone (or its checkpoint gone) before it is loaded: ui.load_choice says so."""
    import ui

    at = goto(start(), PAGE)
    listed = {"default": "shipped", model_run: "a run", "gone-run": "gone"}
    monkeypatch.setattr(ui, "model_options", lambda tr: listed)
    at.session_state["robust_compare"] = "gone-run"
    at.run()
    assert_ok(at, PAGE)
    assert i18n.t("model.run_missing", run="gone-run") in texts(at.warning)
    assert len(_sweep_chart(at)["data"]) == 10
    (runs_dir / model_run / "checkpoint.pt").unlink()
    at.session_state["robust_compare"] = model_run
    at.run()
    assert_ok(at, PAGE)
    assert i18n.t("model.no_checkpoint", run=model_run) in texts(at.info)
    assert len(_sweep_chart(at)["data"]) == 10


def test_an_mlp_on_fashion_mnist_sweeps_a_drawing_with_clothes_for_classes(tiny_mnist, runs_dir, fashion_mlp_run):
    at = start()
    at.session_state["model_choice"] = fashion_mlp_run
    at.session_state["drawn_digit"] = _seven()
    at.session_state["digit_source"] = "drawn"
    at = goto(at, PAGE)
    assert_ok(at, PAGE)
    names = [t["name"] for t in _sweep_chart(at)["data"]]
    assert names == i18n.class_names("fashion")
    # the shipped MNIST model reads other classes: not compared, and said why
    at.session_state["robust_compare"] = "default"
    at.run()
    assert_ok(at, PAGE)
    info = texts(at.info)
    assert i18n.t("data.name.mnist") in info and i18n.t("data.name.fashion") in info
    assert len(_sweep_chart(at)["data"]) == 10


def test_a_fashion_model_without_its_dataset_explains_the_fix(tiny_mnist, runs_dir, fashion_mlp_run):
    at = start()
    at.session_state["model_choice"] = fashion_mlp_run
    at = goto(at, PAGE)
    assert_ok(at, PAGE)
    assert "FashionMNIST" in texts(at.warning)  # ui.dataset: where the files go


def test_the_page_in_korean(tiny_mnist, runs_dir, model_run):
    at = start(lang="ko")
    at.session_state["robust_compare"] = model_run
    at.session_state["robust_kind"] = "thickness"
    at = goto(at, PAGE)
    assert_ok(at, PAGE, "ko")
    assert i18n.t("robust.how.thickness", "ko") in texts(at.caption)
    assert by_label(at.selectbox, "robust.compare", "ko")
    assert _sweep_chart(at)["layout"]["xaxis2"]["title"]["text"] == i18n.t("robust.axis.thickness", "ko")
