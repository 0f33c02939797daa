"""The Streamlit side of MNIST Lab: the page list, language, sidebar, caches, model picker, charts.

Streamlit lives here, in app.py and in pages/ only; `mnist_lab/` never imports it. Datasets, models
and evaluations are cached with st.cache_resource: loaded once per server process, shared by all
sessions. What can be computed without Streamlit is computed in `mnist_lab/`, and tested there.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import streamlit as st

from mnist_lab import checkpoints, classroom, data, evaluate, i18n, jobs, metrics, runs, tasks
from mnist_lab.errors import LabError

DEFAULT_MODEL = "default"
NO_BAR = {"displayModeBar": False}


class PageInfo(NamedTuple):
    file: str
    nav: str  # its sidebar label: the nav.* key
    texts: str  # prefix of its catalog texts: {texts}.title, {texts}.intro
    icon: str
    section: str  # nav.section.* key; "" for none

    @property
    def url(self) -> str:
        """Its address: the file name without its number ('pages/8_Draw.py' -> 'Draw'). This is the name
        Streamlit itself gives a file in pages/, which it uses for a link opened before the app has run
        once: any other name made the first visit of a fresh server say 'Page not found'."""
        return re.sub(r"^\d+_", "", Path(self.file).stem)


PAGES = [  # in lesson order
    PageInfo("pages/0_Home.py", "home", "home", ":material/home:", ""),
    PageInfo("pages/1_Dataset.py", "dataset", "dataset", ":material/grid_view:", "data"),
    PageInfo("pages/2_Filters.py", "filters", "filters", ":material/blur_on:", "data"),
    PageInfo("pages/3_Train.py", "train", "train", ":material/model_training:", "training"),
    PageInfo("pages/4_Class_Board.py", "board", "board", ":material/leaderboard:", "training"),
    PageInfo("pages/5_Teacher.py", "teacher", "teacher", ":material/school:", "training"),
    PageInfo("pages/6_Mistakes.py", "mistakes", "mistakes", ":material/error:", "model"),
    PageInfo("pages/7_Feature_Maps.py", "feature_maps", "fm", ":material/layers:", "model"),
    PageInfo("pages/8_Draw.py", "draw", "draw", ":material/draw:", "model"),
    PageInfo("pages/9_Explain.py", "explain", "explain", ":material/psychology_alt:", "model"),
    PageInfo("pages/10_Digit_Map.py", "digit_map", "dmap", ":material/scatter_plot:", "model"),
    PageInfo("pages/11_Robustness.py", "robustness", "robust", ":material/tune:", "model"),
]


# ---------------------------------------------------------------- the server, language and sidebar


@st.cache_resource(show_spinner=False)
def server_setup() -> None:
    """Once per server process: torch on one thread, and the import-time objects out of the GC.

    One thread per request: a classroom server answers many small requests at once, and one drawn
    digit is predicted in ~2 ms on one thread but 100+ ms when threads fight for busy cores
    (training runs in its own processes and keeps its own thread count). Importing torch, plotly,
    pandas and Streamlit leaves ~270,000 long-lived objects; a full collection walks them all
    (~150 ms of a core), so they are frozen out of its passes (see also runner.postScriptGC).
    """
    import plotly.graph_objects  # noqa: F401 -- loaded before the freeze
    import torch

    torch.set_num_threads(1)
    gc.freeze()


def _on_language_change() -> None:
    st.session_state["lang"] = st.session_state["_lang_radio"]


APP = str((Path(__file__).parent.parent / "app.py").resolve())


def _run_inside_the_frame() -> None:
    """Streamlit runs a pages/ file on its own, in its older multipage mode, until app.py has called
    st.navigation once in the process: for a link to a page that is the first visit of a fresh server
    (and in AppTest, which restarts that mode at every run). Then run the frame here, in this same run
    (a rerun would lose the click that started it): it shows this page inside it; then stop."""
    import runpy

    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return
    frame = sys._getframe(1)
    while frame is not None:  # app.py is running: its st.navigation call leaves that mode by itself
        if frame.f_code.co_filename == APP:
            return
        frame = frame.f_back
    PagesManager.uses_pages_directory = False
    runpy.run_path(APP, run_name="__main__")
    st.stop()


def translator() -> i18n.Translator:
    """The session's translator: the language kept in session_state, first taken from ?lang=."""
    _run_inside_the_frame()
    if "lang" not in st.session_state:
        st.session_state["lang"] = i18n.normalize(st.query_params.get("lang"))
    return i18n.translator(st.session_state["lang"])


