"""Digit map: 5,000 test digits placed by the network's last hidden layer; select some to see them."""

import numpy as np
import streamlit as st

import ui
from mnist_lab import i18n, projection
from mnist_lab.charts import answers, digits, maps, selection

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
classes = i18n.class_names(meta.dataset, tr.lang)

c1, c2 = st.columns(2)
kind = c1.segmented_control(tr("dmap.kind"), list(projection.KINDS), default="pca", key="dmap_kind",
                            format_func=lambda k: tr(f"dmap.kind.{k}")) or "pca"  # fmt: skip
color_by = c2.segmented_control(tr("dmap.color_by"), ["true", "predicted"], default="true", key="dmap_color",
                                format_func=lambda c: tr(f"dmap.color.{c}")) or "true"  # fmt: skip

saved = ui.projections(path, meta, ["pca"], tr)  # the quick one, for the first visit of a model
if saved is None:
    st.stop()
if kind not in saved and projection.unavailable(kind):
    st.warning(tr.error(projection.unavailable(kind)), icon=":material/extension_off:")
    st.stop()
if kind not in saved:
    st.info(
        tr("dmap.not_yet", kind=tr(f"dmap.kind.{kind}"), s=projection.EXPECTED_SECONDS[kind]),
        icon=":material/hourglass_top:",
    )
    asked = f"_dmap_asked_{path}_{kind}"
    go = st.button(
        tr("dmap.compute", kind=tr(f"dmap.kind.{kind}")), icon=":material/play_arrow:", key=f"dmap_go_{kind}"
    )
    if go or st.session_state.get(asked):  # once asked, the page keeps showing its progress
        st.session_state[asked] = True
        made = ui.projections(path, meta, ["pca", kind], tr)
        if made is None:
            st.stop()
        saved = made
    else:
        st.stop()

drawn = st.session_state.get("drawn_digit")
star = ui.map_star(path, meta, kind, saved, drawn) if drawn is not None else None
ours = ui.class_map_points(path, meta, kind, saved, tr)
labels, predictions = saved["labels"], saved["predictions"]
wrong = int((labels != predictions).sum())
fig = ui.figure(maps.digit_map, saved[kind], labels, predictions, color_by=color_by,
                star=star, ours=ours, class_names=classes, labels=L, height=620)  # fmt: skip
event = ui.chart(fig, f"dmap_{kind}_{color_by}", on_select="rerun", selection_mode=("box", "lasso"))
# the map right under its two choices; what it shows and how it was made, under it
st.markdown(
    tr("dmap.summary", n=len(labels), wrong=wrong),
    help=tr("dmap.made_in", s=f"{float(saved.get(f'{kind}_seconds', 0)):.1f}"),
)
st.caption(tr(f"dmap.about.{kind}"))
if kind != "pca":
    st.caption(tr("dmap.distances"))
if drawn is None:
    st.caption(tr("dmap.no_star"))

# ---------------------------------------------------------------- what was selected
picked = selection.selected_indices(event.selection.points if event and event.selection else [])
if not picked:
    st.caption(tr("dmap.select_hint"))
    st.stop()
ds = ui.dataset(meta.dataset, tr)
if ds is None:
    st.stop()
shown = np.asarray(picked[:40])
st.subheader(tr("dmap.selected", n=len(picked), shown=len(shown)))
grid = ui.figure(digits.sample_grid, ds.test.images[shown].numpy(),
                 [answers.answer_caption(labels[i], predictions[i]) for i in shown],
                 indices=shown.tolist(), cols=10, labels=L, caption_size=11,
                 height=60 + 70 * -(-len(shown) // 10))  # fmt: skip
clicked = ui.clicked(ui.chart(grid, f"dmap_grid_{hash(tuple(picked))}", on_select="rerun", selection_mode="points"))
index = int(clicked[0]) if clicked else int(shown[0])
st.markdown(tr("dmap.open", index=index, true=classes[labels[index]] if index < len(labels) else "?"))
b1, b2 = st.columns(2)
if b1.button(tr("mistakes.to_explain"), icon=":material/psychology_alt:", key="dmap_explain"):
    ui.look_at(ui.page("explain"), "test", index)
if b2.button(tr("mistakes.to_feature_maps"), icon=":material/layers:", key="dmap_fm"):
    ui.look_at(ui.page("feature_maps"), "test", index)
