"""Streamlit helpers shared by every page: language, sidebar, cached data and models, model picker.

Streamlit lives here and in the pages only; `mnist_lab/` never imports it. Datasets, models and
evaluations are cached with st.cache_resource: loaded once per server process, shared by sessions.
"""
from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np
import streamlit as st
import torch

from mnist_lab import data, evaluate, i18n, runs

Tr = Callable[..., str]

# One thread per request: a classroom server answers many small requests at once, and one
# drawn digit is predicted in ~2 ms on one thread but 100+ ms when threads fight for busy cores.
# (Training runs in its own processes and keeps its own thread count.)
torch.set_num_threads(1)

# Importing torch, plotly, pandas and Streamlit leaves ~270,000 objects that live as long as the
# server; a full garbage collection walks them all (~150 ms of a core). Freeze them out of the
# collector's passes (once per process: this module is imported once). See also
# runner.postScriptGC in .streamlit/config.toml.
import plotly.graph_objects  # noqa: E402,F401 -- loaded before the freeze
gc.freeze()

PAGES = [  # (file, nav key, icon) — the sidebar links, in lesson order
    ("app.py", "nav.home", ":material/home:"),
    ("pages/1_Dataset.py", "nav.dataset", ":material/grid_view:"),
    ("pages/2_Filters.py", "nav.filters", ":material/blur_on:"),
    ("pages/3_Train.py", "nav.train", ":material/model_training:"),
    ("pages/4_Mistakes.py", "nav.mistakes", ":material/error:"),
    ("pages/5_Feature_Maps.py", "nav.feature_maps", ":material/layers:"),
    ("pages/6_Draw.py", "nav.draw", ":material/draw:"),
]
DEFAULT_MODEL = "default"


# ---------------------------------------------------------------- language and sidebar

def _language() -> str:
    """The session's language: kept in session_state, first taken from ?lang= in the address."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = i18n.normalize(st.query_params.get("lang"))
    return st.session_state["lang"]


def _on_language_change() -> None:
    st.session_state["lang"] = st.session_state["_lang_radio"]


def setup(title_key: str) -> Tr:
    """Start a page: title, language switch and page links in the sidebar; returns the translator."""
    lang = _language()
    tr = i18n.translator(lang)
    st.set_page_config(page_title=f"{tr(title_key)} · MNIST Lab", page_icon=":material/draw:",
                       layout="wide")
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    with st.sidebar:
        st.radio("Language / 언어", list(i18n.LANGUAGES), index=list(i18n.LANGUAGES).index(lang),
                 format_func=i18n.LANGUAGES.get, key="_lang_radio", on_change=_on_language_change,
                 horizontal=True)
        for path, key, icon in PAGES:
            st.page_link(path, label=tr(key), icon=icon)
    return tr


def labels(lang_tr: Tr) -> dict:
    """Chart axis and legend labels in the page's language (charts.DEFAULT_LABELS keys)."""
    return i18n.chart_labels(lang_tr.lang)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- datasets

@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset(name: str, root: str, where: str) -> data.Dataset:
    return data.load_dataset(name, root, download=False)


def dataset_location(name: str = "mnist") -> str | None:
    """Where the dataset is on disk (cheap: a few file checks), None if absent."""
    return data.find_dataset(name, data.resolve_root(None))


def dataset(name: str, tr: Tr, quiet: bool = False) -> data.Dataset | None:
    """The dataset, loaded once per process; None (after explaining the fix) when it is missing."""
    root = data.resolve_root(None)
    where = data.find_dataset(name, root)
    if where is None:
        if not quiet:
            missing_data_message(name, tr)
        return None
    try:
        with st.spinner(tr("common.loading_data")):
            return _dataset(name, str(root), where)
    except (data.DataNotFound, data.DataFormatError) as e:
        st.error(f"{tr('common.data_unreadable')}\n\n{e}")
        return None


def missing_data_message(name: str, tr: Tr, link: bool = True) -> None:
    """Explain, in the page's language, where the files go and how to add them offline."""
    root = data.resolve_root(None)
    folder = root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw"
    st.warning(tr("data.missing", name=tr(f"data.name.{name}"), folder=str(folder)))
    st.code("\n".join(data.ALL_FILES), language=None)
    if link:
        st.page_link("app.py", label=tr("data.go_home_to_upload"), icon=":material/upload:")


