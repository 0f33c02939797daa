"""Our digits: the class's own handwriting, how many of each and by whom, and how well the model reads it
beside how well it reads MNIST."""

import time
from collections import Counter

import numpy as np
import streamlit as st

import ui
from mnist_lab.charts import answers, classdigits
from mnist_lab.classdigits import measure

SHOWN = 48  # tiles in the gallery: 6 rows of 8

tr = ui.translator()
L = ui.labels()
got = ui.class_set(tr)
if got is None:
    st.stop()
s, stamp = got
if stamp[0] == 0:
    st.info(tr("ours.empty"), icon=":material/draw:")
    st.page_link(ui.page("draw"), label=tr("ours.go_draw"), icon=":material/draw:")
    st.stop()

names = ui.names_shown()
d = ui.class_arrays(s, stamp)
loaded = ui.current_model(tr)
m = mnist = None
if loaded is not None and loaded[1].dataset == "mnist":
    _, meta, path = loaded
    m = ui.class_measured(s, stamp, path)
    mnist = meta.test_accuracy
    if ui.dataset_location(meta.dataset):
        result = ui.evaluation(path, meta, tr)
        mnist = result[0].accuracy if result is not None else mnist
elif loaded is not None:
    st.info(tr("ours.not_digits"), icon=":material/checkroom:")
by_student = m.by_student() if m else {k: (n, None) for k, n in Counter(d.students).most_common()}


def grid(ids: list[int], key: str, **kw) -> int | None:
    return ui.class_tiles(d, ids, key, m, names=names, **kw)


def detail(digit_id: int, where: str) -> None:
    """One digit as it was drawn, what the model says now and said then, and where to look at it."""
    row = s.digits(ids=[digit_id])
    if not row:
        return
    row, n = row[0], m.position(digit_id) if m else None
    a, b = st.columns([1, 2])
    a.image(s.picture(digit_id), width="stretch", caption=row.student if names and row.student else None)
    with b:
        lines = [tr("ours.detail", id=digit_id, label=row.label)]
        if n is not None:
            lines.append(tr("ours.detail_now", answer=m.ev.predictions[n], conf=f"{m.ev.confidence[n]:.0%}"))
        if row.answer is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.created))
            lines.append(tr("ours.detail_then", when=when, answer=row.answer, conf=f"{row.confidence or 0:.0%}",
                            source=tr(f"ours.source.{row.source}")))  # fmt: skip
        st.markdown("  \n".join(lines))
        # one under the other: a narrow column would cut their labels short
        if st.button(tr("draw.to_explain"), icon=":material/psychology_alt:", key=f"o_ex_{where}_{digit_id}"):
            ui.look_at(ui.page("explain"), "class", digit_id)
        if st.button(tr("draw.to_feature_maps"), icon=":material/layers:", key=f"o_fm_{where}_{digit_id}"):
            ui.look_at(ui.page("feature_maps"), "class", digit_id)
        if st.session_state.get("_teacher"):
            ui.class_delete_digit(tr, s, digit_id, f"o_del_{where}_{digit_id}")


left, right = st.columns([3, 2], gap="large")
with left:  # the pictures first
    label = st.segmented_control(tr("ours.gallery_title"), ["all", *range(10)], default="all", key="o_label",
                                 format_func=lambda k: tr("common.all") if k == "all" else str(k)) or "all"  # fmt: skip
    order = np.argsort(-d.ids)  # newest first
    ids = [int(d.ids[i]) for i in order if label == "all" or d.labels[i] == label][:SHOWN]
    picked = grid(ids, f"o_gallery_{label}_{stamp}")
    st.caption(tr("ours.gallery_hint") if ids else tr("ours.none_of", label=label))
    if picked is not None:
        detail(picked, "gallery")
with right:
    a, b = st.columns(2)
    a.metric(tr("ours.n_digits"), f"{len(d):,}")
    b.metric(tr("ours.n_students"), len([k for k in by_student if k]))
    if m is not None:
        gap = None if mnist is None else tr("ours.gap", gap=f"{100 * (m.ev.accuracy - mnist):+.1f}")
        a.metric(tr("ours.acc_ours"), f"{m.ev.accuracy:.1%}", gap)
        b.metric(tr("ours.acc_mnist"), "–" if mnist is None else f"{mnist:.1%}")
        verdict = measure.verdict(m.ev.accuracy, mnist)
        st.markdown(tr(f"ours.verdict.{verdict}", ours=f"{m.ev.accuracy:.1%}", mnist=f"{mnist or 0:.1%}"))
    st.markdown(f"**{tr('ours.counts_title')}**")
    ui.chart(ui.figure(classdigits.label_counts, np.bincount(d.labels, minlength=10), labels=L, height=180),
             "o_labels")  # fmt: skip
    st.markdown(f"**{tr('ours.students_title')}**")
    shown = ui.class_student_names(list(by_student), tr, names)
    counts, right_share = [v[0] for v in by_student.values()], [v[1] for v in by_student.values()]
    fig = ui.figure(classdigits.student_counts, shown, counts, None if m is None else right_share,
                    labels=L, height=50 + 26 * len(shown))  # fmt: skip
    ui.chart(fig, "o_students")

if m is None:
    st.stop()
st.divider()
cm_col, wrong_col = st.columns([2, 3], gap="large")
with cm_col:
    st.subheader(tr("ours.confusion_title"))
    event = ui.chart(ui.figure(answers.confusion_matrix, m.ev.confusion, labels=L, height=420), "o_confusion",
                     on_select="rerun", selection_mode="points")  # fmt: skip
    st.caption(tr("mistakes.confusion_hint"))
with wrong_col:
    st.subheader(tr("ours.wrong_title"))
    wrong = m.confidently_wrong(24)
    hit = grid(wrong, f"o_wrong_{stamp}", conf=True) if wrong else None
    st.caption(tr("ours.wrong_hint") if wrong else tr("ours.wrong_none"))
if hit is not None:
    detail(hit, "wrong")

cell = ui.clicked(event)
if cell and len(cell) >= 2:
    t, p = int(cell[0]), int(cell[1])
    ids = m.cell(t, p)
    st.subheader(tr("ours.cell_title", true=t, pred=p, n=len(ids)))
    picked = grid(ids[:SHOWN], f"o_cell_{t}_{p}_{stamp}", conf=True, cols=12, tile=68) if ids else None
    if not ids:
        st.caption(tr("mistakes.cell_empty"))
    if picked is not None:
        detail(picked, "cell")
