"""The class's own digits in the app: one store per server, what is computed from the set (once per version
of the set and of the model, for every session), Draw's Add, the gallery's pieces, the teacher's tools.
A damaged or busy file is said in words where the set is used; no other page depends on it."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import streamlit as st

from mnist_lab import checkpoints, i18n, runs
from mnist_lab.charts import answers, digits
from mnist_lab.classdigits import archive, collect, measure
from mnist_lab.classdigits.store import Digits, DigitsError, DigitStore, default_path
from mnist_lab.jobs.limits import ClassSettings

from .cache import model_at, mtime_of
from .computed import map_places
from .widgets import chart, clicked, error, figure

CONFIRM = ":material/delete_forever:"


@st.cache_resource(show_spinner=False, max_entries=4)
def _digit_store(path: str) -> DigitStore:
    return DigitStore(path)


def digit_store() -> DigitStore:
    """The class's digits, one store per server (it keeps a connection per thread)."""
    return _digit_store(str(default_path(runs.default_runs_dir())))


def class_set(tr: i18n.Translator, quiet: bool = False) -> tuple[DigitStore, tuple] | None:
    """(the store, its version: how many digits first) when it can be read, also when there is no file
    yet (nothing is created by looking); None after saying why it cannot be used (quiet: without)."""
    s = digit_store()
    if not s.path.is_file():
        return s, (0, 0, 0)
    try:
        return s, s.stamp()
    except DigitsError as e:
        if not quiet:
            error(tr, "ours.unavailable", e)
        return None


def names_shown() -> bool:
    """Whether the teacher lets the Our digits page say who wrote each digit."""
    return ClassSettings.load(runs.default_runs_dir()).show_names


@st.cache_resource(show_spinner=False, max_entries=8)
def _arrays(db: str, stamp: tuple) -> Digits:
    return _digit_store(db).arrays()


def class_arrays(s: DigitStore, stamp: tuple) -> Digits:
    """Every digit as arrays, read once per version of the set (shared: read only)."""
    return _arrays(str(s.path), stamp)


@st.cache_resource(show_spinner=False, max_entries=8)
def _measured(db: str, stamp: tuple, path: str, mtime: tuple) -> measure.Measured:
    model, meta = model_at(path, mtime)
    return measure.measure(model, meta, _arrays(db, stamp))


def class_measured(s: DigitStore, stamp: tuple, path) -> measure.Measured:
    """The model's answers to the set, once per version of the set and of the checkpoint."""
    return _measured(str(s.path), stamp, str(path), mtime_of(path))


@st.cache_resource(show_spinner=False, max_entries=8)
def _features(db: str, stamp: tuple, path: str, mtime: tuple) -> np.ndarray:
    from mnist_lab import explain

    model, meta = model_at(path, mtime)
    return explain.features(model, meta, _arrays(db, stamp).images)


def class_map_points(path, meta: checkpoints.ModelMeta, kind: str, saved: dict, tr: i18n.Translator):
    """The class's digits for the digit map, (places, labels, answers, ids); None without any."""
    got = class_set(tr, quiet=True)
    if got is None or got[1][0] == 0 or meta.dataset != "mnist":
        return None
    s, stamp = got
    m = class_measured(s, stamp, path)
    places = map_places(path, meta, kind, saved, _features(str(s.path), stamp, str(path), mtime_of(path)))
    return None if places is None else (places, m.ev.labels, m.ev.predictions, tuple(m.digits.ids.tolist()))


# ---------------------------------------------------------------- Draw: add the digit to the class's set


