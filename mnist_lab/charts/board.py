"""The class's runs, for a projector: every run's learning curve over the others (TensorBoard's overlay),
the runs ranked by accuracy, and accuracy against the settings (classroom.BoardRow lists)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..metrics import of_type
from .style import ACCENT, LOG_AXIS, _t, accuracy_axis, class_colour, finish, level_title

BIG = 16  # px: the board is read from the back of the classroom


def run_curve(events: list[dict], epochs: int | None, *, points: int = 120, smoothing: float = 0.9):
    """A run's accuracy on its training batches, smoothed as TensorBoard smooths, against the epochs trained
    so far (steps counted in epochs: runs with other batch sizes line up on one axis); at most `points`
    of them. ((), ()) before its first batch."""
    from .training import smooth

    batches = of_type(events, "batch")
    if not batches:
        return (), ()
    total = max(1, int(batches[-1].get("total_steps") or batches[-1]["step"]))
    x = np.array([b["step"] for b in batches], np.float64) * (epochs or 1) / total
    y = smooth([b["acc"] for b in batches], smoothing)
    keep = np.unique(np.linspace(0, len(x) - 1, min(points, len(x))).round().astype(int))
    return tuple(np.round(x[keep], 4).tolist()), tuple(np.round(y[keep], 4).tolist())


def class_curves(curves, *, names: dict[str, str] | None = None, labels: dict | None = None) -> go.Figure:
    """Every run's curve over the others (curves: (student, model, x, y, mine) tuples, from run_curve): a
    colour per model, the session's own runs thick and in front, the others thin."""
    names = names or {}
    fig = go.Figure()
    models = list(dict.fromkeys(c[1] for c in curves))
    ys = []
    for student, model, x, y, mine in sorted(curves, key=lambda c: c[4]):  # one's own runs drawn last, on top
        if not x:
            continue
        ys.extend(y[len(y) // 10 :])  # past the climb from 10% that every run starts with
        colour = ACCENT if mine else class_colour(models.index(model))
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines", name=_t(labels, "my_runs") if mine else names.get(model, model),
                legendgroup="mine" if mine else model,
                line=dict(color=colour, width=5 if mine else 2), opacity=1 if mine else 0.55,
                text=[f"{student} · {names.get(model, model)}" if student else names.get(model, model)] * len(x),
                hovertemplate="%{text}<br>%{y:.1%}<extra></extra>",
            )
        )  # fmt: skip
    seen = set()  # a legend entry per model, and one for the session's runs, not one per run
    for trace in fig.data:
        trace.showlegend = trace.legendgroup not in seen
        seen.add(trace.legendgroup)
    fig = finish(
        fig,
        None,
        legend=True,
        headings=1,
        xaxis=dict(title=_t(labels, "epoch"), rangemode="tozero"),
        yaxis=accuracy_axis(ys),
        annotations=[level_title(_t(labels, "accuracy"))],
    )
    return _big(fig)


def _big(fig: go.Figure) -> go.Figure:
    """Every text of the chart at BIG: the app's theme sets the ticks' and legend's sizes itself, so the
    layout's font size alone does not reach them."""
    size = dict(size=BIG)
    fig.update_annotations(font_size=BIG)
    return fig.update_layout(
        font_size=BIG,
        legend_font_size=BIG,
        xaxis=dict(tickfont=size, title_font=size),
        yaxis=dict(tickfont=size, title_font=size),
    )


def _log_ticks(values: list[float]) -> dict:
    """A log axis that names the values the class used (0.001, 0.003, 0.01), never plotly's 2 3 4 5."""
    used = sorted({v for v in values if v and v > 0})
    if not used or len(used) > 8:
        return LOG_AXIS
    return dict(type="log", tickvals=used, ticktext=[f"{v:g}" for v in used], minorloglabels="none")


def class_scatter(
    rows, knob: str, *, names: dict[str, str] | None = None, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Test accuracy of every finished run against one hyperparameter (classroom.BoardRow list), a colour
    per model; the best run of each model is a star. A learning rate is drawn on a log axis."""
    names = names or {}
    done = [r for r in rows if r.accuracy is not None and getattr(r, knob) is not None]
    fig = go.Figure()
    for k, model in enumerate(dict.fromkeys(r.model for r in done)):
        mine = [r for r in done if r.model == model]
        fig.add_trace(
            go.Scatter(
                x=[
                    names.get(str(getattr(r, knob)), str(getattr(r, knob)))
                    if knob in ("optimizer", "model", "augment")
                    else getattr(r, knob)
                    for r in mine
                ],
                y=[r.accuracy for r in mine],
                mode="markers",
                name=names.get(model, model),
                marker=dict(
                    size=[22 if r.best else 13 for r in mine],
                    symbol=["star" if r.best else "circle" for r in mine],
                    color=class_colour(k),
                    line=dict(width=1, color="white"),
                ),
                customdata=[[r.student] for r in mine],
                hovertemplate="%{customdata[0]}<br>%{x} → %{y:.2%}<extra></extra>",
            )
        )
    xaxis = dict(title=names.get(knob, knob))
    if knob == "lr":
        xaxis |= _log_ticks([r.lr for r in done])
    elif knob in ("optimizer", "model", "augment"):
        xaxis |= dict(type="category")
    fig = finish(
        fig,
        title,
        legend=True,
        xaxis=xaxis,
        yaxis=accuracy_axis([r.accuracy for r in done]),
        annotations=[level_title(_t(labels, "accuracy"))],
    )
    return _big(fig)


def class_parallel(rows, *, names: dict[str, str] | None = None, labels: dict | None = None) -> go.Figure:
    """Every finished run as one line across its hyperparameters to its accuracy (parallel coordinates)."""
    names = names or {}
    done = [r for r in rows if r.accuracy is not None]
    dims = []
    for knob in ("model", "optimizer"):
        cats = sorted({str(getattr(r, knob)) for r in done})
        dims.append(
            dict(
                label=names.get(knob, knob),
                values=[cats.index(str(getattr(r, knob))) for r in done],
                tickvals=list(range(len(cats))),
                ticktext=[names.get(c, c) for c in cats],
            )
        )
    dims.append(dict(label=f"log10 {names.get('lr', 'lr')}", values=[math.log10(r.lr or 1e-9) for r in done]))
    for knob in ("batch_size", "epochs"):
        dims.append(dict(label=names.get(knob, knob), values=[getattr(r, knob) or 0 for r in done]))
    accuracy = [r.accuracy for r in done]
    dims.append(dict(label=_t(labels, "accuracy"), values=accuracy, tickformat=".1%", range=[min(accuracy), 1.0]))
    fig = go.Figure(
        go.Parcoords(
            line=dict(color=accuracy, colorscale="Viridis", showscale=False),
            dimensions=dims,
            labelfont=dict(size=BIG),
            tickfont=dict(size=BIG - 2),
        )
    )
    return fig.update_layout(margin=dict(l=60, r=60, t=50, b=20), font_size=BIG, paper_bgcolor="rgba(0,0,0,0)")


def ranked(rows):
    """The rows best first: finished runs by accuracy, then the others as they came (newest first)."""
    return sorted(rows, key=lambda r: (r.accuracy is None, -(r.accuracy or 0)))
