"""Bad input in the UI: a plain st.error / st.warning, never an exception box, and the page keeps working.

Everything runs under Streamlit's AppTest, which in 1.67 drives st.file_uploader itself (no browser
needed). The app starts at app.py and moves with switch_page, as a user does; data and runs are
tiny fixtures in tmp_path.
"""

from __future__ import annotations

import io
import json
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mnist_lab import config, data, i18n, runs, train
from mnist_lab.jobs.queue import stop
from tests.helpers import (
    assert_ok,
    by_label,
    draw_on_pad,
    goto,
    idx_bytes,
    rerun_until,
    start,
    synthetic_digits,
    texts,
    wait_for_state,
    wait_until,
    write_mnist,
)

HOME, FILTERS = "app_pages/0_Home.py", "app_pages/2_Filters.py"
DRAW, TRAIN = "app_pages/8_Draw.py", "app_pages/3_Train.py"
MODEL_PAGES = ["app_pages/6_Mistakes.py", "app_pages/7_Feature_Maps.py", DRAW]


# ---------------------------------------------------------------- pictures


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _digit() -> np.ndarray:
    """A dark '1' on white paper, 64x64: what a photo of a written digit looks like."""
    a = np.full((64, 64), 255, np.uint8)
    a[10:54, 29:35] = 0
    return a


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb() -> bytes:
    """A PNG whose header claims 20000x20000 pixels, in under 100 bytes."""
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b"")


def _rgba() -> bytes:
    d = _digit()
    return _save(Image.fromarray(np.dstack([d, d, d, np.where(d < 128, 255, 0).astype(np.uint8)]), "RGBA"), "PNG")


def _gif() -> bytes:
    frames = [Image.fromarray(_digit()).convert("P"), Image.fromarray(255 - _digit()).convert("P")]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


