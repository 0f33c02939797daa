"""Robustness: one digit changed step by step (turned, resized, moved, thinner or thicker, noisier),
the ten probabilities along the way, where the answer flips, and a second model on the same sweep."""

import numpy as np
import streamlit as st

import ui
from mnist_lab import charts, i18n, robustness

MAX_CHAIN = 8  # stretches of one answer written out; noise can flip back and forth many times

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
classes = i18n.class_names(meta.dataset, tr.lang)

# ---------------------------------------------------------------- the digit, the change, a second model
img, label = ui.pick_digit(tr, meta, "robust")
if st.session_state.get("drawn_digit") is None:
    st.page_link("pages/8_Draw.py", label=tr("robust.go_draw"), icon=":material/draw:")

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


def value(v: float) -> str:
    return tr(f"robust.value.{kind}", v=robustness.value_text(kind, v))


shown = robustness.strip_indices(len(values))
st.markdown(
    f"**{tr('robust.strip')}**" + (f" · {tr('robust.true_label', label=classes[label])}" if label is not None else "")
)
ui.chart(
    ui.figure(charts.sample_grid, images[shown], [value(values[i]) for i in shown], cols=len(shown), labels=L),
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
        charts.robustness_chart,
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


def summary(p: np.ndarray) -> str:
    """'7 (−90° to 35°) → 1 (40° to 90°)' in words: the stretches of one answer, left to right."""
    parts = robustness.segments(values, p)
    if len(parts) == 1:
        c, start, end = parts[0]
        return tr("robust.steady", cls=classes[c], start=value(start), end=value(end))
    chain = [tr("robust.segment", cls=classes[c], start=value(a), end=value(b)) for c, a, b in parts[:MAX_CHAIN]]
    return tr("robust.flipped", n=len(parts) - 1, chain=" → ".join(chain) + (" → …" if len(parts) > MAX_CHAIN else ""))


for (role, _), p in zip(rows, probs):
    st.markdown((f"**{role}**: " if len(rows) > 1 else "") + summary(p))
