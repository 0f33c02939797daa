"""Feature maps: one digit through the model: every layer in one strip, the one clicked opened large
(its learned filters and activations), then what goes in and what comes out."""

import streamlit as st

import ui
from mnist_lab import i18n
from mnist_lab.charts import answers, digits, strips

MAX_MAPS = 32

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
normalize, pad = meta.normalize, meta.pad

# ---------------------------------------------------------------- which digit
img, label = ui.pick_digit(tr, meta, "fm")
classes = i18n.class_names(meta.dataset, tr.lang)

probs, acts, weights, model_input = ui.look_inside(path, img, normalize, pad)
answer = f"**{tr('fm.top')}**: {i18n.top_answers(probs, classes)}"
st.markdown(answer + (f" · {tr('fm.true_label', label=classes[label])}" if label is not None else ""))

# ---------------------------------------------------------------- every layer in one strip; a click opens one
everything = bool(st.session_state.get("fm_all", False))  # the toggle sits under the strip it changes
shown = strips.strip_layers(acts, everything)
# the layer clicked last, read before the strip is drawn; kept apart, as a new digit redraws the strip
# and clears its selection
picked = ui.clicked(st.session_state.get("fm_strip"))
if picked:
    st.session_state["fm_layer"] = picked[0]
convs = [n for n, kind, _ in acts if n in shown and kind == "Conv2d"]
opened = st.session_state.get("fm_layer")
opened = opened if opened in shown else (convs or shown)[0]
strip = ui.figure(strips.layer_strip, img, acts, shown, selected=opened, labels=L)
ui.chart(strip, "fm_strip", on_select="rerun", selection_mode="points")
hint, toggle = st.columns([3, 2], vertical_alignment="center")
hint.caption(tr("fm.strip_hint"))
toggle.toggle(tr("fm.all_layers"), key="fm_all")

# ---------------------------------------------------------------- the layer opened, large
name, kind, act = next(a for a in acts if a[0] == opened)
st.subheader(f"{name} · {tr.layer(kind)} · {' × '.join(map(str, act.shape))}")
if act.ndim == 3 and act.shape[1] * act.shape[2] > 1:
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
    st.caption(tr("fm.maps_hint"))
else:  # a vector: a linear layer's output, or maps of one pixel each
    ui.chart(ui.figure(digits.feature_maps, act.reshape(-1), labels=L, height=260), f"fm_v_{name}")
if not weights:
    st.info(tr("fm.no_conv"))

# ---------------------------------------------------------------- what goes in, what comes out
a, b = st.columns([2, 3], gap="large")
with a:
    st.markdown(f"**{tr('fm.input')}** · 28×28")
    ui.chart(ui.figure(digits.digit_heatmap, img, labels=L, show_values=False, height=320), "fm_input")
    st.caption(
        tr("fm.model_input", shape=" × ".join(map(str, model_input)), normalize=tr(f"train.normalize.{normalize}"))
    )
with b:
    st.markdown(answer)
    ui.chart(ui.figure(answers.probability_bar, probs, classes, labels=L, height=320), "fm_probs")

with st.expander(tr("fm.table_title"), icon=":material/table_rows:"):
    st.dataframe(
        [
            {
                tr("train.col.layer"): n,
                tr("train.col.type"): tr.layer(kind),
                tr("train.col.shape"): " × ".join(map(str, act.shape)),
            }
            for n, kind, act in acts
        ],
        hide_index=True,
        height="content",
    )
