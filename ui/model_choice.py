"""The model every page uses (the sidebar's picker) and the digit Feature maps, Explain and Robustness look at."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from mnist_lab import checkpoints, i18n, runs
from mnist_lab.classdigits.store import DigitsError

from .cache import class_runs, dataset, default_model_card, model_at, mtime_of, store
from .class_digits import class_arrays, class_set, digit_store
from .pages import page
from .widgets import error, model_title

DEFAULT_MODEL = "default"


def model_options(tr: i18n.Translator) -> dict[str, str]:
    """choice -> label: the shipped model and every run that has saved a checkpoint."""
    acc = default_model_card().get("test_accuracy")
    out = {DEFAULT_MODEL: tr("model.default_label") + (f" · {acc:.2%}" if isinstance(acc, (int, float)) else "")}
    s = store()
    # the listing all sessions share (at most a second old); a fresh one only for a run chosen in
    # that second, so it is not taken for deleted
    infos = class_runs(str(s.root))
    choice = st.session_state.get("model_choice", DEFAULT_MODEL)
    if choice != DEFAULT_MODEL and all(i.run_id != choice for i in infos):
        infos = s.list()
    for info in infos:
        if (s.root / info.run_id / "checkpoint.pt").is_file():
            # what tells runs apart first (who, how well): the sidebar's box shows only the start of it
            acc = f"{info.test_accuracy:.2%}" if info.test_accuracy is not None else None
            state = None if info.status == "done" else tr(f"state.{info.status}")
            parts = (info.student, acc, model_title(info.model, tr), state, info.run_id)
            out[info.run_id] = " · ".join(p for p in parts if p)
    return out


def model_picker(tr: i18n.Translator) -> str:
    """Select box of models; writes st.session_state['model_choice'] (run id or 'default')."""
    options = model_options(tr)
    choice = st.session_state.get("model_choice", DEFAULT_MODEL)
    if choice not in options:  # a run deleted meanwhile, or an id that was never a run
        st.warning(tr("model.run_gone", run=choice))
        choice = DEFAULT_MODEL
    picked = st.selectbox(
        tr("model.picker"),
        list(options),
        index=list(options).index(choice),
        format_func=options.get,
        key=f"_model_picker_{choice}",
    )
    st.session_state["model_choice"] = picked
    return picked


def use_model(choice: str) -> None:
    """Make a run (or 'default') the model of every page."""
    st.session_state["model_choice"] = choice


def _choice_path(choice: str) -> Path:
    """The checkpoint file behind a model choice; RunNotFound / BadRunId for bad run ids."""
    if choice == DEFAULT_MODEL:
        return checkpoints.default_checkpoint()
    return store().get(choice).checkpoint_path()


def load_choice(choice: str, tr: i18n.Translator, in_use: bool = False):
    """(model, meta, path) for a model choice (a run id or 'default'), or None after showing why it
    cannot be used. A run that is gone is said so; for the model in use (in_use) every page then falls
    back to the shipped model, while a second model a page compares with is simply left out."""
    try:
        path = _choice_path(choice)
    except (runs.RunNotFound, runs.BadRunId):
        st.warning(tr("model.run_gone" if in_use else "model.run_missing", run=choice))
        if not in_use:
            return None
        use_model(DEFAULT_MODEL)
        choice, path = DEFAULT_MODEL, checkpoints.default_checkpoint()
    if not path.is_file():
        st.info(tr("model.default_missing") if choice == DEFAULT_MODEL else tr("model.no_checkpoint", run=choice))
        st.page_link(page("train"), label=tr("model.go_train"), icon=":material/model_training:")
        return None
    try:  # no spinner: a model loads in well under a second, and a spinner costs a thread at every rerun
        model, meta = model_at(str(path), mtime_of(path))
    except checkpoints.CheckpointError as e:
        error(tr, "model.unreadable", e)
        return None
    return model, meta, path


def current_model(tr: i18n.Translator):
    """(model, meta, path) for the chosen model, or None after showing why it cannot be used."""
    return load_choice(st.session_state.get("model_choice", DEFAULT_MODEL), tr, in_use=True)


def require_model(tr: i18n.Translator):
    """(model, meta, path) for the chosen model; the page stops here, after saying why, without one."""
    loaded = current_model(tr)
    if loaded is None:
        st.stop()
    return loaded


def pick_digit(tr: i18n.Translator, meta: checkpoints.ModelMeta, key: str) -> tuple[np.ndarray, int | None]:
    """The digit Feature maps, Explain and Robustness look at: the last one drawn, a test digit by its
    index, or one of the class's digits by its id. One choice for all three pages (st.session_state
    digit_source, digit_index, class_digit_id), so a digit picked on one (or sent from Mistakes, Draw,
    the digit map or Our digits) is the one the others show. Returns
    (28x28 uint8 image, true label or None); stops the page, after saying why, without a dataset."""
    drawn = st.session_state.get("drawn_digit")
    ours = class_ids()
    sources = ["test"] + (["drawn"] if drawn is not None else []) + (["class"] if ours else [])
    source = st.session_state.get("digit_source", "test")
    source = source if source in sources else "test"
    # one row: the picture the page is about starts right under it
    which, number = st.columns([3, 2], vertical_alignment="bottom")
    source = which.segmented_control(tr("fm.source"), sources, default=source, key=f"_{key}_source_{source}",
                                     format_func=lambda s: tr(f"fm.source.{s}"),
                                     help=tr("fm.draw_hint") if drawn is None else None) or source  # fmt: skip
    st.session_state["digit_source"] = source
    if source == "drawn":
        return np.asarray(drawn, dtype=np.uint8), None
    if source == "class":
        current = st.session_state.get("class_digit_id")
        current = current if current in ours else ours[0]
        current = number.selectbox(tr("fm.class_digit"), ours, index=ours.index(current),
                                   key=f"_{key}_class_{current}", format_func=lambda i: f"#{i}")  # fmt: skip
        st.session_state["class_digit_id"] = current
        row = class_digit(current)
        if row is not None:
            return row.image.copy(), row.label
    ds = dataset(meta.dataset, tr)
    if ds is None:
        st.stop()
    last = len(ds.test) - 1
    index = min(int(st.session_state.get("digit_index", 0)), last)
    index = number.number_input(tr("fm.index", n=last), 0, last, index, key=f"_{key}_index_{index}")
    st.session_state["digit_index"] = index
    return ds.test.images[index].numpy(), int(ds.test.labels[index])


def class_ids() -> list[int]:
    """The ids of the class's digits, newest first; none when the set is empty or cannot be read (the
    Our digits page says why)."""
    got = class_set(None, quiet=True)
    return [] if got is None or not got[1][0] else list(class_arrays(*got).ids[::-1].tolist())


def class_digit(digit_id: int):
    try:
        rows = digit_store().digits(ids=[digit_id])
    except DigitsError:
        return None
    return rows[0] if rows else None


def look_at(file: str, source: str, index: int | None = None) -> None:
    """Open a page (its file) on a digit: a test digit by index, the last drawn one, or one of the class's
    digits by its id."""
    st.session_state["digit_source"] = source
    if index is not None:
        st.session_state["class_digit_id" if source == "class" else "digit_index"] = int(index)
    st.switch_page(file)
