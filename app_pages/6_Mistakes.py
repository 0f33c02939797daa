"""Mistakes: test accuracy, per-class accuracy, a clickable confusion matrix and the misclassified digits."""

import numpy as np
import streamlit as st

import ui
from mnist_lab import data, evaluate, i18n
from mnist_lab.charts import answers, digits

PAGE = 40  # digits per gallery page: 5 rows of 8

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
result = ui.evaluation(path, meta, tr)
if result is None:
    st.stop()
ev, ds = result
classes = i18n.class_names(ds.name, tr.lang)
images = ds.test.images


def tiles(indices: np.ndarray, key: str, caption) -> int | None:
    """A clickable grid of test digits; returns the index of the clicked one, if any."""
    rows = -(-len(indices) // 8)
    fig = ui.figure(
        digits.sample_grid,
        images[indices].numpy(),
        [caption(i) for i in indices],
        indices=indices.tolist(),
        cols=8,
        labels=L,
        caption_size=12,
        height=40 + 105 * rows,
    )
    event = ui.chart(fig, key, on_select="rerun", selection_mode="points")
    hit = ui.clicked(event)
    return int(hit[0]) if hit else None


def detail(i: int, where: str) -> None:
    """One test digit enlarged with the model's probabilities and a link to its feature maps."""
    a, b = st.columns([1, 2])
    with a:
        ui.chart(
            ui.figure(digits.digit_heatmap, images[i].numpy(), labels=L, show_values=False, height=240),
            f"m_detail_img_{where}_{i}",
        )
    with b:
        ui.chart(
            ui.figure(answers.probability_bar, ev.probabilities[i], classes, labels=L, height=240),
            f"m_detail_bar_{where}_{i}",
        )
    st.markdown(
        tr(
            "mistakes.detail",
            index=i,
            true=classes[ev.labels[i]],
            pred=classes[ev.predictions[i]],
            conf=f"{ev.confidence[i]:.1%}",
        )
    )
    c1, c2 = st.columns(2)
    if c1.button(tr("mistakes.to_explain"), icon=":material/psychology_alt:", key=f"m_ex_{where}_{i}"):
        ui.look_at(ui.page("explain"), "test", i)
    if c2.button(tr("mistakes.to_feature_maps"), icon=":material/layers:", key=f"m_fm_{where}_{i}"):
        ui.look_at(ui.page("feature_maps"), "test", i)


m = st.columns(3)
m[0].metric(tr("mistakes.accuracy"), f"{ev.accuracy:.2%}")
m[1].metric(tr("mistakes.wrong"), f"{len(evaluate.mistakes(ev)):,}")
m[2].metric(tr("mistakes.test_images"), f"{len(ev.labels):,}")

# the two pictures right under the numbers: bold lines, not headers, name them (a header costs a line)
cm_col, pc_col = st.columns([3, 2], gap="large")
with cm_col:
    st.markdown(f"**{tr('mistakes.confusion_title')}**")
    # the axes say the class numbers: a Fashion-MNIST name is too long for a column
    fig = ui.figure(answers.confusion_matrix, ev.confusion, labels=L, height=560)
    event = ui.chart(fig, "m_confusion", on_select="rerun", selection_mode="points")
    st.caption(tr("mistakes.confusion_hint"))
with pc_col:
    # counts, not accuracy bars: at 99% every bar looks full, while 3 mistakes and 30 differ
    st.markdown(f"**{tr('mistakes.errors_title')}**")
    ui.chart(ui.figure(answers.class_errors, ev.confusion, classes, labels=L, height=560), "m_errors")
    st.caption(tr("mistakes.model_is", model=ui.model_title(meta.model, tr)), help=tr("mistakes.model_file", path=path))

hit = ui.clicked(event)
if hit and len(hit) >= 2:
    t, p = int(hit[0]), int(hit[1])
    cell = evaluate.cell_indices(ev, t, p)
    st.subheader(tr("mistakes.cell_title", true=classes[t], pred=classes[p], n=len(cell)))
    if len(cell):
        picked = tiles(cell[:64], f"m_cell_{t}_{p}", lambda i: f"{ev.confidence[i]:.0%}")
        if len(cell) > 64:
            st.caption(tr("mistakes.first_n", n=64))
        if picked is not None:
            detail(picked, "cell")
    else:
        st.caption(tr("mistakes.cell_empty"))

st.divider()
st.subheader(tr("mistakes.gallery_title"))
f1, f2, f3 = st.columns(3)
any_class = [None, *range(10)]
fmt = lambda k: tr("common.all") if k is None else classes[k]
true_k = f1.selectbox(tr("mistakes.filter_true"), any_class, format_func=fmt)
pred_k = f2.selectbox(tr("mistakes.filter_pred"), any_class, format_func=fmt)
found = evaluate.mistakes(ev, true_k, pred_k)
pages = data.page_count(len(found), PAGE)
page = f3.number_input(tr("dataset.page", pages=pages), 1, pages, 1, key=f"m_page_{true_k}_{pred_k}")
shown = data.page_of(found, page, PAGE)
st.caption(tr("mistakes.gallery_hint", n=len(found)))
if len(shown):
    picked = tiles(
        shown,
        f"m_gallery_{true_k}_{pred_k}_{page}",
        lambda i: f"{answers.answer_caption(ev.labels[i], ev.predictions[i])} {ev.confidence[i]:.0%}",
    )
    if picked is not None:
        detail(picked, "gallery")
else:
    st.info(tr("mistakes.none"))
