"""The class's own digits: how many each label and each student has, and where they fall on a digit map."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .answers import answer_caption
from .style import ACCENT, MUTED, _t, finish, level_title


def label_counts(per_label, *, labels: dict | None = None) -> go.Figure:
    """Digits per label; a label with none is marked, because that is the one to draw next."""
    counts = np.asarray(per_label, np.int64)
    fig = go.Figure(
        go.Bar(
            x=[str(k) for k in range(len(counts))],
            y=counts,
            text=counts,
            textposition="outside",
            textangle=0,
            marker_color=[ACCENT if n == 0 else MUTED for n in counts],
            hovertemplate=f"{_t(labels, 'class')} %{{x}}: %{{y}}<extra></extra>",
        )
    )
    fig.add_annotation(level_title(_t(labels, "digits")))
    return finish(
        fig,
        None,
        headings=1,
        xaxis=dict(title=_t(labels, "class"), type="category"),
        yaxis=dict(range=[0, max(1, int(counts.max(initial=0))) * 1.25]),
    )


def student_counts(names: list[str], counts: list[int], right: list[float] | None = None, *,
                   labels: dict | None = None) -> go.Figure:  # fmt: skip
    """Digits per student as horizontal bars, most first; with `right`, each bar also says the share
    of that student's digits the model reads right."""
    text = [str(n) if right is None else f"{n} · {r:.0%}" for n, r in zip(counts, right or [None] * len(counts))]
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=list(names),
            orientation="h",
            text=text,
            textposition="outside",
            textangle=0,
            marker_color=MUTED,
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    return finish(
        fig,
        None,
        xaxis=dict(title=_t(labels, "digits"), range=[0, max([1, *counts]) * 1.35]),
        yaxis=dict(autorange="reversed", type="category", ticklabelstandoff=8),
    )


def map_points(coords: np.ndarray, true, predicted, ids, *, labels: dict | None = None) -> go.Scattergl:
    """The class's digits as their own points on a digit map (one legend entry). Their customdata is
    "#id", not a number, so a box or lasso over the map still selects test digits only."""
    coords = np.asarray(coords, np.float32).reshape(-1, 2)
    return go.Scattergl(
        x=coords[:, 0],
        y=coords[:, 1],
        mode="markers",
        name=_t(labels, "our_digits"),
        customdata=[f"#{int(i)}" for i in ids],
        text=[answer_caption(int(t), int(p)) for t, p in zip(true, predicted)],
        marker=dict(size=11, symbol="diamond", color="white", line=dict(width=2, color="black")),
        hovertemplate=f"{_t(labels, 'our_digits')} %{{customdata}}: %{{text}}<extra></extra>",
    )
