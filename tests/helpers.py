"""Shared by the tests and the benchmarks: tiny MNIST-format datasets, waiting for a condition, optional
parts (skip or fail), and driving the app under AppTest.

The datasets are generated, written to a temporary folder: no network, no real data.
"""

from __future__ import annotations

import gzip
import importlib
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


# ---------------------------------------------------------------- waiting, and optional parts


def wait_until(
    condition: Callable[[], T], timeout: float = 120, interval: float = 0.2, what: str | Callable[[], str] = "condition"
) -> T:
    """Call condition() until it returns something truthy, and return that. The one way the tests wait
    for another process or thread: never a fixed sleep, which is too short on a busy machine and too
    long on an idle one. An exception from condition() ends the wait at once (a run that failed need
    not be waited for). After `timeout` seconds the test fails naming `what` (a callable is asked only
    then: a log tail, a status) and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            awaited = what() if callable(what) else what
            raise AssertionError(f"waited {timeout:g} s for {awaited}; last seen: {value!r}")
        time.sleep(interval)


def require(part: str, missing: str | None, module_level: bool = False) -> None:
    """An optional part of the project (browser, ray, onnx, umap, gpu, realdata) that a test needs: `missing`
    says why it cannot be used here, None when it can. The test is skipped, or fails when
    MNIST_LAB_REQUIRE_<PART>=1 (CI sets it for what it installs, so a broken install cannot pass as
    skipped tests)."""
    import pytest

    if missing is None:
        return
    switch = f"MNIST_LAB_REQUIRE_{part.upper()}"
    if os.environ.get(switch) == "1":
        pytest.fail(f"{missing}, but {switch}=1", pytrace=False)
    pytest.skip(f"{missing} (with {switch}=1 this fails)", allow_module_level=module_level)


def optional_import(module: str, part: str, install: str):
    """The module, imported; when it cannot be, require(part) skips or fails the test, saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        require(part, f"{module} cannot be imported ({e}): {install}")


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learnable 28x28 uint8 images: class k is a bright bar at a class-specific place, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        r = 3 + 2 * int(k) + int(rng.integers(0, 2))
        images[i, r : r + 2, 4:24] = 255
        images[i, 4:24, 3 + 2 * int(k)] = 200
    return images, labels


def idx_bytes(arr: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file (magic 0x0801 for labels, 0x0803 for images)."""
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=np.uint8).tobytes()


def write_mnist(
    root: Path, n_train: int = 200, n_test: int = 100, gz: bool = False, layout: str = "torchvision"
) -> Path:
    """Write a tiny dataset in torchvision's layout (root/MNIST/raw) or flat; returns the folder."""
    folder = root / "MNIST" / "raw" if layout == "torchvision" else root
    folder.mkdir(parents=True, exist_ok=True)
    xtr, ytr = synthetic_digits(n_train, 1)
    xte, yte = synthetic_digits(n_test, 2)
    for name, arr in [
        ("train-images-idx3-ubyte", xtr),
        ("train-labels-idx1-ubyte", ytr),
        ("t10k-images-idx3-ubyte", xte),
        ("t10k-labels-idx1-ubyte", yte),
    ]:
        data = idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


# ---------------------------------------------------------------- the app under AppTest

TIMEOUT = 60
PAGE_TITLES = {  # page file -> its title key (the frame shows {texts}.title above the page)
    "app_pages/0_Home.py": "home.title",
    "app_pages/1_Dataset.py": "dataset.title",
    "app_pages/2_Filters.py": "filters.title",
    "app_pages/12_Our_Digits.py": "ours.title",
    "app_pages/3_Train.py": "train.title",
    "app_pages/6_Mistakes.py": "mistakes.title",
    "app_pages/7_Feature_Maps.py": "fm.title",
    "app_pages/8_Draw.py": "draw.title",
    "app_pages/4_Class_Board.py": "board.title",
    "app_pages/5_Teacher.py": "teacher.title",
    "app_pages/9_Explain.py": "explain.title",
    "app_pages/10_Digit_Map.py": "dmap.title",
    "app_pages/11_Robustness.py": "robust.title",
}


def start(lang: str | None = None, name: str | None = None):
    """The app as a new visitor opens it: app.py, the frame, on its home page (?lang=, ?name=)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if lang:
        at.query_params["lang"] = lang
    if name:
        at.query_params["name"] = name
    return at.run()


def goto(at, page: str):
    at.switch_page(page)
    return at.run()


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def assert_ok(at, page: str, lang: str = "en") -> None:
    """The page ran to the end inside the frame: no exception, its title, the language, the model picker."""
    from mnist_lab import i18n

    assert not at.exception, f"{page}: {at.exception[0].message}"
    assert at.title[0].value == i18n.t(PAGE_TITLES[page], lang)
    assert at.sidebar.radio[0].value == lang
    assert [s.label for s in at.sidebar.selectbox] == [i18n.t("model.picker", lang)]


def by_label(widgets, key: str, lang: str = "en"):
    from mnist_lab import i18n

    label = i18n.t(key, lang).split("{")[0]  # the fixed part of a label with placeholders
    found = [w for w in widgets if w.label.startswith(label)]
    assert found, f"no widget labelled {label!r}: {[w.label for w in widgets]}"
    return found[0]


def rerun_until(
    at, ready: Callable, timeout: float = 120, interval: float = 0.3, what: str = "the page to show its background work"
):
    """Rerun an AppTest page until ready(at) holds (a run ended, a background job's result shown); returns
    the page. An exception on the page fails at once."""

    def shown() -> bool:
        assert not at.exception, at.exception[0].message
        if ready(at):
            return True
        at.run()
        return False

    wait_until(shown, timeout, interval, what)
    return at


def wait_for_state(run, states, timeout_s: float = 120, reconcile: bool = False) -> dict:
    """A run's status once it is in one of `states` (reconciled with its process when asked); on
    time-out the test fails with the run's status, its log and the worker pool's log."""

    def reached() -> dict | None:
        st = run.reconcile() if reconcile else run.status()
        return st if st["state"] in states else None

    def stuck() -> str:
        log = run.log_path.read_text() if run.log_path.exists() else ""
        workers = run.path.parent / ".workers" / "workers.log"
        return (
            f"{run.run_id} to be {' or '.join(states)}; it stayed {run.status()}\nlog: {log}\n"
            f"workers: {workers.read_text() if workers.exists() else ''}"
        )

    return wait_until(reached, timeout_s, what=stuck)


def draw_on_pad(at, sheet: np.ndarray | None, n: int = 1):
    """The Draw page's pad sends `sheet` (white ink on black), as pad.js would when the pen lifts; None empties
    the pad. AppTest cannot draw, but it can set a component's state by its key, as the browser does."""
    from mnist_lab import padink

    message = padink.message_for(sheet, n=n) if sheet is not None else {"strokes": 0, "n": n}
    at.session_state["pad"] = {"ink": message}
    return at.run()