def add_to_class(tr: i18n.Translator, *, picture: np.ndarray, prepared, source: str, probs: np.ndarray,
                 student: str | None) -> None:  # fmt: skip
    """Under the model's answer: the right digit (preset to the answer) and Add, then Undo once added. What
    was saved is kept per drawing, so a double click, or a rerun, stores one digit.

    It is redrawn at every stroke, so it is few elements under keys that stay from drawing to drawing: the
    browser updates them in place (a key per drawing built them anew, and with a title and a caption this
    took a sixth of the time from pen-up to answer). The advice to correct a wrong answer is the picker's help."""
    key = collect.drawing_key(prepared.image)
    ss = st.session_state
    saved = ss.setdefault("_class_saved", {})  # drawing key -> (digit id, label)
    if key not in saved:
        answer = int(np.argmax(probs))
        # a new drawing's label starts at the model's answer (so does one whose picker was gone a run: saved)
        if ss.get("_class_label_for") != key or "_class_label" not in ss:
            ss["_class_label_for"], ss["_class_label"] = key, answer
        asking = st.empty()  # emptied once the digit is saved: the same run then shows it saved
        pick, go = asking.container().columns([2, 3], vertical_alignment="bottom")
        label = pick.selectbox(tr("ours.true_label"), list(range(10)), key="_class_label", help=tr("ours.correct_it"))
        add = go.button(tr("ours.add"), icon=":material/add_circle:", key="_class_add", type="primary",
                        width="stretch")  # fmt: skip
        if not add:
            return
        label = answer if label is None else int(label)
        s = digit_store()
        model = ss.get("model_choice", "default")
        try:
            digit_id = collect.add_drawing(s, picture=picture, prepared=prepared, source=source, label=label,
                                           probs=probs, student=student, model=model)  # fmt: skip
            n = s.count()
        except DigitsError as e:
            return error(tr, "ours.add_failed", e)
        saved[key] = (digit_id, label)
        asking.empty()
        st.toast(tr("ours.added_toast", n=n), icon=":material/check_circle:")
    digit_id, label = saved[key]
    st.success(tr("ours.added", label=label, id=digit_id), icon=":material/check_circle:")
    if st.button(tr("ours.undo"), icon=":material/undo:", key="_class_undo"):
        try:
            digit_store().delete(ids=[digit_id])
        except DigitsError as e:
            return error(tr, "ours.add_failed", e)
        del saved[key]
        st.rerun()


# ---------------------------------------------------------------- Our digits: the gallery's pieces


