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

# ---------------------------------------------------------------- the digit, the change, a second model
img, label = ui.pick_digit(tr, meta, "robust")
if st.session_state.get("drawn_digit") is None:
    st.page_link(ui.page("draw"), label=tr("robust.go_draw"), icon=":material/draw:")

options = ui.model_options(tr)
current = st.session_state.get("model_choice", ui.DEFAULT_MODEL)
left, right = st.columns([3, 2], gap="large")
with left:
    kind = st.session_state.get("robust_kind", robustness.KINDS[0])
    kind = kind if kind in robustness.KINDS else robustness.KINDS[0]
    kind = (
        st.segmented_control(
            tr("robust.kind"),
            robustness.KINDS,
            default=kind,
            key=f"_robust_kind_{kind}",
            format_func=lambda k: tr(f"robust.kind.{k}"),
        )
        or kind
    )
    st.session_state["robust_kind"] = kind
    st.caption(tr(f"robust.how.{kind}"))
with right:
    other = st.session_state.get("robust_compare")
    if other is not None and other not in options:  # a run deleted meanwhile
        st.warning(tr("model.run_missing", run=other))
        other = None
    choices = [None] + [c for c in options if c != current]
    other = other if other in choices else None
    other = st.selectbox(
        tr("robust.compare"),
        choices,
        index=choices.index(other),
        format_func=lambda c: tr("robust.compare.none") if c is None else options[c],
        key=f"_robust_compare_{other}",
        help=tr("robust.compare_help"),
    )
    st.session_state["robust_compare"] = other
    second = ui.load_choice(other, tr) if other is not None else None
    if second is not None and second[1].dataset != meta.dataset:
        st.info(
            tr(
                "robust.other_dataset",
                model=options.get(other, other),
                dataset=tr(f"data.name.{second[1].dataset}"),
                this=tr(f"data.name.{meta.dataset}"),
            )
        )
        second = None

# ---------------------------------------------------------------- the sweep
values, images = robustness.sweep(img, kind)
shown = robustness.strip_indices(len(values))
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
    ),
    "robust_strip",
)

# a run's label holds a student's name: the chart escapes it; the summaries below use fixed words
rows = [(tr("robust.model_in_use"), options.get(current, ui.model_title(meta.model, tr)))]
if second is not None:
    rows.append((tr("robust.second_model"), options.get(other, other)))
probs = np.stack([ui.sweep_probabilities(p, img, kind) for p in [path] + ([second[2]] if second else [])])
flips = [robustness.flips(p) for p in probs]

st.markdown(f"**{tr('robust.chart')}**")
ui.chart(
    ui.figure(
        sweeps.robustness_chart,
        values,
        probs,
        flips,
        kind_label=tr(f"robust.axis.{kind}"),
        class_names=classes,
        labels=L,
        model_names=[f"{role}: {name}" for role, name in rows] if len(rows) > 1 else None,
    ),
    "robust_chart",
)
st.caption(tr("robust.chart_hint"))
for (role, _), p in zip(rows, probs):
    st.markdown((f"**{role}**: " if len(rows) > 1 else "") + robustness.summary(values, p, kind, classes, tr))
