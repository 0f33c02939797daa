"""What is loaded once per server process for every session: datasets, checkpoints, the run listing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from mnist_lab import checkpoints, classroom, data, evaluate, i18n, metrics, runs, sidefiles
from mnist_lab.jobs import launchers

from .pages import PAGES


@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset(name: str, root: str, where: str) -> data.Dataset:
    return data.load_dataset(name, root, download=False)


def loaded(name: str, where: str) -> data.Dataset:
    return _dataset(name, str(data.resolve_root(None)), where)


def dataset_location(name: str = "mnist") -> str | None:
    """Where the dataset is on disk (cheap: a few file checks), None if absent."""
    return data.find_dataset(name, data.resolve_root(None))


def dataset(name: str, tr: i18n.Translator, quiet: bool = False) -> data.Dataset | None:
    """The dataset, loaded once per process; None (after explaining the fix) when it is missing."""
    where = dataset_location(name)
    if where is None:
        if not quiet:
            missing_data_message(name, tr)
        return None
    try:
        with st.spinner(tr("common.loading_data")):
            return loaded(name, where)
    except (data.DataNotFound, data.DataFormatError) as e:
        st.error(f"{tr('common.data_unreadable')}\n\n{tr.error(e)}")
        return None


def missing_data_message(name: str, tr: i18n.Translator, link: bool = True) -> None:
    """Explain, in the page's language, where the files go and how to add them offline."""
    root = data.resolve_root(None)
    folder = root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw"
    st.warning(tr("data.missing", name=tr(f"data.name.{name}"), folder=str(folder)))
    st.code("\n".join(data.ALL_FILES), language=None)
    if link:
        st.page_link(PAGES[0].file, label=tr("data.go_home_to_upload"), icon=":material/upload:")


def available_datasets() -> list[str]:
    """Datasets found on disk, MNIST first."""
    return [name for name in data.DATASETS if dataset_location(name)]


@st.cache_data(show_spinner=False, max_entries=4)
def pixel_stats(name: str, where: str) -> tuple[float, float]:
    """Mean and std of the training pixels after x/255 (computed from the data, cached)."""
    return data.mean_std(loaded(name, where).train.images)


@st.cache_data(show_spinner=False, max_entries=8)
def class_means(name: str, where: str, split: str) -> np.ndarray:
    return data.class_means(loaded(name, where).split(split))


@st.cache_data(show_spinner=False, max_entries=8)
def class_counts(name: str, where: str, split: str) -> np.ndarray:
    return data.class_counts(loaded(name, where).split(split))


def forget_datasets() -> None:
    """Drop every cached dataset and what was computed from one (after new files were imported)."""
    for cached in (_dataset, pixel_stats, class_means, class_counts, saved_evaluation):
        cached.clear()


def store() -> runs.RunStore:
    return runs.RunStore(runs.default_runs_dir())


def launcher() -> launchers.Launcher:
    """Local workers, or a Ray cluster when $MNIST_LAB_RAY_ADDRESS names one."""
    return launchers.launcher(runs.default_runs_dir(), data.resolve_root(None))


@st.cache_data(ttl=1.0, show_spinner=False, max_entries=4)
def class_runs(root: str) -> list[runs.RunInfo]:
    """Every run of the folder, read at most once a second for all sessions together (30 students on
    the board, each polling, cost one listing a second)."""
    return runs.RunStore(root).list()


@st.cache_resource(show_spinner=False)
def throttle() -> classroom.Throttle:
    """The wrong-password delay, shared by every session of this server."""
    return classroom.Throttle()


@st.cache_resource(show_spinner=False, max_entries=32)
def model_at(path: str, mtime: tuple):
    return checkpoints.load_model(path)


def default_model_card() -> dict:
    """The shipped model's card, or {} when it is not installed."""
    return checkpoints.read_card() if checkpoints.default_checkpoint().is_file() else {}


def mtime_of(path: Path) -> tuple[int, int]:
    """A file's version as a cache key: its inode and nanosecond time (a checkpoint is replaced by a new
    file at each save, and two saves within one tick of the seconds clock must not share a key)."""
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)


def side_mtimes(path: Path, suffix: str) -> tuple:
    """The modification times of a checkpoint's saved side files: a cache key that changes when one is written."""
    return tuple(mtime_of(p) for p in sidefiles.places(path, suffix))


@st.cache_data(show_spinner=False, max_entries=64)
def _events(path: str, size: int, mtime: float) -> list[dict]:
    tail = metrics.MetricsTail(Path(path))
    tail.read()
    return tail.events


def run_events(run_id: str) -> list[dict]:
    """All metric events of a run (cached by file size and time, so finished runs are read once)."""
    path = store().get(run_id).metrics_path
    try:
        stat = path.stat()
    except OSError:
        return []
    return _events(str(path), stat.st_size, stat.st_mtime)


@st.cache_resource(show_spinner=False, max_entries=16)
def saved_evaluation(path: str, mtime: tuple, saved_mtime: tuple, name: str, where: str) -> evaluate.Evaluation | None:
    """The checkpoint's saved test-set answers, as an Evaluation (nothing is computed: a file is read)."""
    _, meta = model_at(path, mtime)
    return evaluate.load_predictions(path, loaded(name, where).test.labels.numpy(), meta.epoch)
