"""Every page under Streamlit's AppTest: renders without exception, key widgets, language, training.

The app starts at app.py and moves with switch_page, as a user does (the sidebar links need the
entry point). Data and runs are tiny fixtures in tmp_path; nothing here needs the real MNIST.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from mnist_lab import evaluate, i18n, models, preprocess, runs, train

ROOT = Path(__file__).resolve().parent.parent
PAGES = {  # page file -> its title key
    "app.py": "home.title",
    "pages/1_Dataset.py": "dataset.title",
    "pages/2_Filters.py": "filters.title",
    "pages/3_Train.py": "train.title",
    "pages/4_Mistakes.py": "mistakes.title",
    "pages/5_Feature_Maps.py": "fm.title",
    "pages/6_Draw.py": "draw.title",
}
TIMEOUT = 60


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Each test starts with empty Streamlit caches; the app's torch thread setting is undone after."""
    st.cache_resource.clear()
    st.cache_data.clear()
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def model_run(tiny_mnist, runs_dir) -> str:
    """A finished run with an (untrained) LeNet-5 checkpoint: enough for the model pages."""
    cfg = train.make_config("lenet5", "fast", epochs=1).to_dict()
    run = runs.RunStore(runs_dir).create(cfg)
    meta = {"model": "lenet5", "normalize": "standardize", "pad": 0, "dataset": "mnist",
            "classes": [str(k) for k in range(10)], "test_accuracy": 0.1, "epoch": 1, "config": cfg}
    runs.save_checkpoint(run.checkpoint_path(), models.build_model("lenet5"), meta)
    run.set_status("done", started=time.time() - 5, test_accuracy=0.1)
    return run.run_id


def start(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    return at.run()


def assert_ok(at: AppTest, page: str, lang: str = "en") -> None:
    assert not at.exception, f"{page}: {at.exception[0].message}"
    assert at.title[0].value == i18n.t(PAGES[page], lang)
    assert at.sidebar.radio[0].value == lang
    assert len(at.sidebar.get("page_link")) == len(PAGES)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def by_label(widgets, key: str, lang: str = "en"):
    label = i18n.t(key, lang).split("{")[0]  # the fixed part of a label with placeholders
    found = [w for w in widgets if w.label.startswith(label)]
    assert found, f"no widget labelled {label!r}: {[w.label for w in widgets]}"
    return found[0]


def test_home_shows_dataset_device_and_model(tiny_mnist, runs_dir):
    at = start()
    assert_ok(at, "app.py")
    assert str(tiny_mnist) in texts(at.success)
    body = texts(at.markdown)
    assert "CPU" in body or torch.cuda.is_available()
    if not runs.default_checkpoint().is_file():
        assert i18n.t("model.default_missing") in texts(at.info)
    assert any(b.label == i18n.t("home.upload_button") for b in at.button)


def test_home_explains_the_offline_fix_when_data_is_missing(tmp_path, monkeypatch, runs_dir):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path / "empty"))
    at = start()
    assert_ok(at, "app.py")
    warning = texts(at.warning)
    assert "MNIST" in warning and str(tmp_path / "empty" / "MNIST" / "raw") in warning
    assert "train-images-idx3-ubyte" in texts(at.code)
    assert any(b.label == i18n.t("home.download_button") for b in at.button)


@pytest.mark.parametrize("page", list(PAGES)[1:])
def test_every_page_renders_without_a_model(tiny_mnist, runs_dir, page):
    at = goto(start(), page)
    assert_ok(at, page)


@pytest.mark.parametrize("page", list(PAGES)[1:])
def test_every_page_survives_a_missing_dataset(tmp_path, monkeypatch, runs_dir, model_run, page):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path / "empty"))
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, page)
    assert_ok(at, page)


def test_dataset_page_widgets_and_sample(tiny_mnist, runs_dir):
    at = goto(start(), "pages/1_Dataset.py")
    assert_ok(at, "pages/1_Dataset.py")
    index = by_label(at.number_input, "dataset.index")
    assert index.value == 0
    by_label(at.selectbox, "dataset.class_filter").set_value(3)
    at.run()
    assert not at.exception
    assert "0.1" in texts(at.metric) or at.metric  # pixel statistics are shown
    assert len(at.get("plotly_chart")) >= 8       # grid, sample, counts, means, 4 preprocessing stages
    assert "(200, 28, 28) torch.uint8" in at.dataframe[0].value.to_string()


def test_filters_page_kernel_stride_padding(tiny_mnist, runs_dir):
    at = goto(start(), "pages/2_Filters.py")
    assert_ok(at, "pages/2_Filters.py")
    by_label(at.slider, "filters.stride").set_value(2)
    by_label(at.slider, "filters.padding").set_value(1)
    at.run()
    assert not at.exception
    assert i18n.t("filters.output_size", h=28, w=28, oh=14, ow=14) in texts(at.markdown)
    assert texts(at.metric).startswith("0.00e+00")   # cv2 and torch agree