def available_datasets() -> list[str]:
    """Datasets found on disk, MNIST first."""
    return [name for name in data.DATASETS if dataset_location(name)]


@st.cache_data(show_spinner=False, max_entries=4)
def pixel_stats(name: str, where: str) -> tuple[float, float]:
    """Mean and std of the training pixels after x/255 (computed from the data, cached)."""
    ds = _dataset(name, str(data.resolve_root(None)), where)
    return data.mean_std(ds.train.images)


@st.cache_data(show_spinner=False, max_entries=8)
def class_means(name: str, where: str, split: str) -> np.ndarray:
    """The average image of each class, (10, 28, 28) float 0..255."""
    s = _dataset(name, str(data.resolve_root(None)), where).split(split)
    return np.stack([s.images[s.labels == k].float().mean(0).numpy() if (s.labels == k).any()
                     else np.zeros((28, 28), np.float32) for k in range(10)])


@st.cache_data(show_spinner=False, max_entries=8)
def class_counts(name: str, where: str, split: str) -> np.ndarray:
    s = _dataset(name, str(data.resolve_root(None)), where).split(split)
    return torch.bincount(s.labels, minlength=10).numpy()


def forget_datasets() -> None:
    """Drop every cached dataset and what was computed from one (after new files were imported)."""
    for cached in (_dataset, pixel_stats, class_means, class_counts, _evaluation):
        cached.clear()


def class_names(name: str, tr: Tr) -> list[str]:
    """Class names in the page's language (digits stay digits)."""
    return [tr(f"class.fashion.{i}") for i in range(10)] if name == "fashion" else data.CLASS_NAMES[name]


# ---------------------------------------------------------------- device

def device_name() -> str:
    """The GPU's name, or 'CPU (n cores)'."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({os.cpu_count()} cores)"


# ---------------------------------------------------------------- models

def store() -> runs.RunStore:
    return runs.RunStore(runs.default_runs_dir())


@st.cache_resource(show_spinner=False, max_entries=8)
def _model(path: str, mtime: float):
    return runs.load_model(path)


def default_card() -> dict:
    """The shipped model's card (mnist_lab/assets/default_model.json), {} if absent or unreadable."""
    try:
        card = json.loads(runs.default_checkpoint().with_suffix(".json").read_text())
        return card if isinstance(card, dict) else {}
    except (OSError, ValueError):
        return {}


def default_model_info() -> dict:
    """What is known about the shipped model: its card, else its checkpoint's meta; {} if not installed."""
    path = runs.default_checkpoint()
    if not path.is_file():
        return {}
    card = default_card()
    if card.get("model"):
        return card
    try:
        return _model(str(path), path.stat().st_mtime)[1]
    except runs.CheckpointError:
        return {}


def _choice_path(choice: str) -> Path:
    """The checkpoint file behind a model choice; RunNotFound / ValueError for bad run ids."""
    if choice == DEFAULT_MODEL:
        return runs.default_checkpoint()
    return store().get(choice).checkpoint_path()


def model_options() -> list[tuple[str, str]]:
    """(choice, label) for the shipped model and every run that has saved a checkpoint."""
    acc = default_card().get("test_accuracy")
    out = [(DEFAULT_MODEL, f" · {acc:.2%}" if isinstance(acc, (int, float)) else "")]
    for info in store().list():
        path = store().root / info.run_id / "checkpoint.pt"
        if path.is_file():
            acc = f" · {info.test_accuracy:.2%}" if info.test_accuracy is not None else ""
            out.append((info.run_id, f"{info.run_id} · {info.status}{acc}"))
    return out


def model_picker(tr: Tr) -> str:
    """Sidebar select box of models; writes st.session_state['model_choice'] (run id or 'default')."""
    options = model_options()
    ids = [o for o, _ in options]
    names = {o: (tr("model.default_label") + lbl if o == DEFAULT_MODEL else lbl) for o, lbl in options}
    choice = st.session_state.get("model_choice", DEFAULT_MODEL)
    if choice not in ids:  # a run deleted meanwhile, or an id that was never a run
        st.warning(tr("model.run_gone", run=choice))
        choice = DEFAULT_MODEL
    picked = st.sidebar.selectbox(tr("model.picker"), ids, index=ids.index(choice), format_func=names.get,
                                  key=f"_model_picker_{choice}")
    st.session_state["model_choice"] = picked
    return picked


