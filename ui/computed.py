"""Per-model computations made once per model version and digit, shared by every session (read only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from mnist_lab import checkpoints, sidefiles

from .cache import dataset_location, loaded, model_at, mtime_of


@st.cache_resource(show_spinner=False, max_entries=64)
def _sweep_probabilities(path: str, mtime: tuple, img: np.ndarray, kind: str) -> np.ndarray:
    from mnist_lab import robustness

    model, meta = model_at(path, mtime)
    return robustness.sweep_probabilities(model, meta, img, kind)


def sweep_probabilities(path: Path, img: np.ndarray, kind: str) -> np.ndarray:
    """A model's probabilities along one robustness sweep (robustness.sweep_probabilities, default steps),
    computed once per model version, digit and transform for every session (shared: read only)."""
    return _sweep_probabilities(str(path), mtime_of(path), np.asarray(img, dtype=np.uint8), kind)


@st.cache_resource(show_spinner=False, max_entries=16)
def _onnx(path: str, mtime: tuple) -> bytes:
    from mnist_lab import export

    model, meta = model_at(path, mtime)
    return export.onnx_bytes(model, meta)


def onnx_file(path: Path) -> Callable[[], bytes] | None:
    """data= for st.download_button: the checkpoint as one .onnx file. Made on the first click, not at
    every view of the page, then kept per checkpoint version for every session (bytes are safe to
    share). None when the onnx package is missing."""
    from mnist_lab import export

    if not export.available():
        return None
    mtime = mtime_of(path)
    return lambda: _onnx(str(path), mtime)


@st.cache_resource(show_spinner=False, max_entries=64)
def _look_inside(path: str, mtime: tuple, img: np.ndarray, normalize: str, pad: int):
    from mnist_lab import layers

    model, _ = model_at(path, mtime)
    return layers.look_inside(model, img, normalize, pad)


def look_inside(path: Path, img: np.ndarray, normalize: str, pad: int):
    """(probabilities, every layer's output, the conv filters, the model's input shape) for one digit,
    computed once per model version and digit for every session."""
    return _look_inside(str(path), mtime_of(path), np.asarray(img, dtype=np.uint8), normalize, pad)


@st.cache_resource(show_spinner=False, max_entries=8)
def _scrambled(model_name: str):
    from mnist_lab import explain

    return explain.scrambled(checkpoints.ModelMeta(model_name))


@st.cache_resource(show_spinner=False, max_entries=256)
def _maps(path: str, mtime: tuple, img: np.ndarray, target: int, method: str, baseline: str, patch: int):
    from mnist_lab import explain

    model, meta = model_at(path, mtime)
    options = dict(baseline=baseline, patch=patch)
    trained = explain.attribution(model, meta, img, method, target, **options)
    scrambled = explain.attribution(_scrambled(meta.model), meta, img, method, target, **options)
    return trained, scrambled, explain.rank_correlation(trained.map, scrambled.map)


def explain_maps(path: Path, img: np.ndarray, target: int, method: str, baseline: str = "grey", patch: int = 5):
    """(the model's map, the scrambled model's map, their rank correlation), once per digit and settings
    for every session."""
    return _maps(str(path), mtime_of(path), np.asarray(img, np.uint8), int(target), method, baseline, int(patch))


def digit_features(path: Path, img: np.ndarray) -> np.ndarray:
    """The penultimate features of one digit (for its neighbours, and its star on the digit map)."""
    from mnist_lab import explain

    model, meta = model_at(str(path), mtime_of(path))
    return explain.features(model, meta, np.asarray(img, np.uint8)[None])[0]


@st.cache_resource(show_spinner=False, max_entries=4)
def _map_features(path: str, mtime: tuple, name: str, where: str, n: int) -> np.ndarray:
    from mnist_lab import explain

    model, meta = model_at(path, mtime)
    return explain.features(model, meta, loaded(name, where).test.images[:n])


def map_star(
    path: Path, meta: checkpoints.ModelMeta, kind: str, saved: dict, img: np.ndarray
) -> tuple[float, float] | None:
    """Where a digit (the one just drawn) goes on a saved digit map; None where that needs the dataset
    and it is missing."""
    places = map_places(path, meta, kind, saved, digit_features(path, img)[None])
    return None if places is None else (float(places[0, 0]), float(places[0, 1]))


def map_places(
    path: Path, meta: checkpoints.ModelMeta, kind: str, saved: dict, features: np.ndarray
) -> np.ndarray | None:
    """Where digits with these penultimate features (N, F) go on a saved digit map, (N, 2); None where
    that needs the dataset and it is missing."""
    from mnist_lab import projection

    feats = None
    if kind != "pca":  # t-SNE and UMAP place a new point among its neighbours in the test digits
        where = dataset_location(meta.dataset)
        if where is None:
            return None
        feats = _map_features(str(path), mtime_of(path), meta.dataset, where, len(saved["labels"]))
    return np.array([projection.place(kind, saved, feats, f) for f in features], np.float64).reshape(-1, 2)


@st.cache_resource(show_spinner=False, max_entries=2)
def _home_pictures(where: str | None, model_path: str | None, mtime: tuple | None) -> dict[str, np.ndarray]:
    from mnist_lab import filters, layers, robustness
    from mnist_lab.charts import strips

    # real test digits when the dataset is there; a plain font's digits keep Home's cards whole without it
    digits = loaded("mnist", where).test.images[:15].numpy() if where else strips.glyphs("503194726102418")
    seven, two = digits[0], digits[1]
    pictures = {
        "dataset": strips.digits_card(digits),
        "filters": strips.edges_card(seven, filters.sobel(seven)[2]),
        "our_digits": strips.ours_card(strips.glyphs("31415926")),
        "train": strips.curves_card(),
        "board": strips.bars_card(),
        "teacher": strips.rows_card(),
        "draw": strips.pad_card(strips.glyphs("2", thickness=4)[0]),
        "explain": strips.evidence_card(seven),
        "robustness": strips.sweep_card(list(robustness.sweep(two, "rotate", steps=5)[1][1:4])),  # -45°, 0°, 45°
    }
    rng = np.random.default_rng(0)  # stand-ins while the shipped model or its saved answers are missing
    labels = rng.integers(0, 10, 600)
    answers = np.where(rng.random(600) < 0.9, labels, rng.integers(0, 10, 600))
    points = rng.normal(size=(600, 2)) + 4 * np.stack([np.cos(labels * 0.63), np.sin(labels * 0.63)], axis=1)
    confusion, digit_map, maps = (labels, answers), (points, labels), np.stack(filters.sobel(seven))
    if model_path is not None:
        model, meta = model_at(model_path, mtime)
        maps = layers.look_inside(model, seven, meta.normalize, meta.pad)[1][0][2]
        saved = _saved(model_path, sidefiles.PREDICTIONS, {"labels", "probabilities"})
        if saved is not None:
            confusion = saved["labels"], saved["probabilities"].argmax(axis=1)
        saved = _saved(model_path, sidefiles.PROJECTIONS, {"pca", "labels"})
        if saved is not None:
            digit_map = saved["pca"], saved["labels"]
    pictures["feature_maps"] = strips.maps_card(seven, maps)
    pictures["mistakes"] = strips.confusion_card(*confusion)
    pictures["digit_map"] = strips.scatter_card(*digit_map)
    return pictures


def home_pictures() -> dict[str, np.ndarray]:
    """A small picture for each page (its nav key -> RGB array), for Home's cards: made once per server
    from the shipped model and its saved answers, and the test digits when the dataset is installed."""
    path = checkpoints.default_checkpoint()
    if not path.is_file():
        return _home_pictures(dataset_location("mnist"), None, None)
    return _home_pictures(dataset_location("mnist"), str(path), mtime_of(path))


def _saved(checkpoint: str, suffix: str, needs: set[str]) -> dict | None:
    return sidefiles.load([sidefiles.beside(checkpoint, suffix)], lambda saved: needs <= saved.keys())