def test_train_page_refuses_bad_settings(tiny_mnist, runs_dir):
    at = goto(start(), "pages/3_Train.py")
    by_label(at.number_input, "train.lr").set_value(0.0)
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception
    assert i18n.t("train.bad_setting") in texts(at.error)
    assert runs.RunStore(runs_dir).list() == []


def test_train_page_runs_a_short_training_to_the_end(tiny_mnist, runs_dir):
    at = goto(start(), "pages/3_Train.py")
    assert_ok(at, "pages/3_Train.py")
    assert models.summary("lenet5")[0]["layer"] in at.dataframe[0].value.to_string()
    by_label(at.number_input, "train.epochs").set_value(2)
    by_label(at.number_input, "train.batch_size").set_value(50)
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception
    [info] = runs.RunStore(runs_dir).list()
    assert at.session_state["watch_run"] == info.run_id
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        time.sleep(1)
        at.run()
        assert not at.exception
        if runs.RunStore(runs_dir).list()[0].status not in runs.ACTIVE and at.success:
            break
    assert runs.RunStore(runs_dir).list()[0].status == "done", runs.RunStore(runs_dir).get(info.run_id).status()
    assert i18n.t("train.done", acc="") .split(":")[0] in texts(at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("train.test_acc")].endswith("%")
    assert len(at.get("plotly_chart")) >= 2   # per-batch and per-epoch curves
    # the run can now be chosen for the other pages
    use = by_label(at.selectbox, "train.use")
    assert info.run_id in use.options[1]


def test_model_pages_use_the_chosen_run(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, "pages/4_Mistakes.py")
    assert_ok(at, "pages/4_Mistakes.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("mistakes.test_images")] == "100"
    at = goto(at, "pages/5_Feature_Maps.py")
    assert_ok(at, "pages/5_Feature_Maps.py")
    assert len(at.get("plotly_chart")) >= 2 + 8   # input, probabilities, filters and maps per layer
    assert "c1" in at.dataframe[0].value.to_string()
    at = goto(at, "pages/6_Draw.py")
    assert_ok(at, "pages/6_Draw.py")
    assert by_label(at.slider, "draw.brush").value > 0
    assert any(b.label == i18n.t("draw.clear") for b in at.button)
    assert i18n.t("reason.blank") in texts(at.info)   # an empty pad asks for a digit, kindly


def test_feature_maps_show_the_last_drawn_digit(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at.session_state["drawn_digit"] = np.zeros((28, 28), np.uint8)
    at.session_state["fm_source"] = "drawn"
    at = goto(at, "pages/5_Feature_Maps.py")
    assert_ok(at, "pages/5_Feature_Maps.py")
    assert not at.number_input   # no test-image index for a drawn digit


def test_a_deleted_run_falls_back_to_the_default_model(tiny_mnist, runs_dir):
    at = start()
    at.session_state["model_choice"] = "../escape"
    at = goto(at, "pages/4_Mistakes.py")
    assert_ok(at, "pages/4_Mistakes.py")
    assert at.session_state["model_choice"] == "default"


def test_korean_holds_on_every_page(tiny_mnist, runs_dir):
    at = start()
    at.sidebar.radio[0].set_value("ko").run()
    assert_ok(at, "app.py", "ko")
    for page in list(PAGES)[1:] + ["app.py"]:
        at = goto(at, page)
        assert_ok(at, page, "ko")
    assert at.sidebar.get("page_link")[1].proto.label == i18n.t("nav.dataset", "ko")


def test_query_parameter_picks_korean(tiny_mnist, runs_dir):
    at = start(lang="ko")
    assert_ok(at, "app.py", "ko")
    at = goto(at, "pages/6_Draw.py")
    assert_ok(at, "pages/6_Draw.py", "ko")


def test_drawn_digit_to_probabilities_is_fast():
    """What the Draw page does per stroke, server side: well under 100 ms."""
    torch.set_num_threads(1)   # as the app's server does
    model = models.build_model("lenet5").eval()
    pad = np.zeros((280, 280, 4), np.uint8)
    pad[60:80, 70:210] = 255
    for i in range(200):   # the slanted stroke of a 7
        y, x = 70 + i, 200 - i // 2
        pad[y:y + 18, x - 9:x + 9] = 255
    times = []
    for _ in range(7):
        t = time.perf_counter()
        prepared = preprocess.prepare_digit(pad)
        probs = evaluate.predict_proba(model, prepared.image[None], "standardize", 0)
        times.append(time.perf_counter() - t)
    assert prepared.image.shape == (28, 28) and probs.shape == (1, 10)
    assert sorted(times)[len(times) // 2] < 0.1, times