def labels() -> dict:
    """Chart axis and legend labels in the session's language."""
    return i18n.chart_labels(translator().lang)


def navigation(tr: i18n.Translator) -> dict[str, list]:
    """The pages for st.navigation, grouped in translated sections."""
    sections: dict[str, list] = {}
    for p in PAGES:
        title = tr(f"nav.section.{p.section}") if p.section else ""
        default = p is PAGES[0]
        page = st.Page(
            p.file, title=tr(f"nav.{p.nav}"), icon=p.icon, url_path=None if default else p.url, default=default
        )
        sections.setdefault(title, []).append(page)
    return sections


def page_info(page) -> PageInfo:
    return next((p for p in PAGES if p.url == page.url_path), PAGES[0])  # the default page's path is ""


def sidebar(tr: i18n.Translator) -> None:
    """Language switch, the student's name and the model every page uses (the address keeps the
    language and the name, so a reload keeps them)."""
    lang = tr.lang
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    with st.sidebar:
        codes = list(i18n.LANGUAGES)
        st.radio(
            "Language / 언어",
            codes,
            index=codes.index(lang),
            format_func=i18n.LANGUAGES.get,
            key="_lang_radio",
            on_change=_on_language_change,
            horizontal=True,
        )
        student_box(tr)
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


# ---------------------------------------------------------------- charts and errors


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(builder: str, height: int | None, args: tuple, kwargs: dict):
    from mnist_lab import charts

    fig = getattr(charts, builder)(*args, **kwargs)
    return fig.update_layout(height=height) if height else fig


def figure(builder, *args, height: int | None = None, **kwargs):
    """charts.<builder>(*args, **kwargs), made once per distinct input for every session of the server
    (a figure is the costly part of a page view: 30 students on the same digit share one). Shared:
    give it to chart() without a height, which would change it for everyone."""
    return _figure(builder.__name__, height, args, kwargs)


def chart(fig, key: str, height: int | None = None, **kwargs):
    """A plotly chart without the mode bar; returns the selection event when on_select is given."""
    if height:
        fig.update_layout(height=height)
    return st.plotly_chart(fig, config=NO_BAR, key=key, **kwargs)


def clicked(event) -> list | None:
    """customdata of the first point selected in st.plotly_chart(on_select=...), as a list; None if none."""
    from mnist_lab.charts import selected_customdata

    return selected_customdata(event.selection.points if event and event.selection else [])


def error(tr: i18n.Translator, intro_key: str, e: BaseException) -> None:
    """A plain one-paragraph error in the page's language: a lead-in, then what went wrong."""
    st.error(f"{tr(intro_key)} {tr.error(e)}")


# ---------------------------------------------------------------- datasets


@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset(name: str, root: str, where: str) -> data.Dataset:
    return data.load_dataset(name, root, download=False)


def _loaded(name: str, where: str) -> data.Dataset:
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
            return _loaded(name, where)
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
    return data.mean_std(_loaded(name, where).train.images)


@st.cache_data(show_spinner=False, max_entries=8)
def class_means(name: str, where: str, split: str) -> np.ndarray:
    return data.class_means(_loaded(name, where).split(split))


@st.cache_data(show_spinner=False, max_entries=8)
def class_counts(name: str, where: str, split: str) -> np.ndarray:
    return data.class_counts(_loaded(name, where).split(split))


def forget_datasets() -> None:
    """Drop every cached dataset and what was computed from one (after new files were imported)."""
    for cached in (_dataset, pixel_stats, class_means, class_counts, _saved_evaluation):
        cached.clear()


# ---------------------------------------------------------------- device and models


