"""Maps over digits: the evidence for a class drawn over the digit it explains, and the digit map (a test
set placed by the network's last hidden layer)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .answers import answer_caption
from .classdigits import map_points
from .style import GRAY, _square, _t, class_colour, finish

# the evidence's colours over a grey digit: signed (red for, blue against, clear at zero) or magnitude
_SIGNED = [[0.0, "rgba(33,102,172,0.85)"], [0.5, "rgba(247,247,247,0)"], [1.0, "rgba(178,24,43,0.85)"]]
_MAGNITUDE = [[0.0, "rgba(255,140,0,0)"], [0.25, "rgba(255,140,0,0.25)"], [1.0, "rgba(255,40,0,0.95)"]]


def attribution_map(
    img: np.ndarray, attr: np.ndarray, *, signed: bool, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """A map of evidence over the digit it explains: the digit in grey, the map in colour on top
    (signed: red for, blue against; otherwise orange where it matters), with its scale."""
    attr = np.asarray(attr, np.float32)
    top = float(np.abs(attr).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=np.asarray(img), colorscale=GRAY, zmin=0, zmax=255, showscale=False, hoverinfo="skip"))
    fig.add_trace(go.Heatmap(
        z=attr, colorscale=_SIGNED if signed else _MAGNITUDE, zmin=-top if signed else 0, zmax=top,
        colorbar=dict(thickness=12, len=0.8, tickformat=".2g"),
        hovertemplate=f"{_t(labels, 'row')} %{{y}}, {_t(labels, 'column')} %{{x}}<br>"
                      f"{_t(labels, 'evidence')} %{{z:.3g}}<extra></extra>"))  # fmt: skip
    return _square(fig, title)


def digit_map(
    coords: np.ndarray,
    true: np.ndarray,
    predicted: np.ndarray,
    *,
    color_by: str = "true",
    star: tuple[float, float] | None = None,
    ours: tuple | None = None,
    class_names: list[str] | None = None,
    title: str | None = None,
    labels: dict | None = None,
) -> go.Figure:
    """Test digits as points (WebGL, fast for thousands), in their class's colour; mistakes drawn as black
    crosses edged in white (they show on a light page and a dark one); the digit just drawn as a star;
    the class's own digits (ours: coords, labels, answers, ids) as diamonds. customdata is each test
    point's index in the test set, for selection."""
    coords = np.asarray(coords, np.float32)
    true, predicted = np.asarray(true), np.asarray(predicted)
    names = class_names or [str(k) for k in range(10)]
    by = true if color_by == "true" else predicted
    by_name = _t(labels, "true") if color_by == "true" else _t(labels, "predicted")
    wrong = true != predicted
    fig = go.Figure()
    for k in range(10):
        pick = np.flatnonzero((by == k) & ~wrong)
        fig.add_trace(go.Scattergl(
            x=coords[pick, 0], y=coords[pick, 1], mode="markers", name=names[k], customdata=pick,
            marker=dict(size=4, opacity=0.7, color=class_colour(k)),
            hovertemplate=f"{by_name} {k}<extra>%{{customdata}}</extra>"))  # fmt: skip
    pick = np.flatnonzero(wrong)
    fig.add_trace(go.Scattergl(
        x=coords[pick, 0], y=coords[pick, 1], mode="markers", name=_t(labels, "mistake"), customdata=pick,
        marker=dict(size=9, symbol="x", color="black", line=dict(width=1, color="white")),
        text=[answer_caption(true[i], predicted[i]) for i in pick],
        hovertemplate="%{text}<extra>%{customdata}</extra>"))  # fmt: skip
    if ours is not None and len(ours[0]):
        fig.add_trace(map_points(*ours, labels=labels))
    if star is not None:
        fig.add_trace(go.Scattergl(
            x=[star[0]], y=[star[1]], mode="markers", name=_t(labels, "your_digit"), hoverinfo="name",
            marker=dict(size=22, symbol="star", color="gold", line=dict(width=2, color="black"))))  # fmt: skip
    axis = dict(showticklabels=False, zeroline=False)
    return finish(fig, title, legend=True, dragmode="lasso", xaxis=axis, yaxis=axis)
