"""The probabilities along a robustness sweep: where the answer flips, for one model or two on the same sweep."""

from __future__ import annotations

from html import escape  # a run's name is typed by a student: plain text, never plotly's HTML

import numpy as np
import plotly.graph_objects as go

from .style import CLASS_COLOURS, _t


def robustness_chart(
    values,
    probs,
    flips,
    *,
    kind_label: str,
    class_names: list[str] | None = None,
    labels: dict | None = None,
    title: str | None = None,
    model_names: list[str] | None = None,
) -> go.Figure:
    """The ten class probabilities along a sweep (x = the transform's value, kind_label its axis title),
    one row per model on a shared x: probs (S, classes) with flips [(index, from, to)], or (M, S, classes)
    with one flips list per model. A dot marks the answer at each value, a class that is never the
    answer is faded, and a dashed line with "3→8" marks each flip, between the two values it lies in."""
    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2:
        p, flips = p[None], [flips]
    if len(flips) != len(p):
        raise ValueError(f"{len(p)} model(s) but {len(flips)} lists of flips")
    flips = [list(f) for f in flips]
    rows, _, k = p.shape
    names = [escape(str(n)) for n in (class_names or range(k))]
    gap = 0.1
    height = (1 - gap * (rows - 1)) / rows
    traces, shapes, notes, layout = [], [], [], {}
    for r in range(rows):
        axis = "" if r == 0 else str(r + 1)
        top = 1 - r * (height + gap)
        layout[f"yaxis{axis}"] = dict(
            domain=[max(0.0, top - height), min(1.0, top)],
            range=[0, 1.05],
            tickformat=".0%",
            title=_t(labels, "probability"),
        )
        layout[f"xaxis{axis}"] = dict(
            anchor=f"y{axis}",
            matches=None if r == 0 else "x",
            showticklabels=r == rows - 1,
            title=kind_label if r == rows - 1 else None,
        )
        answer = p[r].argmax(axis=1)
        for c in range(k):
            wins = answer == c
            traces.append(
                go.Scatter(
                    x=x,
                    y=p[r, :, c],
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                    name=names[c],
                    legendgroup=names[c],
                    showlegend=r == 0,
                    mode="lines+markers",
                    opacity=1.0 if wins.any() else 0.3,
                    line=dict(color=CLASS_COLOURS[c % len(CLASS_COLOURS)], width=3 if wins.any() else 1.5),
                    marker=dict(size=np.where(wins, 8, 0)),
                    hovertemplate=f"{names[c]}: %{{y:.1%}}<extra></extra>",
                )
            )
        for n, (i, a, b) in enumerate(flips[r]):
            mid = float(x[i - 1] + x[i]) / 2 if 0 < i < len(x) else float(x[min(i, len(x) - 1)])
            shapes.append(
                dict(
                    type="line",
                    name="flip",
                    x0=mid,
                    x1=mid,
                    y0=0,
                    y1=1,
                    xref=f"x{axis}",
                    yref=f"y{axis} domain",
                    line=dict(color="#555", width=1.5, dash="dash"),
                )
            )
            notes.append(
                dict(
                    name="flip",
                    text=f"{names[a]}→{names[b]}",
                    x=mid,
                    y=1,
                    xref=f"x{axis}",
                    yref=f"y{axis} domain",
                    yanchor="bottom",
                    yshift=-16 * (n % 2),  # neighbouring flips (noise) alternate heights to stay readable
                    showarrow=False,
                    bgcolor="rgba(255,255,255,0.8)",
                    font=dict(size=12),
                )
            )
        if model_names and r < len(model_names):
            notes.append(
                dict(
                    text=f"<b>{escape(str(model_names[r]))}</b>",
                    x=0,
                    y=top,
                    xref="paper",
                    yref="paper",
                    xanchor="left",
                    yanchor="bottom",
                    yshift=18,
                    showarrow=False,
                )
            )
    fig = go.Figure(data=traces)
    fig.update_layout(
        **layout,
        shapes=shapes,
        annotations=notes,
        title=title,
        legend=dict(title=_t(labels, "class")),
        hovermode="x unified",
        height=110 + 260 * rows + (40 if title else 0),
        margin=dict(l=10, r=10, t=(40 if title else 10) + (40 if model_names else 20), b=10),
    )
    return fig
