"""The probabilities along a robustness sweep: where the answer flips, for one model or two on the same sweep."""

from __future__ import annotations

from html import escape  # a run's name is typed by a student: plain text, never plotly's HTML

import numpy as np
import plotly.graph_objects as go

from .style import NEUTRAL, ROW, TEXT, _t, class_colour, finish, level_title

PLATE = "rgba(136,136,136,0.3)"  # behind a flip's label: grey enough for dark text on white and light on black


def robustness_chart(
    values,
    probs,
    flips,
    *,
    kind_label: str,
    true: int | None = None,
    class_names: list[str] | None = None,
    labels: dict | None = None,
    title: str | None = None,
    model_names: list[str] | None = None,
) -> go.Figure:
    """The ten class probabilities along a sweep (x = the transform's value, kind_label its axis title, which
    spans exactly the sweep), one row per model on a shared x: probs (S, classes) with flips [(index, from,
    to)], or (M, S, classes) with one flips list per model. Each class keeps its colour; the true class (if
    known) is the thickest line, a class that is the answer somewhere is drawn full, the others faint. A dot
    marks the answer at each value, and a dashed line with "3→8" marks each flip, between the two values it
    lies in."""
    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2:
        p, flips = p[None], [flips]
    if len(flips) != len(p):
        raise ValueError(f"{len(p)} model(s) but {len(flips)} lists of flips")
    flips = [list(f) for f in flips]
    rows, _, k = p.shape
    names = [escape(str(n)) for n in (class_names or range(k))]
    row_px, above_px = 260, 2 * ROW  # each row's plot; over each row: the model's name and the level axis title
    height = row_px * rows + above_px * rows + 70 + (40 if title else 0)
    gap = above_px / (row_px * rows + above_px * (rows - 1))  # a share of the plots' height, as domains are
    share = (1 - gap * (rows - 1)) / rows
    traces, shapes, notes, layout = [], [], [], {}
    for r in range(rows):
        axis = "" if r == 0 else str(r + 1)
        top = 1 - r * (share + gap)
        layout[f"yaxis{axis}"] = dict(domain=[max(0.0, top - share), min(1.0, top)], range=[0, 1.05], tickformat=".0%")
        layout[f"xaxis{axis}"] = dict(
            anchor=f"y{axis}",
            matches=None if r == 0 else "x",
            range=[float(x.min()), float(x.max())] if len(x) else None,
            showticklabels=r == rows - 1,
            title=kind_label if r == rows - 1 else None,
        )
        notes.append(level_title(_t(labels, "probability"), f"x{axis}", f"y{axis}"))
        answer = p[r].argmax(axis=1)
        for c in range(k):
            wins = answer == c
            width, opacity = (5, 1.0) if c == true else (2.5, 1.0) if wins.any() else (1.5, 0.35)
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
                    opacity=opacity,
                    line=dict(color=class_colour(c), width=width),
                    marker=dict(size=np.where(wins, 8, 0)),
                    cliponaxis=False,  # the dots at either end of the sweep, whole
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
                    line=dict(color=NEUTRAL, width=1.5, dash="dash"),
                )
            )
            # at the foot of the line, inside the plot: the top belongs to the answer's line and the titles
            notes.append(
                dict(
                    name="flip",
                    text=f"{names[a]}→{names[b]}",
                    x=mid,
                    y=0,
                    xref=f"x{axis}",
                    yref=f"y{axis} domain",
                    yanchor="bottom",
                    yshift=4 + (TEXT + 6) * (n % 2),  # neighbouring flips (noise) alternate heights to stay readable
                    showarrow=False,
                    bgcolor=PLATE,
                    font_size=TEXT,
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
                    yshift=ROW + 4,
                    showarrow=False,
                    font_size=TEXT,
                )
            )
    fig = go.Figure(data=traces)
    return finish(
        fig,
        title,
        legend=True,
        headings=2 if model_names else 1,
        **layout,
        shapes=shapes,
        annotations=notes,
        legend_title_text=_t(labels, "class"),
        hovermode="x unified",
        height=height,
    )