def device_name() -> str:
    """The GPU's name, or 'CPU (n cores)'."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({os.cpu_count()} cores)"


def model_title(name: str, tr: i18n.Translator) -> str:
    key = f"model.title.{name}"
    return tr(key) if key in i18n.EN else name


def store() -> runs.RunStore:
    return runs.RunStore(runs.default_runs_dir())


def launcher() -> jobs.Launcher:
    """Local workers, or a Ray cluster when $MNIST_LAB_RAY_ADDRESS names one."""
    return jobs.launcher(runs.default_runs_dir(), data.resolve_root(None))


@st.cache_data(ttl=1.0, show_spinner=False, max_entries=4)
def class_runs(root: str) -> list[runs.RunInfo]:
    """Every run of the folder, read at most once a second for all sessions together (30 students on
    the board, each polling, cost one listing a second)."""
    return runs.RunStore(root).list()


def runs_table(infos: list[runs.RunInfo], tr: i18n.Translator) -> None:
    """Every run: who, what, how it went (a name is a plain text cell, never HTML)."""
    st.dataframe(
        [{tr("train.col.student"): i.student or "",
          tr("train.col.run"): i.run_id,
          tr("train.col.model"): model_title(i.model, tr),
          tr("train.col.preset"): i.preset,
          tr("train.col.status"): tr(f"state.{i.status}"),
          tr("train.col.accuracy"): None if i.test_accuracy is None else 100 * i.test_accuracy,
          tr("train.col.epochs"): i.epochs,
          tr("train.col.duration"): i18n.duration(i.duration_s),
          tr("train.col.device"): tr.device(i.device)} for i in infos],
        hide_index=True, placeholder="–",
        column_config={tr("train.col.accuracy"): st.column_config.NumberColumn(format="%.2f %%")})  # fmt: skip


def secrets() -> dict:
    """.streamlit/secrets.toml as a dict; {} when there is none."""
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 -- no secrets file, or one Streamlit cannot parse
        return {}


@st.cache_resource(show_spinner=False)
def throttle() -> classroom.Throttle:
    """The wrong-password delay, shared by every session of this server."""
    return classroom.Throttle()


def run_label(info: runs.RunInfo, tr: i18n.Translator) -> str:
    """'Ana · LeNet-5 (seed 003) · 20261123-…': who, what, which (a name is plain text in a select box)."""
    return " · ".join(p for p in (info.student, model_title(info.model, tr), info.run_id) if p)


@st.cache_resource(show_spinner=False, max_entries=32)
def _model(path: str, mtime: float):
    return checkpoints.load_model(path)


def default_model_card() -> dict:
    """The shipped model's card, or {} when it is not installed."""
    return checkpoints.read_card() if checkpoints.default_checkpoint().is_file() else {}


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
            acc = f" · {info.test_accuracy:.2%}" if info.test_accuracy is not None else ""
            out[info.run_id] = f"{run_label(info, tr)} · {tr(f'state.{info.status}')}{acc}"
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
        st.page_link("pages/3_Train.py", label=tr("model.go_train"), icon=":material/model_training:")
        return None
    try:
        with st.spinner(tr("common.loading_model")):
            model, meta = _model(str(path), path.stat().st_mtime)
    except checkpoints.CheckpointError as e:
        error(tr, "model.unreadable", e)
        return None
    return model, meta, path


def current_model(tr: i18n.Translator):
    """(model, meta, path) for the chosen model, or None after showing why it cannot be used."""
    return load_choice(st.session_state.get("model_choice", DEFAULT_MODEL), tr, in_use=True)


@st.cache_resource(show_spinner=False, max_entries=64)
def _sweep_probabilities(path: str, mtime: float, img: np.ndarray, kind: str) -> np.ndarray:
    from mnist_lab import robustness

    model, meta = _model(path, mtime)
    return robustness.sweep_probabilities(model, meta, img, kind)


def sweep_probabilities(path: Path, img: np.ndarray, kind: str) -> np.ndarray:
    """A model's probabilities along one robustness sweep (robustness.sweep_probabilities, default steps),
    computed once per model version, digit and transform for every session (shared: read only)."""
    return _sweep_probabilities(str(path), _mtime(path), np.asarray(img, dtype=np.uint8), kind)