def current_model(tr: Tr):
    """(model, meta, path) for the chosen model, or None after showing why it cannot be used."""
    choice = st.session_state.get("model_choice", DEFAULT_MODEL)
    try:
        path = _choice_path(choice)
    except (runs.RunNotFound, ValueError):
        st.warning(tr("model.run_gone", run=choice))
        st.session_state["model_choice"] = DEFAULT_MODEL
        path = runs.default_checkpoint()
    if not path.is_file():
        if choice == DEFAULT_MODEL:
            st.info(tr("model.default_missing"))
        else:
            st.info(tr("model.no_checkpoint", run=choice))
        st.page_link("pages/3_Train.py", label=tr("model.go_train"), icon=":material/model_training:")
        return None
    try:
        with st.spinner(tr("common.loading_model")):
            model, meta = _model(str(path), path.stat().st_mtime)
    except runs.CheckpointError as e:
        st.error(f"{tr('model.unreadable')} {e}")
        return None
    return model, meta, path


@st.cache_resource(show_spinner=False, max_entries=8)
def _evaluation(path: str, mtime: float, name: str, where: str) -> evaluate.Evaluation:
    model, meta = _model(path, mtime)
    ds = _dataset(name, str(data.resolve_root(None)), where)
    return evaluate.evaluate(model, ds.test, meta.get("normalize", "minmax"), int(meta.get("pad", 0)))


def evaluation(path: Path, meta: dict, tr: Tr) -> tuple[evaluate.Evaluation, data.Dataset] | None:
    """The chosen model's test-set evaluation, computed once per checkpoint version."""
    name = meta.get("dataset", "mnist") if meta.get("dataset") in data.DATASETS else "mnist"
    ds = dataset(name, tr)
    if ds is None:
        return None
    with st.spinner(tr("common.evaluating")):
        ev = _evaluation(str(path), path.stat().st_mtime, name, dataset_location(name) or "")
    return ev, ds


# ---------------------------------------------------------------- run metrics

@st.cache_data(show_spinner=False, max_entries=64)
def _events(root: str, run_id: str, size: int, mtime: float) -> list[dict]:
    events, _ = runs.RunStore(root).get(run_id).metrics(0)
    return events


def run_events(run_id: str) -> list[dict]:
    """All metric events of a run (cached by file size and time, so finished runs are read once)."""
    s = store()
    path = s.get(run_id).metrics_path
    try:
        stat = path.stat()
    except OSError:
        return []
    return _events(str(s.root), run_id, stat.st_size, stat.st_mtime)


def thin(events: list[dict], limit: int = 3000) -> list[dict]:
    """Keep every epoch event and at most `limit` evenly spaced batch events (charts stay fast)."""
    batches = [e for e in events if e.get("type") == "batch"]
    if len(batches) <= limit:
        return events
    step = -(-len(batches) // limit)
    keep = {id(e) for e in batches[::step]} | {id(batches[-1])}
    return [e for e in events if e.get("type") != "batch" or id(e) in keep]


# ---------------------------------------------------------------- pictures

def fit(img: np.ndarray, side: int = 192) -> np.ndarray:
    """Shrink a picture so its longer side is at most `side` pixels (charts of big images are slow)."""
    import cv2
    h, w = img.shape[:2]
    if max(h, w) <= side:
        return img
    scale = side / max(h, w)
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def gray(img: np.ndarray) -> np.ndarray:
    """Grey float version of a grey or RGB uint8 picture (ITU-R 601 weights)."""
    img = np.asarray(img, dtype=np.float32)
    return img if img.ndim == 2 else img @ np.array([0.299, 0.587, 0.114], np.float32)


def duration(seconds: float | None) -> str:
    """'1:05' or '1:02:03'; '–' when unknown."""
    if seconds is None or not np.isfinite(seconds):
        return "–"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def clicked(event) -> list | None:
    """customdata of the first selected point of st.plotly_chart(on_select=...), as a list; None if none.

    The browser sends an array customdata as {"0": a, "1": b, ...}; a scalar stays a scalar.
    """
    points = event.selection.points if event and event.selection else []
    data = points[0].get("customdata") if points else None
    if data is None:
        return None
    if isinstance(data, dict):
        return [data[k] for k in sorted(data, key=int)]
    return list(data) if isinstance(data, (list, tuple)) else [data]
