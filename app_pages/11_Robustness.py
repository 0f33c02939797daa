"""Robustness: one digit changed step by step (turned, resized, moved, thinner or thicker, noisier),
the ten probabilities along the way, where the answer flips, and a second model on the same sweep."""

import numpy as np
import streamlit as st

import ui
from mnist_lab import i18n, robustness
from mnist_lab.charts import digits, sweeps

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
classes = i18n.class_names(meta.dataset, tr.lang)

# ---------------------------------------------------------------- the digit and the change, then the chart
img, label = ui.pick_digit(tr, meta, "robust")
# the control keeps one key (a key made from its value lost every second click); what it says is also kept
# under robust_kind, which outlives the control when the student visits another page
kind = st.session_state.get("_robust_kind") or st.session_state.get("robust_kind")
kind = kind if kind in robustness.KINDS else robustness.KINDS[0]
st.session_state["_robust_kind"] = kind
kind = (
    st.segmented_control(  # the page's width: in a column its last choice was cut off
        tr("robust.kind"),
        robustness.KINDS,
        key="_robust_kind",
        format_func=lambda k: tr(f"robust.kind.{k}"),
        help=tr(f"robust.how.{kind}"),
    )
    or kind
)
st.session_state["robust_kind"] = kind

# the second model is picked under the chart: its choice is read here (its select box's own key first)
options = ui.model_options(tr)
current = st.session_state.get("model_choice", ui.DEFAULT_MODEL)
other = st.session_state.get("robust_compare")
other = st.session_state.get(f"_robust_compare_{other}", other)
gone = other if other is not None and other not in options else None  # a run deleted meanwhile
choices = [None] + [c for c in options if c != current]
other = other if other in choices else None
second = ui.load_choice(other, tr) if other is not None else None
other_dataset = second[1].dataset if second is not None and second[1].dataset != meta.dataset else None
if other_dataset:
    second = None

# ---------------------------------------------------------------- the sweep
values, images = robustness.sweep(img, kind)
# a run's label holds a student's name: the chart escapes it; the summaries below use fixed words
rows = [(tr("robust.model_in_use"), options.get(current, ui.model_title(meta.model, tr)))]
if second is not None:
    rows.append((tr("robust.second_model"), options.get(other, other)))
probs = np.stack([ui.sweep_probabilities(p, img, kind) for p in [path] + ([second[2]] if second else [])])
flips = [robustness.flips(p) for p in probs]

ui.chart(
    ui.figure(
        sweeps.robustness_chart,
        values,
        probs,
        flips,
        kind_label=tr(f"robust.axis.{kind}"),
        true=label,
        class_names=classes,
        labels=L,
        model_names=[f"{role}: {name}" for role, name in rows] if len(rows) > 1 else None,
        height=380,
    ),
    "robust_chart",
)
for (role, _), p in zip(rows, probs):
    st.markdown((f"**{role}**: " if len(rows) > 1 else "") + robustness.summary(values, p, kind, classes, tr))
st.caption(tr("robust.chart_hint"))

# ---------------------------------------------------------------- what the model sees, a second model
shown = robustness.strip_indices(len(values), most=7)  # seven across the page: each picture over 100 px
st.markdown(
    f"**{tr('robust.strip')}**" + (f" · {tr('robust.true_label', label=classes[label])}" if label is not None else "")
)
ui.chart(
    ui.figure(
        digits.sample_grid,
        images[shown],
        [robustness.value_label(kind, values[i], tr) for i in shown],
        cols=len(shown),
        labels=L,
        caption_size=14,
    ),
    "robust_strip",
)
st.caption(tr(f"robust.how.{kind}"))

left, right = st.columns([3, 2], gap="large", vertical_alignment="bottom")
with left:
    if gone:
        st.warning(tr("model.run_missing", run=gone))
    other = st.selectbox(
        tr("robust.compare"),
        choices,
        index=choices.index(other),
        format_func=lambda c: tr("robust.compare.none") if c is None else options[c],
        key=f"_robust_compare_{other}",
        help=tr("robust.compare_help"),
    )
    st.session_state["robust_compare"] = other
    if other_dataset:
        st.info(
            tr(
                "robust.other_dataset",
                model=options.get(other, other),
                dataset=tr(f"data.name.{other_dataset}"),
                this=tr(f"data.name.{meta.dataset}"),
            )
        )
if st.session_state.get("drawn_digit") is None:
    right.page_link(ui.page("draw"), label=tr("robust.go_draw"), icon=":material/draw:")