def class_tiles(d: Digits, ids: list[int], key: str, m: measure.Measured | None = None, *, names: bool = False,
                conf: bool = False, cols: int = 8, tile: int = 56) -> int | None:  # fmt: skip
    """A clickable grid of the class's digits (tile: its side in pixels); returns the clicked one's id. Each
    says its label, or label→answer when read wrong (conf: how sure), and who wrote it if names are shown."""
    where = {int(i): n for n, i in enumerate(d.ids)}
    at = [where[i] for i in ids if i in where]
    if not at:
        return None
    captions = []
    for n in at:
        text = str(d.labels[n]) if m is None else answers.answer_caption(m.ev.labels[n], m.ev.predictions[n])
        captions.append(f"{text} {m.ev.confidence[n]:.0%}" if conf and m is not None else text)
    # a name is plain text: plotly would read <b> or <a> in it as markup
    footers = [html.escape(d.students[n][:8]) for n in at] if names else None
    fig = figure(digits.sample_grid, d.images[at], captions, indices=[int(d.ids[n]) for n in at], cols=cols,
                 caption_size=11, footers=footers, height=10 + tile * -(-len(at) // cols))  # fmt: skip
    hit = clicked(chart(fig, key, on_select="rerun", selection_mode="points"))
    return int(hit[0]) if hit else None


def class_student_names(students: list[str], tr: i18n.Translator, names: bool) -> list[str]:
    """The per-student chart's names: the real ones, or 'Student 1, 2, …' when the teacher hides them."""
    if not names:
        return [tr("ours.anon", n=k + 1) for k in range(len(students))]
    return [html.escape(name) if name else tr("ours.no_name") for name in students]


def class_delete_digit(tr: i18n.Translator, s: DigitStore, digit_id: int, key: str) -> None:
    """The teacher's delete for one digit, behind a confirmation."""
    with st.popover(tr("teacher.digits.delete_one"), icon=":material/delete:"):
        st.markdown(tr("teacher.digits.confirm_one", id=digit_id))
        if st.button(tr("teacher.digits.yes"), type="primary", icon=CONFIRM, key=f"{key}_yes"):
            _deleted(tr, lambda: s.delete(ids=[digit_id]))


def _deleted(tr: i18n.Translator, delete) -> None:
    try:
        st.session_state["_class_done"] = tr("teacher.digits.deleted", n=delete())
    except DigitsError as e:
        return error(tr, "ours.unavailable", e)
    st.rerun()


# ---------------------------------------------------------------- Teacher: own the set


def own_class_digits(tr: i18n.Translator) -> None:
    """Who is shown, one digit, one student's digits or all of them deleted, the set exported or added to."""
    if "_class_done" in st.session_state:  # said after the rerun that shows the set as it is now
        st.toast(st.session_state.pop("_class_done"), icon=":material/check_circle:")
    root = runs.default_runs_dir()
    caps = ClassSettings.load(root)

    def flipped() -> None:  # saved when this teacher flips it, never because another tab shows an older state
        dataclasses.replace(ClassSettings.load(root), show_names=st.session_state["teacher_show_names"]).save(root)

    st.toggle(tr("teacher.digits.show_names"), value=caps.show_names, key="teacher_show_names", on_change=flipped)
    got = class_set(tr)
    if got is None:
        return
    s, stamp = got
    per_student = s.counts()[1] if stamp[0] else {}
    st.caption(tr("teacher.digits.line", n=stamp[0], students=len([k for k in per_student if k])))
    one, who, every = st.columns(3)
    with one:
        digit_id = st.number_input(tr("teacher.digits.id"), 1, value=None, step=1, key="teacher_digit_id")
        row = s.digits(ids=[digit_id]) if digit_id and stamp[0] else []
        if row:
            st.image(s.picture(row[0].id), width=96, caption=f"#{row[0].id} · {row[0].label} · {row[0].student or ''}")
            class_delete_digit(tr, s, row[0].id, "teacher_one")
        elif digit_id:
            st.caption(tr("teacher.digits.no_such", id=digit_id))
    with who:
        name = st.selectbox(tr("teacher.digits.student"), list(per_student), index=None, key="teacher_digit_student",
                            format_func=lambda k: f"{k or tr('ours.no_name')} ({per_student[k]})",
                            placeholder=tr("common.choose"))  # fmt: skip
        with st.popover(tr("teacher.digits.delete_student"), icon=":material/delete:", disabled=name is None):
            st.markdown(tr("teacher.digits.confirm_student", n=per_student.get(name, 0)))
            if st.button(tr("teacher.digits.yes"), type="primary", icon=CONFIRM, key="teacher_student_yes"):
                _deleted(tr, lambda: s.delete(student=name))
    with every, st.popover(tr("teacher.digits.delete_all"), icon=":material/delete:", disabled=not stamp[0]):
        st.markdown(tr("teacher.digits.confirm_all", n=stamp[0]))
        if st.button(tr("teacher.digits.yes"), type="primary", icon=CONFIRM, key="teacher_all_yes"):
            _deleted(tr, lambda: s.delete(everything=True))
    out, into = st.columns(2)
    with out:
        fmt = st.segmented_control(tr("teacher.digits.format"), ["idx", "npz"], default="idx", key="teacher_fmt",
                                   format_func=lambda f: tr(f"teacher.digits.format.{f}")) or "idx"  # fmt: skip
        if stamp[0]:
            try:
                file_name, data = _packed(str(s.path), stamp, fmt)
            except (DigitsError, OSError) as e:
                error(tr, "ours.unavailable", e)
            else:
                st.download_button(tr("teacher.digits.export"), data, file_name=file_name, icon=":material/download:")
    with into:
        n = st.session_state.setdefault("_class_uploads", 0)  # a new key empties the uploader once it is used
        up = st.file_uploader(tr("teacher.digits.import"), type=["zip", "npz"], key=f"teacher_digits_upload_{n}")
        if up is not None and st.button(tr("teacher.digits.import_button"), icon=":material/upload:"):
            try:
                st.session_state["_class_done"] = tr(
                    "teacher.digits.imported", n=archive.unpack_into(s, up.name, up.getvalue())
                )
            except DigitsError as e:
                return error(tr, "teacher.digits.import_failed", e)
            st.session_state["_class_uploads"] = n + 1
            st.rerun()


@st.cache_resource(show_spinner=False, max_entries=4)
def _packed(db: str, stamp: tuple, fmt: str) -> tuple[str, bytes]:
    return archive.packed(_digit_store(db), fmt)
