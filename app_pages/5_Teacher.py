"""Teacher: behind a password, stop or delete any run, cap what students may start, archive the board,
see the queue and the workers."""

import time

import streamlit as st

import ui
from mnist_lab import classroom, config, i18n, runs
from mnist_lab.jobs.limits import ClassSettings
from mnist_lab.jobs.queue import queued, stop
from mnist_lab.jobs.slots import workers

tr = ui.translator()
expected = classroom.teacher_password(ui.secrets())
if expected is None:
    st.info(tr("teacher.no_password"), icon=":material/lock:")
    st.code(f'teacher_password = "{tr("teacher.password_example")}"\n', language="toml")
    st.caption(tr("teacher.no_password_env"))
    st.stop()

if not st.session_state.get("_teacher"):
    with st.form("teacher_login"):
        given = st.text_input(tr("teacher.password"), type="password", max_chars=200)
        if st.form_submit_button(tr("teacher.sign_in"), icon=":material/login:"):
            if ui.throttle().check(given, expected):  # a wrong password is answered slowly, never locked out
                st.session_state["_teacher"] = True
                st.rerun()
            st.error(tr("teacher.wrong"))
    st.stop()

if st.button(tr("teacher.sign_out"), icon=":material/logout:"):
    st.session_state.pop("_teacher", None)
    st.rerun()

store = ui.store()

# ---------------------------------------------------------------- every run
st.header(tr("teacher.runs_title"))
infos = store.list()
labels = {i.run_id: f"{ui.run_label(i, tr)} · {tr(f'state.{i.status}')}" for i in infos}
picked = st.multiselect(
    tr("teacher.pick"), list(labels), format_func=labels.get, key="teacher_pick", placeholder=tr("common.choose")
)
c1, c2 = st.columns(2)
if c1.button(tr("teacher.stop"), icon=":material/stop:", disabled=not picked):
    for run_id in picked:
        try:
            stop(store.get(run_id))
        except (runs.RunNotFound, runs.BadRunId):
            continue
    st.toast(tr("teacher.stopped", n=len(picked)), icon=":material/stop:")
with c2.popover(tr("teacher.delete"), icon=":material/delete:", disabled=not picked):
    st.markdown(tr("teacher.delete_confirm", n=len(picked)))
    if st.button(tr("train.delete_yes"), type="primary", key="teacher_delete_yes"):
        refused = []
        for run_id in picked:
            try:
                store.delete(run_id)
            except (runs.RunActive, runs.RunNotFound, runs.BadRunId, OSError) as e:
                refused.append(f"{run_id}: {tr.error(e)}")
        st.session_state.pop("teacher_pick", None)
        if refused:
            st.session_state["_teacher_refused"] = refused
        st.rerun()
for line in st.session_state.pop("_teacher_refused", []):
    st.warning(line)
ui.runs_table(infos, tr)

# ---------------------------------------------------------------- limits for the class
st.header(tr("teacher.limits_title"))
caps = ClassSettings.load(store.root)
with st.form("teacher_limits"):
    a, b = st.columns(2)
    # clamped: a settings file edited by hand may hold more than the inputs allow
    max_epochs = a.number_input(
        tr("teacher.max_epochs"), 0, config.MAX_EPOCHS, min(caps.max_epochs or 0, config.MAX_EPOCHS),
        help=tr("teacher.zero_is_none"),
    )  # fmt: skip
    per_student = b.number_input(
        tr("teacher.per_student"), 0, 50, min(caps.runs_per_student or 0, 50), help=tr("teacher.zero_is_none")
    )
    if st.form_submit_button(tr("teacher.save"), icon=":material/save:"):
        ClassSettings(int(max_epochs) or None, int(per_student) or None, caps.show_names).save(store.root)
        st.toast(tr("teacher.saved"), icon=":material/save:")

# ---------------------------------------------------------------- the queue and the workers
st.header(tr("teacher.queue_title"))
waiting = queued(store.root)
by_id = {i.run_id: i for i in infos}
launch = ui.launcher()
st.caption(
    tr("teacher.queue_line", queued=len(waiting), slots=launch.slots, backend=tr(f"teacher.backend.{launch.backend}"))
)
if waiting:
    st.dataframe(
        [
            {
                tr("teacher.col.place"): n + 1,
                tr("train.col.student"): by_id[r].student or "" if r in by_id else "",
                tr("train.col.run"): r,
            }
            for n, r in enumerate(waiting)
        ],
        hide_index=True,
    )
working = workers(store.root)
if working:
    st.dataframe(
        [
            {
                tr("teacher.col.worker"): w.pid,
                tr("teacher.col.backend"): tr(f"teacher.backend.{w.backend}"),
                tr("train.col.run"): w.run_id or "–",
                tr("train.col.duration"): i18n.duration(time.time() - w.started),
            }
            for w in working
        ],
        hide_index=True,
    )

# ---------------------------------------------------------------- the class's own digits
st.header(tr("teacher.digits.title"))
ui.own_class_digits(tr)

# ---------------------------------------------------------------- a new lesson
st.header(tr("teacher.archive_title"))
st.markdown(tr("teacher.archive_help"))
if st.button(tr("teacher.archive"), icon=":material/inventory_2:"):
    try:
        folder, moved = classroom.archive(store)
    except OSError as e:  # a full disk, a folder it may not write to
        ui.error(tr, "teacher.archive_failed", e)
    else:
        st.success(tr("teacher.archived", n=moved, folder=str(folder)))
past = classroom.archives(store)
if past:
    st.dataframe([{tr("teacher.col.lesson"): name, tr("teacher.col.runs"): n} for name, n in past], hide_index=True)
