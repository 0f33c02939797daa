"""What a model answers: its probabilities for one digit, and its answers over a test set (the confusion
matrix)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import ACCENT, MUTED, _square, _t


def answer_caption(true: int, predicted: int) -> str:
    """How a digit's tile or point names its answer: the class when right, "3→5" (true→answered) when wrong."""
    return str(true) if true == predicted else f"{true}→{predicted}"


def probability_bar(
    probs, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Probabilities of the 10 classes; the predicted one stands out."""
    p = np.asarray(probs, dtype=np.float64)
    names = class_names or [str(i) for i in range(len(p))]
    colours = [ACCENT if i == int(p.argmax()) else MUTED for i in range(len(p))]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=p,
            marker_color=colours,
            text=[f"{v:.0%}" for v in p],
            textposition="outside",
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=_t(labels, "class"),
        yaxis_title=_t(labels, "probability"),
        xaxis_type="category",
        yaxis=dict(range=[0, 1.1], tickformat=".0%"),
    )
    return fig


def confusion_matrix(
    confusion: np.ndarray, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Confusion matrix (rows true, columns predicted); colour on a log scale so rare mistakes show.

    Clicking a cell selects a point whose customdata is [true, predicted].
    """
    cm = np.asarray(confusion, dtype=np.int64)
    k = len(cm)
    names = class_names or [str(i) for i in range(k)]
    row_share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(
        go.Heatmap(
            z=np.log1p(cm),
            x=list(range(k)),
            y=list(range(k)),
            text=cm,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hoverinfo="skip",
        )
    )
    tt, pp = np.meshgrid(range(k), range(k), indexing="ij")
    fig.add_trace(
        go.Scatter(
            x=pp.ravel(),
            y=tt.ravel(),
            mode="markers",
            marker=dict(size=18, opacity=0, symbol="square"),
            customdata=np.stack([tt.ravel(), pp.ravel(), cm.ravel()], axis=1),
            text=[f"{v:.1%}" for v in row_share.ravel()],
            hovertemplate=(
                f"{_t(labels, 'true')} %{{customdata[0]}} → {_t(labels, 'predicted')} %{{customdata[1]}}"
                f"<br>%{{customdata[2]}} (%{{text}} {_t(labels, 'of_row')})<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        xaxis=dict(title=_t(labels, "predicted"), tickvals=list(range(k)), ticktext=names, side="top"),
        yaxis=dict(title=_t(labels, "true"), tickvals=list(range(k)), ticktext=names),
        showlegend=False,
        clickmode="event+select",
        dragmode=False,
        hoverdistance=-1,
    )
    return _square(fig, title)
