"""The frame every page runs in: the server's one-time setup, the language, the sidebar, the student."""

from __future__ import annotations

import gc
import threading

import streamlit as st

from mnist_lab import i18n, runs, tasks
from mnist_lab.errors import LabError


@st.cache_resource(show_spinner=False)
def server_setup() -> tasks.Task:
    """Once per server process, in the background (the first visitor's frame is drawn meanwhile): torch on one
    thread, then what every page needs first, so that a student's first click lands on ready work.

    One thread per request: a classroom server answers many small requests at once, and one drawn digit is
    predicted in ~2 ms on one thread but 100+ ms when threads fight for busy cores (training runs in its own
    processes and keeps its own thread count). Importing torch, plotly, pandas and Streamlit leaves ~270,000
    long-lived objects; a full collection walks them all (~150 ms of a core), so they are frozen out of its
    passes (see also runner.postScriptGC).
    """
    return tasks.start("server setup", _warm_up)


# set once the libraries are imported: a page must not import them while this thread is half-way through
# (two threads importing the same package at once can see it half made: "partially initialized module")
_IMPORTED = threading.Event()


def libraries_ready(timeout: float = 300) -> None:
    """Wait until the background setup has imported the libraries (at once after the first seconds)."""
    _IMPORTED.wait(timeout)


# set once Captum is imported, last (only Explain uses it, and the other pages need not wait for it)
_EXPLAINERS = threading.Event()


def explainers_ready(timeout: float = 300) -> None:
    """For Explain: wait until the background setup has imported Captum (the same reason as above)."""
    _EXPLAINERS.wait(timeout)


def _warm_up(progress) -> None:
    try:
        import torch

        torch.set_num_threads(1)
        import pandas  # noqa: F401 -- tables on most pages
        import plotly.graph_objects  # noqa: F401 -- every page's charts

        from mnist_lab import checkpoints, evaluate, padink, preprocess  # noqa: F401 -- and Draw's stroke

        from . import background, cache, computed, model_choice, widgets  # noqa: F401 -- the pages' own imports
    finally:
        _IMPORTED.set()  # also after a failure: the page then says what is missing
    progress(0.4)
    gc.freeze()
    try:
        _warm_models_and_data(progress)
    finally:
        _EXPLAINERS.set()  # also after a failure: Explain then says what is wrong itself
    gc.freeze()  # the model and the dataset live as long as the server


def _warm_models_and_data(progress) -> None:
    from mnist_lab import checkpoints

    from . import background, cache

    path = checkpoints.default_checkpoint()
    meta = None
    if path.is_file():  # the shipped model and its test-set answers (Mistakes, Draw, Explain)
        mtime = cache.mtime_of(path)
        model, meta = cache.model_at(str(path), mtime)
        _first_answer(model, meta)
        where = cache.dataset_location(meta.dataset)
        if where is not None:
            cache.loaded(meta.dataset, where)
            progress(0.6)
            cache.saved_evaluation(str(path), mtime, cache.side_mtimes(path, ".predictions.npz"), meta.dataset, where)
            # what Dataset shows first: its statistics read every training digit (half a second)
            cache.pixel_stats(meta.dataset, where)
            cache.class_counts(meta.dataset, where, "train")
            cache.class_means(meta.dataset, where, "train")
    progress(0.8)
    # Explain's first visit: Captum (0.7 s to import) and the look-alikes' index when it was saved
    import captum.attr  # noqa: F401

    if meta is not None:
        background.saved_neighbours(path, meta)


def _first_answer(model, meta) -> None:
    """A drawing read once, as Draw reads a stroke: torch's first call on a model is many times slower."""
    import numpy as np

    from mnist_lab import evaluate, padink, preprocess

    sheet = np.zeros((padink.PAD, padink.PAD), np.uint8)
    sheet[80:320, 190:210] = 255
    prepared = preprocess.prepare_digit(padink.read_ink(padink.message_for(sheet)).picture, "pad")
    evaluate.predict_proba(model, prepared.image[None], meta.normalize, meta.pad)


# Korean breaks a line between any two syllables unless told otherwise, and a word cut in two reads
# badly; Streamlit's markdown sets its own word-break on p, so the rule names the text elements
KEEP_WORDS = {
    "ko": "<style>.stApp :is(p, li, label, summary, h1, h2, h3) "
    "{ word-break: keep-all !important; overflow-wrap: break-word !important; }</style>"
}


# Streamlit leaves 6rem above a page's title: on a 720-pixel projector that is a picture's worth. Draw's
# answer, large enough to read from the back of a classroom (its container's key names it).
FRAME_CSS = (
    "<style>[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }"
    ".st-key-draw_answer [data-testid='stMetricValue'] { font-size: 96px; line-height: 1.1; }"
    ".st-key-draw_waiting [data-testid='stMarkdownContainer'] p { font-size: 96px; line-height: 1.6; opacity: 0.35; }"
    ".st-key-draw_answer [data-testid='stMetricDelta'] { font-size: 1.1rem; }</style>"
)


def _on_language_change() -> None:
    st.session_state["lang"] = st.session_state["_lang_radio"]


def translator() -> i18n.Translator:
    """A page's translator: the frame's."""
    return language()


def language() -> i18n.Translator:
    """The frame's translator: the session's language, kept in session_state, first taken from ?lang=."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = i18n.normalize(st.query_params.get("lang"))
    return i18n.translator(st.session_state["lang"])


def labels() -> dict:
    """Chart axis and legend labels in the session's language."""
    return i18n.chart_labels(translator().lang)


def sidebar(tr: i18n.Translator) -> None:
    """Language switch, the student's name and the model every page uses (the address keeps the
    language and the name, so a reload keeps them)."""
    lang = tr.lang
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    st.html(FRAME_CSS + KEEP_WORDS.get(lang, ""))
    with st.sidebar:
        codes = list(i18n.LANGUAGES)
        st.radio(
            tr("language.switch"),
            codes,
            index=codes.index(lang),
            format_func=i18n.LANGUAGES.get,
            key="_lang_radio",
            on_change=_on_language_change,
            horizontal=True,
            # the choices name themselves; the line saved keeps the model picker in view on a laptop
            label_visibility="collapsed",
        )
        student_box(tr)
        libraries_ready()  # the frame is on screen; the model picker and the page need torch and the rest
        from .model_choice import model_picker

        model_picker(tr)


def student_box(tr: i18n.Translator) -> None:
    """The name a student types once: kept for the session and in the address (?name=)."""
    if "_student" not in st.session_state:
        st.session_state["_student"] = st.query_params.get("name", "")
    st.text_input(
        tr("student.name"),
        key="_student",
        max_chars=runs.STUDENT_MAX,
        placeholder=tr("student.placeholder"),
        help=tr("student.help"),
    )
    name = student()
    if name and st.query_params.get("name") != name:
        st.query_params["name"] = name
    elif not name and "name" in st.query_params:
        del st.query_params["name"]


def student() -> str | None:
    """This session's student name, cleaned (runs.student_name); None until one is typed."""
    try:
        return runs.student_name(st.session_state.get("_student"))
    except LabError:
        return None


def secrets() -> dict:
    """.streamlit/secrets.toml as a dict; {} when there is none."""
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 -- no secrets file, or one Streamlit cannot parse
        return {}