def pick_digit(tr: i18n.Translator, meta: checkpoints.ModelMeta, key: str) -> tuple[np.ndarray, int | None]:
    """The digit Feature maps, Explain and Robustness look at: the last one drawn, or a test digit by its
    index. One choice for all three pages (st.session_state digit_source, digit_index), so a digit picked
    on one (or sent from Mistakes, Draw or the digit map) is the one the others show. Returns
    (28x28 uint8 image, true label or None); stops the page, after saying why, without a dataset."""
    drawn = st.session_state.get("drawn_digit")
    sources = ["test"] + (["drawn"] if drawn is not None else [])
    source = st.session_state.get("digit_source", "test")
    source = source if source in sources else "test"
    source = st.segmented_control(tr("fm.source"), sources, default=source, key=f"_{key}_source_{source}",
                                  format_func=lambda s: tr(f"fm.source.{s}")) or source  # fmt: skip
    st.session_state["digit_source"] = source
    if drawn is None:
        st.caption(tr("fm.draw_hint"))
    if source == "drawn":
        return np.asarray(drawn, dtype=np.uint8), None
    ds = dataset(meta.dataset, tr)
    if ds is None:
        st.stop()
    last = len(ds.test) - 1
    index = min(int(st.session_state.get("digit_index", 0)), last)
    index = st.number_input(tr("fm.index", n=last), 0, last, index, key=f"_{key}_index_{index}")
    st.session_state["digit_index"] = index
    return ds.test.images[index].numpy(), int(ds.test.labels[index])


def look_at(page: str, source: str, index: int | None = None) -> None:
    """Open a page on a digit: a test digit by index, or the last drawn one."""
    st.session_state["digit_source"] = source
    if index is not None:
        st.session_state["digit_index"] = int(index)
    st.switch_page(page)


@st.cache_resource(show_spinner=False, max_entries=16)
def _onnx(path: str, mtime: float) -> bytes:
    from mnist_lab import export

    model, meta = _model(path, mtime)
    return export.onnx_bytes(model, meta)


def onnx_file(path: Path) -> Callable[[], bytes] | None:
    """data= for st.download_button: the checkpoint as one .onnx file. Made on the first click, not at
    every view of the page, then kept per checkpoint version for every session (bytes are safe to
    share). None when the onnx package is missing."""
    from mnist_lab import export

    if not export.available():
        return None
    mtime = _mtime(path)
    return lambda: _onnx(str(path), mtime)


@st.cache_resource(show_spinner=False, max_entries=64)
def _look_inside(path: str, mtime: float, img: np.ndarray, normalize: str, pad: int):
    import torch

    from mnist_lab import layers

    model, _ = _model(path, mtime)
    probs = evaluate.predict_proba(model, img[None], normalize, pad)[0]
    x = data.to_float(torch.from_numpy(np.ascontiguousarray(img))[None], normalize, pad)
    return probs, layers.activations(model, x), dict(layers.conv_filters(model)), tuple(x.shape[1:])


def look_inside(path: Path, img: np.ndarray, normalize: str, pad: int):
    """(probabilities, every layer's output, the conv filters, the model's input shape) for one digit,
    computed once per model version and digit for every session."""
    return _look_inside(str(path), _mtime(path), np.asarray(img, dtype=np.uint8), normalize, pad)


def require_model(tr: i18n.Translator):
    """(model, meta, path) for the chosen model; the page stops here, after saying why, without one."""
    loaded = current_model(tr)
    if loaded is None:
        st.stop()
    return loaded


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _side_mtimes(path: Path, suffix: str) -> tuple[float, ...]:
    """The modification times of a checkpoint's saved side files: a cache key that changes when one is written."""
    return tuple(_mtime(p) for p in checkpoints.side_files(path, suffix))


