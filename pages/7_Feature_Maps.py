"""Feature maps: one digit through the model, layer by layer: learned filters and activations."""

import streamlit as st

import ui
from mnist_lab import i18n, layers
from mnist_lab.charts import answers, digits

MAX_MAPS = 32

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
normalize, pad = meta.normalize, meta.pad

# ---------------------------------------------------------------- which digit
img, label = ui.pick_digit(tr, meta, "fm")
classes = i18n.class_names(meta.dataset, tr.lang)

probs, acts, weights, model_input = ui.look_inside(path, img, normalize, pad)

a, b = st.columns([2, 3], gap="large")
with a:
    st.markdown(
        f"**{tr('fm.input')}** · 28×28"
        + (f" · {tr('fm.true_label', label=classes[label])}" if label is not None else "")
    )
    ui.chart(ui.figure(digits.digit_heatmap, img, labels=L, show_values=False, height=320), "fm_input")
    st.caption(
        tr("fm.model_input", shape=" × ".join(map(str, model_input)), normalize=tr(f"train.normalize.{normalize}"))
    )
with b:
    st.markdown(f"**{tr('fm.top')}**: {i18n.top_answers(probs, classes)}")
    ui.chart(ui.figure(answers.probability_bar, probs, classes, labels=L, height=320), "fm_probs")

# ---------------------------------------------------------------- the pipeline
st.header(tr("fm.layers_title"))
st.dataframe(
    [
        {tr("train.col.layer"): n, tr("train.col.type"): kind, tr("train.col.shape"): " × ".join(map(str, act.shape))}
        for n, kind, act in acts
    ],
    hide_index=True,
    height="content",
)
if not weights:
    st.info(tr("fm.no_conv"))
shown = st.multiselect(
    tr("fm.show_layers"),
    layers.with_maps(acts),
    default=layers.with_maps(acts, first_shown=True),
    placeholder=tr("common.choose"),
)
st.caption(tr("fm.maps_hint"))

for name, kind, act in acts:
    if act.ndim != 3 or name not in shown:
        continue
    st.subheader(f"{name} · {kind} · {' × '.join(map(str, act.shape))}")
    if name in weights:
        w = weights[name]
        in_ch = 0
        if w.shape[1] > 1:
            in_ch = st.slider(tr("fm.in_channel", n=w.shape[1] - 1), 0, w.shape[1] - 1, 0, key=f"fm_in_{name}")
        st.markdown(tr("fm.filters", n=w.shape[0], k=f"{w.shape[2]}×{w.shape[3]}", c=w.shape[1]))
        ui.chart(ui.figure(digits.filter_grid, w[:MAX_MAPS], in_channel=in_ch, labels=L), f"fm_w_{name}")
    if len(act) > MAX_MAPS:
        st.caption(tr("fm.first_maps", n=MAX_MAPS, total=len(act)))
    ui.chart(ui.figure(digits.feature_maps, act, max_maps=MAX_MAPS, labels=L), f"fm_a_{name}")

vectors = layers.dense(acts)
if vectors:
    st.header(tr("fm.dense_title"))
    for name, kind, act in vectors:
        st.markdown(f"**{name}** · {kind} · {act.shape[0]}")
        ui.chart(ui.figure(digits.feature_maps, act, labels=L, height=220), f"fm_v_{name}")
