"""Work too long for a rerun (a test-set evaluation, neighbours, digit maps): made once in the background with
its progress shown, then saved beside the checkpoint or in the cache folder."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import streamlit as st

from mnist_lab import checkpoints, evaluate, i18n, sidefiles, tasks

from .cache import (
    dataset,
    dataset_location,
    loaded,
    missing_data_message,
    model_at,
    mtime_of,
    saved_evaluation,
    side_mtimes,
)
from .widgets import wait_for


def evaluation(path: Path, meta: checkpoints.ModelMeta, tr: i18n.Translator):
    """(the chosen model's test-set evaluation, its dataset). A training run saves it beside its checkpoint;
    for a model without one (a run from an older version), it is computed once, in the background,
    with its progress shown, and saved there too; the page waits without blocking the server."""
    ds = dataset(meta.dataset, tr)
    if ds is None:
        return None
    where = dataset_location(meta.dataset) or ""
    mtime = mtime_of(path)
    ev = saved_evaluation(str(path), mtime, side_mtimes(path, ".predictions.npz"), meta.dataset, where)
    if ev is not None:
        return ev, ds

    def work(progress) -> evaluate.Evaluation:
        model, m = model_at(str(path), mtime)
        ev = evaluate.evaluate(model, loaded(meta.dataset, where).test, m.normalize, m.pad, progress)
        with contextlib.suppress(OSError):  # a folder it cannot write to: computed again next time
            evaluate.save_predictions(path, ev.probabilities, ev.labels, m.epoch)
        return ev

    task = tasks.start(f"evaluate {path} {mtime}", work)
    wait_for(task, tr("common.evaluating"), tr)
    return (task.result, ds) if task.done and task.error is None else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _neighbours_from(file: str, stamp: float):
    """The index over a saved features file; None for a damaged one (it is then made again)."""
    from mnist_lab import explain

    saved = sidefiles.load([Path(file)], lambda arrays: "features" in arrays)
    return None if saved is None else explain.Neighbours(saved["features"].astype(np.float32))


def _saved_neighbours(path: Path, mtime: tuple, where: str):
    """(the features file, its index when it was computed before, else None; nothing is started)."""
    file = sidefiles.cached(f"{Path(path).resolve()}:{mtime}:{Path(where).resolve()}", sidefiles.NEIGHBOURS)
    return file, (_neighbours_from(str(file), mtime_of(file)) if file.is_file() else None)


def saved_neighbours(path: Path, meta: checkpoints.ModelMeta):
    """The index, when its features were computed before (else None, and nothing is started)."""
    where = dataset_location(meta.dataset)
    return None if where is None else _saved_neighbours(path, mtime_of(path), where)[1]


def neighbours(path: Path, meta: checkpoints.ModelMeta, tr: i18n.Translator):
    """The nearest-neighbour index over every training digit's penultimate features: computed once per
    model version in the background (progress shown), kept in the user's cache folder; None meanwhile."""
    mtime = mtime_of(path)
    where = dataset_location(meta.dataset)
    if where is None:
        return None
    file, index = _saved_neighbours(path, mtime, where)
    if index is not None:
        return index

    def work(progress) -> str:
        from mnist_lab import explain

        model, m = model_at(str(path), mtime)
        feats = explain.features(model, m, loaded(meta.dataset, where).train.images, progress=progress)
        return str(sidefiles.save(file, {"features": feats.astype(np.float16)}))

    task = tasks.start(f"neighbours {path} {mtime}", work)
    wait_for(task, tr("explain.neighbours_computing"), tr)
    return _neighbours_from(task.result, mtime_of(file)) if task.done and task.error is None else None


@st.cache_resource(show_spinner=False, max_entries=16)
def _saved_projections(path: str, mtime: tuple, saved_mtime: tuple, epoch: int | None, name: str, where: str) -> dict:
    from mnist_lab import projection

    labels = loaded(name, where).test.labels.numpy() if where else None
    return projection.load(path, epoch, labels)


def projections(path: Path, meta: checkpoints.ModelMeta, kinds: list[str], tr: i18n.Translator) -> dict | None:
    """The saved digit map of a model with these kinds of projection; what is missing is made once, in
    the background with its progress shown, and saved beside the checkpoint. None while it is made."""
    from mnist_lab import projection

    mtime = mtime_of(path)
    where = dataset_location(meta.dataset)
    stamps = side_mtimes(path, ".projections.npz")
    saved = _saved_projections(str(path), mtime, stamps, meta.epoch, meta.dataset, where or "")
    missing = [k for k in kinds if k not in saved]
    if not missing:
        return saved
    if where is None:
        missing_data_message(meta.dataset, tr)
        return None

    def work(progress) -> dict:
        model, m = model_at(str(path), mtime)
        test = loaded(meta.dataset, where).test
        out = projection.build(model, m, test.images.numpy(), test.labels.numpy(), missing, saved, progress)
        with contextlib.suppress(OSError):  # a folder it cannot write to: made again next time
            projection.save(path, out)
        return out

    task = tasks.start(f"project {path} {mtime} {','.join(missing)}", work)
    seconds = sum(projection.EXPECTED_SECONDS[k] for k in missing)
    wait_for(task, tr("dmap.computing", kinds=", ".join(tr(f"dmap.kind.{k}") for k in missing), s=seconds), tr)
    # done, but not saved (a folder it cannot write to): this session shows it anyway
    return task.result if task.done and task.error is None else None