@st.cache_resource(show_spinner=False, max_entries=16)
def _saved_evaluation(path: str, mtime: float, saved_mtime: tuple, name: str, where: str) -> evaluate.Evaluation | None:
    """The checkpoint's saved test-set answers, as an Evaluation (nothing is computed: a file is read)."""
    _, meta = _model(path, mtime)
    return evaluate.load_predictions(path, _loaded(name, where).test.labels.numpy(), meta.epoch)


def evaluation(path: Path, meta: checkpoints.ModelMeta, tr: i18n.Translator):
    """(the chosen model's test-set evaluation, its dataset). A training run saves it beside its checkpoint;
    for a model without one (a run from an older version), it is computed once, in the background,
    with its progress shown, and saved there too; the page waits without blocking the server."""
    ds = dataset(meta.dataset, tr)
    if ds is None:
        return None
    where = dataset_location(meta.dataset) or ""
    mtime = _mtime(path)
    ev = _saved_evaluation(str(path), mtime, _side_mtimes(path, ".predictions.npz"), meta.dataset, where)
    if ev is not None:
        return ev, ds

    def work(progress) -> evaluate.Evaluation:
        model, m = _model(str(path), mtime)
        ev = evaluate.evaluate_with_progress(model, _loaded(meta.dataset, where).test, m.normalize, m.pad, progress)
        with contextlib.suppress(OSError):  # a folder it cannot write to: computed again next time
            evaluate.save_predictions(path, ev.probabilities, ev.labels, m.epoch)
        return ev

    task = tasks.start(f"evaluate {path} {mtime}", work)
    _wait_for(task, tr("common.evaluating"), tr)
    return (task.result, ds) if task.done and task.error is None else None


def _wait_for(task: tasks.Task, text: str, tr: i18n.Translator) -> None:
    """Show a background task's progress until it is done, then run the page again (only this part polls)."""

    @st.fragment(run_every=0.5)
    def progress() -> None:
        if task.done:  # the page runs again and shows the result, or the error without polling
            st.rerun(scope="app")
        else:
            st.progress(task.fraction, text=f"{text} {task.fraction:.0%}")

    if not task.done:
        progress()
    elif task.error is not None:
        st.error(f"{tr('common.task_failed')} {tr.error(task.error)}")
        if st.button(tr("common.retry"), icon=":material/refresh:", key=f"_retry_{task.key}"):
            tasks.forget(task.key)
            st.rerun()


# ---------------------------------------------------------------- run metrics


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


# ---------------------------------------------------------------- explanations and the digit map


@st.cache_resource(show_spinner=False, max_entries=8)
def _scrambled(model_name: str):
    from mnist_lab import explain

    return explain.scrambled(checkpoints.ModelMeta(model_name))


@st.cache_resource(show_spinner=False, max_entries=256)
def _maps(path: str, mtime: float, img: np.ndarray, target: int, method: str, baseline: str, patch: int):
    from mnist_lab import explain

    model, meta = _model(path, mtime)
    options = dict(baseline=baseline, patch=patch)
    trained = explain.attribution(model, meta, img, method, target, **options)
    scrambled = explain.attribution(_scrambled(meta.model), meta, img, method, target, **options)
    return trained, scrambled, explain.rank_correlation(trained.map, scrambled.map)


def explain_maps(path: Path, img: np.ndarray, target: int, method: str, baseline: str = "grey", patch: int = 5):
    """(the model's map, the scrambled model's map, their rank correlation), once per digit and settings
    for every session."""
    return _maps(str(path), _mtime(path), np.asarray(img, np.uint8), int(target), method, baseline, int(patch))


def _cache_file(key: str, suffix: str) -> Path:
    """A file in the user's cache folder for what key names (a model version and the data it was run on)."""
    import hashlib

    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return checkpoints.cache_dir() / f"{digest}{suffix}"


@st.cache_resource(show_spinner=False, max_entries=4)
def _neighbours_from(file: str):
    from mnist_lab import explain

    with np.load(file, allow_pickle=False) as z:
        return explain.Neighbours(z["features"].astype(np.float32))


