"""Feature maps: one digit through the model, layer by layer: learned filters and activations."""
import numpy as np
import streamlit as st
import torch

import ui
from mnist_lab import charts, data, evaluate, inspect

MAX_MAPS = 32
SPATIAL_DEFAULT = ("Conv2d", "ReLU", "MaxPool2d", "AvgPool2d")

tr = ui.setup("nav.feature_maps")
L = ui.labels(tr)
NO_BAR = {"displayModeBar": False}
st.title(tr("fm.title"))
st.markdown(tr("fm.intro"))
ui.model_picker(tr)
loaded = ui.current_model(tr)
if loaded is None:
    st.stop()
model, meta, path = loaded
normalize, pad = meta.get("normalize", "minmax"), int(meta.get("pad", 0))

# ---------------------------------------------------------------- which digit
drawn = st.session_state.get("drawn_digit")
sources = ["test"] + (["drawn"] if drawn is not None else [])
source = st.session_state.get("fm_source", "test")
source = source if source in sources else "test"
source = st.segmented_control(tr("fm.source"), sources, default=source, key=f"_fm_source_{source}",
                              format_func=lambda s: tr(f"fm.source.{s}")) or source
st.session_state["fm_source"] = source
if drawn is None:
    st.caption(tr("fm.draw_hint"))

label = None
if source == "drawn":
    img = np.asarray(drawn, dtype=np.uint8)
else:
    name = meta.get("dataset") if meta.get("dataset") in data.DATASETS else "mnist"
    ds = ui.dataset(name, tr)
    if ds is None:
        st.stop()
    index = min(int(st.session_state.get("fm_index", 0)), len(ds.test) - 1)
    index = st.number_input(tr("fm.index", n=len(ds.test) - 1), 0, len(ds.test) - 1, index, key=f"_fm_index_{index}")
    st.session_state["fm_index"] = index
    img, label = ds.test.images[index].numpy(), int(ds.test.labels[index])
classes = meta.get("classes") or [str(k) for k in range(10)]

probs = evaluate.predict_proba(model, img[None], normalize, pad)[0]
x = data.to_float(torch.from_numpy(img)[None], normalize, pad)
acts = inspect.activations(model, x)
weights = dict(inspect.conv_filters(model))

a, b = st.columns([2, 3], gap="large")
with a:
    st.markdown(f"**{tr('fm.input')}** · 28×28" + (f" · {tr('fm.true_label', label=classes[label])}"
                                                   if label is not None else ""))
    st.plotly_chart(charts.digit_heatmap(img, labels=L, show_values=False).update_layout(height=320),
                    config=NO_BAR, key="fm_input")
    st.caption(tr("fm.model_input", shape=" × ".join(map(str, x.shape[1:])), normalize=tr(f"train.normalize.{normalize}")))
with b:
    top = np.argsort(-probs)[:3]
    st.markdown(f"**{tr('fm.top')}**: " + " · ".join(f"{classes[k]} ({probs[k]:.1%})" for k in top))
    st.plotly_chart(charts.probability_bar(probs, classes, labels=L).update_layout(height=320),
                    config=NO_BAR, key="fm_probs")

# ---------------------------------------------------------------- the pipeline
st.header(tr("fm.layers_title"))
st.dataframe([{tr("train.col.layer"): n, tr("train.col.type"): kind,
               tr("train.col.shape"): " × ".join(map(str, act.shape))} for n, kind, act in acts],
             hide_index=True, height="content")
if not weights:
    st.info(tr("fm.no_conv"))
spatial = [n for n, kind, act in acts if act.ndim == 3]
shown = st.multiselect(tr("fm.show_layers"), spatial,
                       default=[n for n, kind, act in acts if act.ndim == 3 and kind in SPATIAL_DEFAULT])
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
        st.plotly_chart(charts.filter_grid(w[:MAX_MAPS], in_channel=in_ch, labels=L), config=NO_BAR,
                        key=f"fm_w_{name}")
    if len(act) > MAX_MAPS:
        st.caption(tr("fm.first_maps", n=MAX_MAPS, total=len(act)))
    st.plotly_chart(charts.feature_maps(act, max_maps=MAX_MAPS, labels=L), config=NO_BAR, key=f"fm_a_{name}")

vectors = [(n, kind, act) for n, kind, act in acts if act.ndim == 1 and kind != "Flatten"]
if vectors:
    st.header(tr("fm.dense_title"))
    for name, kind, act in vectors:
        st.markdown(f"**{name}** · {kind} · {act.shape[0]}")
        st.plotly_chart(charts.feature_maps(act, labels=L).update_layout(height=220), config=NO_BAR, key=f"fm_v_{name}")
