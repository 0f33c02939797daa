"""Every page under Streamlit's AppTest, inside the app.py frame: renders without exception, key
widgets, language, training.

The app starts at app.py (st.navigation) and moves with switch_page, as a user does. Data and runs
are tiny fixtures in tmp_path; nothing here needs the real MNIST.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from mnist_lab import checkpoints, data, i18n, models, runs, sidefiles
from tests.helpers import PAGE_TITLES, assert_ok, by_label, goto, rerun_until, start, texts

PAGES = list(PAGE_TITLES)
HOME = PAGES[0]


def test_home_shows_dataset_device_and_model(tiny_mnist, runs_dir):
    at = start()
    assert_ok(at, HOME)
    assert i18n.t("home.data_found", name=i18n.t("data.name.mnist")) in texts(at.success)
    assert str(tiny_mnist) in texts(at.markdown)  # the folder, for the teacher, in the box to upload it
    # the device the app trains on, as the page names it: the GPU's own name, else the CPU and its cores
    if torch.cuda.is_available():
        device, note = torch.cuda.get_device_name(0), "home.device_gpu"
    else:
        device, note = i18n.device(f"CPU ({os.cpu_count()} cores)"), "home.device_cpu"
    assert device in texts(at.markdown)
    assert i18n.t(note) in texts(at.caption)
    if not checkpoints.default_checkpoint().is_file():
        assert i18n.t("model.default_missing") in texts(at.info)
    else:  # the shipped model, with what its card measured
        assert i18n.t("home.default_accuracy") in [m.label for m in at.metric]
    assert any(b.label == i18n.t("home.upload_button") for b in at.button)


def test_home_explains_the_offline_fix_when_data_is_missing(tmp_path, monkeypatch, runs_dir):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path / "empty"))
    at = start()
    assert_ok(at, HOME)
    warning = texts(at.warning)
    assert "MNIST" in warning and str(tmp_path / "empty" / "MNIST" / "raw") in warning
    assert "train-images-idx3-ubyte" in texts(at.code)
    assert any(b.label == i18n.t("home.download_button") for b in at.button)


@pytest.mark.parametrize("page", PAGES[1:])
def test_every_page_renders_without_a_model(tiny_mnist, runs_dir, page):
    at = goto(start(), page)
    assert_ok(at, page)


@pytest.mark.parametrize("page", PAGES[1:])
def test_every_page_survives_a_missing_dataset(tmp_path, monkeypatch, runs_dir, model_run, page):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tmp_path / "empty"))
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, page)
    assert_ok(at, page)


def test_dataset_page_widgets_and_sample(tiny_mnist, runs_dir):
    at = goto(start(), "app_pages/1_Dataset.py")
    assert_ok(at, "app_pages/1_Dataset.py")
    index = by_label(at.number_input, "dataset.index")
    assert index.value == 0
    by_label(at.selectbox, "dataset.class_filter").set_value(3)
    at.run()
    assert not at.exception
    # the pixel statistics of the 200 fixture images, as the page computed and shown them
    train = data.load_dataset("mnist", tiny_mnist).train
    mean, std = data.mean_std(train.images)
    shown = {m.label: m.value for m in at.metric}
    assert shown[i18n.t("dataset.mean")] == f"{mean:.4f}" and shown[i18n.t("dataset.std")] == f"{std:.4f}"
    assert 0.1 < mean < 0.5  # bright bars on dark noise: not a constant the page could print by itself
    assert len(at.get("plotly_chart")) >= 8  # grid, sample, counts, means, 4 preprocessing stages
    assert "(200, 28, 28) torch.uint8" in at.dataframe[0].value.to_string()


def test_filters_page_kernel_stride_padding(tiny_mnist, runs_dir):
    at = goto(start(), "app_pages/2_Filters.py")
    assert_ok(at, "app_pages/2_Filters.py")
    by_label(at.slider, "filters.stride").set_value(2)
    by_label(at.slider, "filters.padding").set_value(1)
    at.run()
    assert not at.exception
    assert i18n.t("filters.output_size", h=28, w=28, oh=14, ow=14) in texts(at.markdown)
    assert texts(at.metric).startswith("0.00e+00")  # cv2 and torch agree


def test_train_page_refuses_bad_settings(tiny_mnist, runs_dir):
    at = goto(start(), "app_pages/3_Train.py")
    by_label(at.number_input, "train.lr").set_value(0.0)
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception
    assert i18n.t("train.bad_setting") in texts(at.error)
    assert runs.RunStore(runs_dir).list() == []


@pytest.mark.slow
def test_train_page_runs_a_short_training_to_the_end(tiny_mnist, runs_dir):
    at = goto(start(name="Ana"), "app_pages/3_Train.py")
    assert_ok(at, "app_pages/3_Train.py")
    assert models.summary("lenet5")[0]["layer"] in at.dataframe[0].value.to_string()
    by_label(at.number_input, "train.epochs").set_value(2)
    by_label(at.number_input, "train.batch_size").set_value(50)
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception
    [info] = runs.RunStore(runs_dir).list()
    assert at.session_state["watch_run"] == info.run_id and info.student == "Ana"

    def over(at) -> bool:  # the run has ended, and the page says so (a failed run says it another way)
        status = runs.RunStore(runs_dir).list()[0].status
        return status not in runs.ACTIVE and (bool(at.success) or status != "done")

    rerun_until(at, over, 90, interval=1, what="the run to end and the page to show it")
    assert runs.RunStore(runs_dir).list()[0].status == "done", runs.RunStore(runs_dir).get(info.run_id).status()
    assert i18n.t("train.done", acc="").split(":")[0] in texts(at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("train.test_acc")].endswith("%")
    assert len(at.get("plotly_chart")) >= 2  # per-batch and per-epoch curves
    # the run can now be chosen for the other pages: in the sidebar, and with one click here
    assert any(info.run_id in o for o in at.sidebar.selectbox[0].options)
    by_label(at.button, "train.use_button").click()
    at.run()
    assert at.session_state["model_choice"] == info.run_id
    assert i18n.t("train.in_use") in texts(at.caption)


def wait_for_evaluation(at, timeout: float = 60):
    """A model without saved test answers is evaluated in the background while its progress shows."""
    return rerun_until(at, lambda a: a.metric, timeout, what="the evaluation's metrics")


def test_mistakes_page_evaluates_an_older_run_once_in_the_background(tiny_mnist, runs_dir, model_run):
    """No saved answers (a run from before they were saved): progress first, then the page, then a file."""
    from mnist_lab import evaluate

    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, "app_pages/6_Mistakes.py")
    assert_ok(at, "app_pages/6_Mistakes.py")
    checkpoint = runs.RunStore(runs_dir).get(model_run).checkpoint_path()
    at = wait_for_evaluation(at)
    assert {m.label: m.value for m in at.metric}[i18n.t("mistakes.test_images")] == "100"
    assert sidefiles.beside(checkpoint, sidefiles.PREDICTIONS).is_file()  # the next visit, by anyone, reads it
    labels = data.load_dataset("mnist", tiny_mnist).test.labels.numpy()
    assert evaluate.load_predictions(checkpoint, labels, 1) is not None


def test_model_pages_use_the_chosen_run(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, "app_pages/6_Mistakes.py")
    assert_ok(at, "app_pages/6_Mistakes.py")
    at = wait_for_evaluation(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("mistakes.test_images")] == "100"
    at = goto(at, "app_pages/7_Feature_Maps.py")
    assert_ok(at, "app_pages/7_Feature_Maps.py")
    # the strip of layers, the layer it opens (its filters and maps), the input and the probabilities
    assert len(at.get("plotly_chart")) == 1 + 2 + 2
    assert "c1" in at.dataframe[0].value.to_string()
    at = goto(at, "app_pages/8_Draw.py")
    assert_ok(at, "app_pages/8_Draw.py")
    [pad] = [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    assert pad.key == "pad" and pad.proto.component_name.endswith("pad")
    assert i18n.t("reason.blank") in texts(at.info)  # an empty pad asks for a digit, kindly


def test_feature_maps_show_the_last_drawn_digit(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["model_choice"] = model_run
    at.session_state["drawn_digit"] = np.zeros((28, 28), np.uint8)
    at.session_state["digit_source"] = "drawn"
    at = goto(at, "app_pages/7_Feature_Maps.py")
    assert_ok(at, "app_pages/7_Feature_Maps.py")
    assert not at.number_input  # no test-image index for a drawn digit


def test_a_deleted_run_falls_back_to_the_default_model(tiny_mnist, runs_dir):
    at = start()
    at.session_state["model_choice"] = "../escape"
    at = goto(at, "app_pages/6_Mistakes.py")
    assert_ok(at, "app_pages/6_Mistakes.py")
    assert at.session_state["model_choice"] == "default"


def test_korean_holds_on_every_page(tiny_mnist, runs_dir):
    at = start()
    at.sidebar.radio[0].set_value("ko").run()
    assert_ok(at, HOME, "ko")
    for page in [*PAGES[1:], HOME]:
        at = goto(at, page)
        assert_ok(at, page, "ko")


def test_query_parameter_picks_korean(tiny_mnist, runs_dir):
    at = start(lang="ko")
    assert_ok(at, HOME, "ko")
    at = goto(at, "app_pages/8_Draw.py")
    assert_ok(at, "app_pages/8_Draw.py", "ko")