def neighbours(path: Path, meta: checkpoints.ModelMeta, tr: i18n.Translator):
    """The nearest-neighbour index over every training digit's penultimate features: computed once per
    model version in the background (progress shown), kept in the user's cache folder; None meanwhile."""
    mtime = _mtime(path)
    where = dataset_location(meta.dataset)
    if where is None:
        return None
    file = _cache_file(f"{Path(path).resolve()}:{mtime}:{Path(where).resolve()}", ".neighbours.npz")
    if file.is_file():
        return _neighbours_from(str(file))

    def work(progress) -> str:
        import io

        from mnist_lab import explain, files

        model, m = _model(str(path), mtime)
        feats = explain.features(model, m, _loaded(meta.dataset, where).train.images, progress=progress)
        buf = io.BytesIO()
        np.savez(buf, features=feats.astype(np.float16))
        file.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write_bytes(file, buf.getvalue())
        return str(file)

    task = tasks.start(f"neighbours {path} {mtime}", work)
    _wait_for(task, tr("explain.neighbours_computing"), tr)
    return _neighbours_from(task.result) if task.done and task.error is None else None


def digit_features(path: Path, img: np.ndarray) -> np.ndarray:
    """The penultimate features of one digit (for its neighbours, and its star on the digit map)."""
    from mnist_lab import explain

    model, meta = _model(str(path), _mtime(path))
    return explain.features(model, meta, np.asarray(img, np.uint8)[None])[0]


@st.cache_resource(show_spinner=False, max_entries=16)
def _saved_projections(path: str, mtime: float, saved_mtime: tuple, epoch: int | None, name: str, where: str) -> dict:
    from mnist_lab import projection

    labels = _loaded(name, where).test.labels.numpy() if where else None
    return projection.load(path, epoch, labels)


@st.cache_resource(show_spinner=False, max_entries=4)
def _map_features(path: str, mtime: float, name: str, where: str, n: int) -> np.ndarray:
    from mnist_lab import explain

    model, meta = _model(path, mtime)
    return explain.features(model, meta, _loaded(name, where).test.images[:n])


def projections(path: Path, meta: checkpoints.ModelMeta, kinds: list[str], tr: i18n.Translator) -> dict | None:
    """The saved digit map of a model with these kinds of projection; what is missing is made once, in
    the background with its progress shown, and saved beside the checkpoint. None while it is made."""
    from mnist_lab import projection

    mtime = _mtime(path)
    where = dataset_location(meta.dataset)
    stamps = _side_mtimes(path, ".projections.npz")
    saved = _saved_projections(str(path), mtime, stamps, meta.epoch, meta.dataset, where or "")
    missing = [k for k in kinds if k not in saved]
    if not missing:
        return saved
    if where is None:
        missing_data_message(meta.dataset, tr)
        return None

    def work(progress) -> dict:
        model, m = _model(str(path), mtime)
        test = _loaded(meta.dataset, where).test
        out = projection.build(model, m, test.images.numpy(), test.labels.numpy(), missing, saved, progress)
        with contextlib.suppress(OSError):  # a folder it cannot write to: made again next time
            projection.save(path, out)
        return out

    task = tasks.start(f"project {path} {mtime} {','.join(missing)}", work)
    seconds = sum(projection.EXPECTED_SECONDS[k] for k in missing)
    _wait_for(task, tr("dmap.computing", kinds=", ".join(tr(f"dmap.kind.{k}") for k in missing), s=seconds), tr)
    # done, but not saved (a folder it cannot write to): this session shows it anyway
    return task.result if task.done and task.error is None else None


def map_star(
    path: Path, meta: checkpoints.ModelMeta, kind: str, saved: dict, img: np.ndarray
) -> tuple[float, float] | None:
    """Where a digit (the one just drawn) goes on a saved digit map; None where that needs the dataset
    and it is missing."""
    from mnist_lab import projection

    feats = None
    if kind != "pca":  # t-SNE and UMAP place a new point among its neighbours in the test digits
        where = dataset_location(meta.dataset)
        if where is None:
            return None
        feats = _map_features(str(path), _mtime(path), meta.dataset, where, len(saved["labels"]))
    x, y = projection.place(kind, saved, feats, digit_features(path, img))
    return float(x), float(y)
