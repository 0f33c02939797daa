"""The class's runs against their settings (classroom.BoardRow lists): which settings did best."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from .style import _t


def class_scatter(
    rows, knob: str, *, names: dict[str, str] | None = None, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Test accuracy of every finished run against one hyperparameter (classroom.BoardRow list), a colour
    per model; the best run of each model is a star. A learning rate is drawn on a log axis."""
    names = names or {}
    done = [r for r in rows if r.accuracy is not None and getattr(r, knob) is not None]
    fig = go.Figure()
    for model in dict.fromkeys(r.model for r in done):
        mine = [r for r in done if r.model == model]
        fig.add_trace(
            go.Scatter(
                x=[
                    str(getattr(r, knob)) if knob in ("optimizer", "model", "augment") else getattr(r, knob)
                    for r in mine
                ],
                y=[r.accuracy for r in mine],
                mode="markers",
                name=names.get(model, model),
                marker=dict(
                    size=[16 if r.best else 9 for r in mine],
                    symbol=["star" if r.best else "circle" for r in mine],
                    line=dict(width=1, color="white"),
                ),
                customdata=[[r.student, r.run_id] for r in mine],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>%{x} → %{y:.2%}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title=names.get(knob, knob),
        yaxis_title=_t(labels, "accuracy"),
        yaxis_tickformat=".1%",
        xaxis_type="log" if knob == "lr" else None,
        legend_title_text=None,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
    )
    return fig


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
    dims.append(dict(label=_t(labels, "accuracy"), values=[r.accuracy for r in done], tickformat=".1%"))
    fig = go.Figure(
        go.Parcoords(
            line=dict(color=[r.accuracy for r in done], colorscale="Viridis", showscale=False), dimensions=dims
        )
    )
    return fig.update_layout(margin=dict(l=60, r=60, t=40, b=20))