GOOD_PNG = _save(Image.fromarray(_digit()), "PNG")
BAD_IMAGES = {  # id -> (file name, bytes, words the one-line message holds)
    "text_named_png": ("digit.png", b"this is a text file, not a picture\n" * 20, "not an image"),
    "truncated_png": ("digit.png", GOOD_PNG[: len(GOOD_PNG) // 2], "damaged or incomplete"),
    "zero_bytes": ("digit.png", b"", "empty"),
    "bomb_20000x20000": ("digit.png", _bomb(), "too large"),
}
GOOD_IMAGES = {  # id -> (file name, bytes)
    "png_16bit": ("digit.png", _save(Image.fromarray(_digit().astype(np.uint16) * 257), "PNG")),
    "png_grayscale": ("digit.png", GOOD_PNG),
    "png_rgba": ("digit.png", _rgba()),
    "jpeg_cmyk": ("digit.jpg", _save(Image.fromarray(_digit()).convert("CMYK"), "JPEG")),
    "gif_animated": ("digit.gif", _gif()),
}
BLANK = ("blank.png", _save(Image.new("L", (64, 64), 255), "PNG"))


def test_the_crafted_files_are_what_they_claim():
    bomb = BAD_IMAGES["bomb_20000x20000"][1]
    assert len(bomb) < 100 and struct.unpack(">II", bomb[16:24]) == (20000, 20000)
    modes = {k: Image.open(io.BytesIO(b)).mode for k, (_, b) in GOOD_IMAGES.items()}
    assert modes == {
        "png_16bit": "I;16",
        "png_grayscale": "L",
        "png_rgba": "RGBA",
        "jpeg_cmyk": "CMYK",
        "gif_animated": "P",
    }
    assert Image.open(io.BytesIO(GOOD_IMAGES["gif_animated"][1])).n_frames == 2


def _upload(at, uploader, file: tuple[str, bytes]):
    uploader.set_value((file[0], file[1], "application/octet-stream"))
    return at.run()


def _filters_upload(at):
    """The Filters page with its picture source switched to Upload; returns its uploader."""
    at = goto(at, FILTERS)
    at.get("button_group")[0].set_value("upload")
    at.run()
    assert not at.exception
    return at.file_uploader[0]


def _sobel_maps_shown(at) -> bool:
    return any(c.proto.id.endswith("f_sobel_maps") for c in at.get("plotly_chart"))


def _assert_one_line_error(at, words: str) -> None:
    assert not at.exception, at.exception[0].message
    [error] = at.error
    assert error.value.startswith(i18n.t("common.bad_image")), error.value
    assert words in error.value and "\n" not in error.value and "Traceback" not in error.value


@pytest.mark.parametrize("bad", list(BAD_IMAGES))
def test_filters_upload_bad_image_shows_error_then_recovers(tiny_mnist, runs_dir, bad):
    at = start()
    uploader = _filters_upload(at)
    name, content, words = BAD_IMAGES[bad]
    _upload(at, uploader, (name, content))
    _assert_one_line_error(at, words)
    assert not _sobel_maps_shown(at)
    _upload(at, at.file_uploader[0], GOOD_IMAGES["png_grayscale"])  # the page still works
    assert not at.exception and not at.error and _sobel_maps_shown(at)


@pytest.mark.parametrize("good", [*GOOD_IMAGES, "blank"])
def test_filters_upload_good_image_shows_feature_maps(tiny_mnist, runs_dir, good):
    at = start()
    _upload(at, _filters_upload(at), BLANK if good == "blank" else GOOD_IMAGES[good])
    assert_ok(at, FILTERS)
    assert not at.error and not at.warning
    assert _sobel_maps_shown(at) and any(c.proto.id.endswith("f_custom_maps") for c in at.get("plotly_chart"))
    assert "64×64" in texts(at.markdown)


def _draw(model_run: str):
    """The Draw page with a saved run chosen as the model; returns (app, its photo uploader)."""
    at = start()
    at.session_state["model_choice"] = model_run
    at = goto(at, DRAW)
    assert_ok(at, DRAW)
    return at, at.file_uploader(key="draw_upload")


def _prediction(at) -> list:
    return [m for m in at.metric if m.label == i18n.t("draw.prediction")]


@pytest.mark.parametrize("bad", list(BAD_IMAGES))
def test_draw_upload_bad_image_shows_error_then_recovers(model_run, bad):
    at, uploader = _draw(model_run)
    name, content, words = BAD_IMAGES[bad]
    _upload(at, uploader, (name, content))
    _assert_one_line_error(at, words)
    assert not _prediction(at)
    _upload(at, at.file_uploader(key="draw_upload"), GOOD_IMAGES["png_grayscale"])
    assert not at.exception and not at.error and _prediction(at)


@pytest.mark.parametrize("good", list(GOOD_IMAGES))
def test_draw_upload_good_image_gets_prediction(model_run, good):
    at, uploader = _draw(model_run)
    _upload(at, uploader, GOOD_IMAGES[good])
    assert_ok(at, DRAW)
    assert not at.error and not at.warning
    [answer] = _prediction(at)
    assert answer.value in [str(k) for k in range(10)]
    assert "drawn_digit" in at.session_state  # what the model saw, kept for the feature maps page


def test_the_last_thing_given_is_read_and_clear_empties_the_answer(model_run):
    """After a photo, a stroke on the pad is answered, not the photo; a new photo then wins again; emptying the
    pad leaves no answer, and the pages after Draw forget the drawn digit."""
    at, uploader = _draw(model_run)
    _upload(at, uploader, GOOD_IMAGES["png_grayscale"])
    photo = at.session_state["drawn_digit"].copy()
    one = np.zeros((280, 280), np.uint8)
    one[40:240, 130:150] = 255
    at = draw_on_pad(at, one, n=1)
    assert not at.exception and _prediction(at)
    assert not np.array_equal(at.session_state["drawn_digit"], photo)
    _upload(at, at.file_uploader(key="draw_upload"), GOOD_IMAGES["png_rgba"])
    assert not at.exception and _prediction(at)
    at = draw_on_pad(at, None, n=2)
    assert not at.exception and not _prediction(at) and "drawn_digit" not in at.session_state
    assert i18n.t("reason.blank") in texts(at.info)


def test_draw_upload_blank_image_warns_no_digit(model_run):
    at, uploader = _draw(model_run)
    _upload(at, uploader, BLANK)
    assert not at.exception and not at.error
    assert texts(at.warning) == i18n.t("reason.blank")
    assert not _prediction(at)


@pytest.mark.parametrize("key", ["draw_to_explain", "draw_to_fm"])
def test_where_next_before_any_digit_says_draw_one_and_stays(runs_dir, key):
    """The buttons under the answer are there before the first stroke (outside the pad's fragment): a click
    with nothing drawn says so, and the page stays on Draw."""
    at = goto(start(), DRAW)
    at.button(key=key).click().run()
    assert not at.exception and i18n.t("draw.empty_hint") in [i.value for i in at.info]
    assert at.title[0].value == i18n.t("draw.title") and "drawn_digit" not in at.session_state


# ---------------------------------------------------------------- dataset import on Home


def _good_files(tmp_path: Path) -> dict[str, bytes]:
    src = write_mnist(tmp_path / "src", layout="flat")
    return {p.name: p.read_bytes() for p in src.iterdir()}


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _bad_dataset(kind: str, good: dict[str, bytes]) -> tuple[dict[str, bytes], str]:
    """A broken upload and the words its one-line message holds."""
    if kind == "wrong_magic":
        b = bytearray(good["train-images-idx3-ubyte"])
        b[2] = 0x09
        return {**good, "train-images-idx3-ubyte": bytes(b)}, "wrong magic number"
    if kind == "truncated":
        return {**good, "t10k-images-idx3-ubyte": good["t10k-images-idx3-ubyte"][:-100]}, "truncated"
    if kind == "count_mismatch":
        return {**good, "train-labels-idx1-ubyte": idx_bytes(np.zeros(150, np.uint8))}, "200 images but 150 labels"
    if kind == "labels_out_of_range":
        return {**good, "t10k-labels-idx1-ubyte": idx_bytes(np.full(100, 12, np.uint8))}, "labels must be 0-9"
    x, y = synthetic_digits(10)
    return {"mnist.npz": _npz(x_train=x, y_train=y)}, "missing arrays x_test, y_test"


def _import(at, files: dict[str, bytes]):
    at.file_uploader(key="data_upload").set_value([(n, b, "application/octet-stream") for n, b in files.items()])
    at.run()
    by_label(at.button, "home.upload_button").click()
    return at.run()


def _mnist_found(at) -> bool:
    found = i18n.t("home.data_found", name=i18n.t("data.name.mnist"), where="")
    return any(s.value.startswith(found.split("`")[0]) for s in at.success)


@pytest.fixture
def empty_data(tmp_path, monkeypatch, runs_dir) -> Path:
    """MNIST_LAB_DATA points at a folder that does not exist yet."""
    root = tmp_path / "uploads"
    monkeypatch.setenv("MNIST_LAB_DATA", str(root))
    return root


@pytest.mark.parametrize(
    "kind", ["wrong_magic", "truncated", "count_mismatch", "labels_out_of_range", "npz_missing_keys"]
)
def test_home_import_bad_dataset_shows_error_and_writes_nothing(tmp_path, empty_data, kind):
    files, words = _bad_dataset(kind, _good_files(tmp_path))
    at = _import(start(), files)
    assert_ok(at, HOME)
    [error] = at.error
    assert error.value.startswith(i18n.t("home.upload_bad")) and words in error.value, error.value
    assert "\n" not in error.value
    assert not _mnist_found(at)
    assert not empty_data.exists() or not any(empty_data.rglob("*"))


def test_home_import_good_files_after_a_bad_try(tmp_path, empty_data):
    good = _good_files(tmp_path)
    at = _import(start(), _bad_dataset("count_mismatch", good)[0])
    assert at.error and not _mnist_found(at)
    at = _import(at, good)
    assert_ok(at, HOME)
    assert not at.error and _mnist_found(at)
    assert data.find_dataset("mnist", empty_data) == str(empty_data / "MNIST" / "raw")
    assert i18n.t("home.upload_ok", where=empty_data / "MNIST" / "raw") in texts(at.success)


# ---------------------------------------------------------------- training settings


def _start_training(at, **values):
    """Type a name, fill the Train form (keys: lr, batch_size, epochs) and press Start."""
    if not at.sidebar.text_input[0].value:
        at.sidebar.text_input[0].set_value("Student")
    for key, value in values.items():
        by_label(at.number_input, f"train.{key}").set_value(value)
    by_label(at.button, "train.start").click()
    return at.run()


def _wait_for_end(at, runs_dir: Path, timeout: float = 120):
    """Rerun the page until its one run has ended; returns (app, run status)."""

    def ended(_) -> bool:
        [info] = runs.RunStore(runs_dir).list()
        return info.status not in runs.ACTIVE

    rerun_until(at, ended, timeout, 0.5, "the run to end")
    at.run()  # the page as it is drawn once the run is over
    assert not at.exception, at.exception[0].message
    [info] = runs.RunStore(runs_dir).list()
    return at, runs.RunStore(runs_dir).get(info.run_id).status()


def _failed_message(at) -> str:
    prefix = i18n.t("train.failed", reason="")
    [error] = [e.value for e in at.error if e.value.startswith(prefix)]
    return error


def test_train_lr_zero_is_refused_before_a_run(tiny_mnist, runs_dir):
    at = _start_training(goto(start(), TRAIN), lr=0.0)
    assert_ok(at, TRAIN)
    assert texts(at.error) == f"{i18n.t('train.bad_setting')} learning rate must be greater than 0, got 0.0"
    assert runs.RunStore(runs_dir).list() == []
    assert by_label(at.button, "train.start")  # the form is still there to fix and retry


def test_train_settings_error_reads_in_korean(tiny_mnist, runs_dir):
    """The engine's message arrives in the reader's language, not only the lead-in."""
    at = goto(start(lang="ko", name="민준"), TRAIN)
    by_label(at.number_input, "train.lr", "ko").set_value(0.0)
    by_label(at.button, "train.start", "ko").click()
    at.run()
    assert_ok(at, TRAIN, "ko")
    assert texts(at.error) == f"{i18n.t('train.bad_setting', 'ko')} {i18n.t('error.config.lr', 'ko', value=0.0)}"
    assert "학습률" in texts(at.error) and "learning rate" not in texts(at.error)


def test_train_widgets_keep_numbers_in_range(tiny_mnist, runs_dir):
    """Epochs outside 1..MAX_EPOCHS, a batch of 0 or a negative rate cannot even be typed in."""
    at = goto(start(), TRAIN)
    bounds = {
        k: (by_label(at.number_input, f"train.{k}").min, by_label(at.number_input, f"train.{k}").max)
        for k in ("lr", "batch_size", "epochs")
    }
    assert bounds == {"lr": (0.0, 10.0), "batch_size": (1, 8192), "epochs": (1, config.MAX_EPOCHS)}


@pytest.mark.slow
def test_train_batch_larger_than_the_data_fails_with_plain_reason(tiny_mnist, runs_dir):
    """The fixture has 200 training images; the most epochs the form takes, in batches of 500."""
    at = _start_training(goto(start(), TRAIN), batch_size=500, epochs=config.MAX_EPOCHS)
    assert not at.exception and not at.error
    at, status = _wait_for_end(at, runs_dir)
    assert status["state"] == "failed"
    assert status["reason"] == "batch size 500 is larger than the 200 training images"
    assert _failed_message(at) == i18n.t("train.failed", reason=status["reason"])
    assert_ok(at, TRAIN)


@pytest.mark.slow
def test_train_huge_lr_fails_as_diverged(tiny_mnist, runs_dir):
    """The largest rate the form takes (10, with Adam) for one epoch, the fewest: the loss explodes."""
    at = _start_training(goto(start(), TRAIN), lr=10.0, epochs=1, batch_size=50)
    at, status = _wait_for_end(at, runs_dir)
    assert status["state"] == "failed" and "diverged" in status["reason"], status
    message = _failed_message(at)
    assert "diverged" in message and "learning rate 10.0 is probably too high" in message
    assert_ok(at, TRAIN)


def _tiny_dataset(root: Path) -> data.Dataset:
    write_mnist(root)
    return data.load_dataset("mnist", root, download=False)


def test_an_exploding_but_finite_loss_counts_as_diverged(tmp_path):
    """The engine fix behind the test above: Adam at lr 10 drives the loss to ~1e11, not to inf."""
    end = train.train(config.make_config("lenet5", "fast", lr=10.0, epochs=1, batch_size=50), _tiny_dataset(tmp_path))
    assert end["state"] == "failed" and "training diverged" in end["reason"]


def test_one_cycle_over_exactly_four_steps_trains(tmp_path):
    """Engine fix: OneCycleLR divided by zero when a run had 4 steps (here 200 images in batches of 50)."""
    end = train.train(config.make_config("mlp", "fast", batch_size=50, epochs=1), _tiny_dataset(tmp_path))
    assert end["state"] == "done" and end["steps"] == 4


# ---------------------------------------------------------------- run ids and run folders


def test_run_query_param_outside_the_runs_folder_is_ignored(tiny_mnist, runs_dir):
    at = start()
    at.query_params["run"] = "../../etc"
    at.run()
    for page in [*MODEL_PAGES, TRAIN]:
        at = goto(at, page)
        assert_ok(at, page)
        assert not at.error and "../../etc" not in texts(at.markdown) + texts(at.caption)
        assert at.session_state["model_choice"] == "default"


@pytest.mark.parametrize("page", MODEL_PAGES)
def test_model_choice_outside_the_runs_folder_falls_back(tiny_mnist, runs_dir, page):
    at = start()
    at.session_state["model_choice"] = "../../etc"
    at = goto(at, page)
    assert_ok(at, page)
    assert i18n.t("model.run_gone", run="../../etc") in texts(at.warning)
    assert at.session_state["model_choice"] == "default"


def test_watched_run_outside_the_runs_folder_is_ignored(tiny_mnist, runs_dir, model_run):
    at = start()
    at.session_state["watch_run"] = "../../etc"
    at = goto(at, TRAIN)
    assert_ok(at, TRAIN)
    assert at.session_state["watch_run"] == model_run


GOOD_EVENTS = [
    {"type": "start", "device": "cpu", "device_name": "cpu", "total_steps": 4, "epochs": 1, "train_size": 200},
    {
        "type": "batch",
        "epoch": 1,
        "step": 1,
        "total_steps": 4,
        "loss": 2.3,
        "acc": 0.1,
        "seen": 50,
        "images_per_s": 100.0,
        "elapsed": 0.5,
        "eta": 1.5,
    },
    {
        "type": "epoch",
        "epoch": 1,
        "train_loss": 2.2,
        "train_acc": 0.2,
        "test_loss": 2.1,
        "test_acc": 0.25,
        "elapsed": 2.0,
    },
]
DAMAGED_STATUS = {
    "truncated": '{"state": "runn',
    "not_an_object": "[1, 2]",
    "wrong_types": json.dumps(
        {"state": "done", "test_accuracy": "high", "started": "yesterday", "updated": None, "reason": 5}
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGED_STATUS))
def test_damaged_run_folder_shows_what_it_can(tiny_mnist, runs_dir, damage):
    run = runs.RunStore(runs_dir).create(config.make_config("lenet5", "fast", epochs=1).to_dict())
    run.status_path.write_text(DAMAGED_STATUS[damage])
    run.metrics_path.write_text(
        "".join(json.dumps(e) + "\n" for e in GOOD_EVENTS)
        + '{"type": "batch", "epoch": 1, "st\n\x00\x00\x00\n{"type": "ba'
    )
    at = start()
    at.session_state["watch_run"] = run.run_id
    at = goto(at, TRAIN)
    assert_ok(at, TRAIN)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("train.test_acc")] == "25.00%"  # the good lines are read, the broken ones skipped
    assert len(at.get("plotly_chart")) >= 1  # the batches (the epoch chart waits for a second epoch)
    if damage == "wrong_types":  # a readable state with unusable fields: shown without them
        assert metrics[i18n.t("train.state")] == i18n.t("state.done")
    else:
        assert _failed_message(at) == i18n.t("train.failed", reason="status.json is missing or damaged")


class _CodePayload:
    """Unpickling this runs os.mkdir(path): a stand-in for a checkpoint that carries code."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def _run_with_checkpoint(runs_dir: Path, write) -> str:
    cfg = config.make_config("lenet5", "fast", epochs=1).to_dict()
    run = runs.RunStore(runs_dir).create(cfg)
    write(run.checkpoint_path())
    run.set_status("done", started=time.time() - 5, test_accuracy=0.5)
    return run.run_id


def _evil_checkpoint(path: Path, marker: Path) -> None:
    meta = {"model": "lenet5", "normalize": "standardize", "pad": 0, "classes": [str(k) for k in range(10)]}
    torch.save({"format": "mnist_lab/1", "state_dict": {"c1.weight": _CodePayload(marker)}, "meta": meta}, path)


def test_the_code_payload_is_live(tmp_path):
    """Proof that the payload below would do something if it were loaded unsafely."""
    _evil_checkpoint(tmp_path / "x.pt", tmp_path / "pwned")
    torch.load(tmp_path / "x.pt", weights_only=False)
    assert (tmp_path / "pwned").is_dir()


@pytest.mark.parametrize("page", MODEL_PAGES)
def test_checkpoint_carrying_code_is_refused_and_never_run(tmp_path, tiny_mnist, runs_dir, model_run, page):
    marker = tmp_path / "pwned"
    evil = _run_with_checkpoint(runs_dir, lambda p: _evil_checkpoint(p, marker))
    at = start()
    at.session_state["model_choice"] = evil
    at = goto(at, page)
    assert_ok(at, page)
    assert not marker.exists()
    assert texts(at.error) == (
        f"{i18n.t('model.unreadable')} checkpoint.pt: refused to load (it holds code or objects other than tensors)"
    )
    picker = at.sidebar.selectbox[0]  # the page still works: pick another model
    assert any(evil in o for o in picker.options) and any(model_run in o for o in picker.options)
    picker.set_value(model_run)
    at.run()
    assert_ok(at, page)
    assert not at.error and not marker.exists()


def test_damaged_checkpoint_is_refused(tiny_mnist, runs_dir):
    bad = _run_with_checkpoint(runs_dir, lambda p: p.write_bytes(b"PK\x03\x04 half a zip file"))
    at = start()
    at.session_state["model_choice"] = bad
    at = goto(at, "app_pages/6_Mistakes.py")
    assert_ok(at, "app_pages/6_Mistakes.py")
    assert (
        texts(at.error) == f"{i18n.t('model.unreadable')} checkpoint.pt: refused to load (damaged or not a checkpoint)"
    )


@pytest.mark.slow
def test_one_session_cannot_fill_the_queue(tiny_mnist, runs_dir, monkeypatch):
    """A student pressing Start again and again gets a message, not a queue full of their runs."""
    monkeypatch.setenv("MNIST_LAB_RUNS_PER_SESSION", "1")
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    at = _start_training(goto(start(), TRAIN), epochs=config.MAX_EPOCHS, batch_size=1)  # a long run
    [first] = runs.RunStore(runs_dir).list()
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception
    assert texts(at.warning) == i18n.t("error.submit.too_many", n=1, runs=first.run_id)
    assert [i.run_id for i in runs.RunStore(runs_dir).list()] == [first.run_id]  # nothing new
    other = goto(start(name="Other"), TRAIN)  # another student is not held back by this one's run
    by_label(other.button, "train.start").click()
    other.run()
    assert not other.exception and not other.warning
    second = other.session_state["watch_run"]
    assert len(runs.RunStore(runs_dir).list()) == 2
    # the second student's run waits its turn and says how many are ahead of it
    rerun_until(other, lambda a: a.info, 60, 0.5, "the queued run's place in the queue")
    assert i18n.t("train.queued", slots=1, ahead=0) in texts(other.info)
    for run_id in (first.run_id, second):
        stop(runs.RunStore(runs_dir).get(run_id))
    at, _ = _wait_for_end_all(at, runs_dir)
    by_label(at.button, "train.start").click()  # the first run has ended: Start works again
    at.run()
    assert not at.warning and len(runs.RunStore(runs_dir).list()) == 3
    stop(runs.RunStore(runs_dir).get(at.session_state["watch_run"]))
    _wait_for_end_all(at, runs_dir)


def _wait_for_end_all(at, runs_dir: Path, timeout: float = 120):
    def ended():
        infos = runs.RunStore(runs_dir).list()
        return infos if all(i.status not in runs.ACTIVE for i in infos) else None

    infos = wait_until(ended, timeout, 0.5, what=lambda: f"every run to end: {runs.RunStore(runs_dir).list()}")
    return at.run(), infos


@pytest.mark.slow
def test_a_student_deletes_their_own_ended_run(tiny_mnist, runs_dir, model_run):
    """The delete button shows for runs this session started, once they have ended; others' are safe."""
    at = _start_training(goto(start(), TRAIN), epochs=1, batch_size=50)
    mine = at.session_state["watch_run"]
    ended = [s for s in runs.STATES if s not in runs.ACTIVE]
    wait_for_state(runs.RunStore(runs_dir).get(mine), ended, 120, reconcile=True)
    at.run()
    at.session_state["model_choice"] = mine
    at.run()
    by_label(at.button, "train.delete_yes").click()
    at.run()
    assert not at.exception
    assert [i.run_id for i in runs.RunStore(runs_dir).list()] == [model_run]  # the other run is kept
    assert at.session_state["model_choice"] == "default"
    assert not [b for b in at.button if b.label == i18n.t("train.delete_yes")]  # model_run is not ours
