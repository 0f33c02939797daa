"""What a model answers: its probabilities for one digit, and its answers over a test set (the confusion
matrix)."""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

from .style import (
    ACCENT,
    MIN_TEXT,
    MUTED,
    TEXT,
    _square,
    _t,
    accuracy_axis,
    class_colour,
    finish,
    level_title,
    text_width,
)

# the mistakes' colours, from a light orange that one mistake already gets (clear on a white page and on a
# dark one) to a strong red for the most (3:1 on a dark page too); the right answers apart, in one quiet colour
ERRORS = [[0.0, "#fdae6b"], [1.0, "#cb181d"]]
RIGHT = MUTED


def answer_caption(true: int, predicted: int) -> str:
    """How a digit's tile or point names its answer: the class when right, "3→5" (true→answered) when wrong."""
    return str(true) if true == predicted else f"{true}→{predicted}"


def probability_bar(
    probs, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Probabilities of the 10 classes on a 0-100% axis; the predicted one stands out. A tall bar says
    its value inside, so "100%" is never cut off above the chart.

    Drawn at every stroke on Draw by every student: the layout is built and checked by plotly once per set
    of names, and each answer only puts its values into a copy (plotly's checks took 14 ms a figure)."""
    p = np.asarray(probs, dtype=np.float64)
    names = tuple(class_names or (str(i) for i in range(len(p))))
    base = _probability_base(names, title, tuple(sorted((labels or {}).items())))
    bar = dict(base["data"][0], y=p, text=[f"{v:.0%}" for v in p], marker=dict(color=_bar_colours(p)))
    return go.Figure(data=[bar], layout=base["layout"], _validate=False)


def _bar_colours(p: np.ndarray) -> list[str]:
    return [ACCENT if i == int(p.argmax()) else MUTED for i in range(len(p))]


@functools.lru_cache(maxsize=16)
def _probability_base(names: tuple, title: str | None, labels: tuple) -> dict:
    return checked_probability_bar(np.zeros(len(names)), list(names), title=title, labels=dict(labels)).to_dict()


def checked_probability_bar(
    probs, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """probability_bar, built and checked by plotly in full (what the quick one copies)."""
    p = np.asarray(probs, dtype=np.float64)
    names = class_names or [str(i) for i in range(len(p))]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=p,
            marker_color=_bar_colours(p),
            text=[f"{v:.0%}" for v in p],
            textposition="auto",
            textangle=0,
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        )
    )
    fig.add_annotation(level_title(_t(labels, "probability")))
    xaxis, yaxis, margin = dict(title=_t(labels, "class"), type="category"), accuracy_axis(), {}
    if max(map(len, names), default=0) <= 2:
        # digits: margins fixed at what the theme's automargin finds for them (one row of ticks, "100%" at the
        # left). Automargin measures the text and draws the chart a second time, and the browser draws this
        # chart anew at every stroke: it took half of that time.
        xaxis["automargin"] = yaxis["automargin"] = False
        margin = dict(l=18 + text_width("100%", MIN_TEXT), b=65)
    return finish(fig, title, headings=1, xaxis=xaxis, yaxis=yaxis, margin=margin)


def confusion_matrix(
    confusion: np.ndarray, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Confusion matrix (rows true, columns predicted). The right answers on the diagonal are drawn apart in
    one quiet colour, so all the colour goes to the mistakes: from orange for one to dark red for the most
    (on a log scale, so rare mistakes still show); a cell without any stays blank.

    Clicking a cell selects a point whose customdata is [true, predicted].
    """
    cm = np.asarray(confusion, dtype=np.int64)
    k = len(cm)
    names = class_names or [str(i) for i in range(k)]
    row_share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    diagonal = np.eye(k, dtype=bool)
    errors = np.where(~diagonal & (cm > 0), np.log(np.maximum(cm, 1)), np.nan)
    cells = dict(x=list(range(k)), y=list(range(k)), showscale=False, hoverinfo="skip", textfont_size=TEXT)
    fig = go.Figure(
        [
            go.Heatmap(
                z=np.where(diagonal, 1.0, np.nan),
                text=np.where(diagonal, cm, ""),
                texttemplate="%{text}",
                colorscale=[[0, RIGHT], [1, RIGHT]],
                name="right",
                **cells,
            ),
            go.Heatmap(
                z=errors,
                text=np.where(np.isnan(errors), "", cm.astype(str)),
                texttemplate="%{text}",
                colorscale=ERRORS,
                zmin=0,
                zmax=max(float(np.nanmax(errors, initial=0.0)), 1.0),
                name="mistakes",
                **cells,
            ),
        ]
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
    true_title = _t(labels, "true")
    # the true label's title stands level in the top-left corner, over the row labels, beside the columns'
    fig.add_annotation(level_title(true_title, corner=True))
    return _square(
        fig,
        title,
        xaxis=dict(title=_t(labels, "predicted"), tickvals=list(range(k)), ticktext=names, side="top"),
        yaxis=dict(tickvals=list(range(k)), ticktext=names),
        margin=dict(l=16 + text_width(true_title)),
        clickmode="event+select",
        dragmode=False,
        hoverdistance=-1,
    )


def class_errors(
    confusion: np.ndarray, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """How many digits of each class the model gets wrong, one bar per class in its colour, each saying its
    count and the class's accuracy: at 99% every accuracy bar looks full, while 3 mistakes and 30 differ."""
    cm = np.asarray(confusion, dtype=np.int64)
    k = len(cm)
    names = class_names or [str(i) for i in range(k)]
    total = cm.sum(axis=1)
    wrong = total - np.diag(cm)
    accuracy = [f" · {1 - w / n:.1%}" if n else "" for w, n in zip(wrong, total)]
    fig = go.Figure(
        go.Bar(
            x=wrong,
            y=names,
            orientation="h",
            marker_color=[class_colour(c) for c in range(k)],
            text=[f"{w}{a}" for w, a in zip(wrong, accuracy)],
            textposition="outside",
            textangle=0,
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.add_annotation(level_title(_t(labels, "class")))
    return finish(
        fig,
        title,
        headings=1,
        xaxis=dict(title=_t(labels, "wrong"), range=[0, max(1, int(wrong.max(initial=0))) * 1.5], rangemode="tozero"),
        yaxis=dict(type="category", autorange="reversed", ticklabelstandoff=8),
    )
