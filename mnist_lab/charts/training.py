"""A run's curves: loss and accuracy for every batch and after each epoch, and several runs side by side."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..metrics import of_type
from .style import ACCENT, MUTED, _t


def smooth(values, smoothing: float = 0.9) -> np.ndarray:
    """Exponential moving average with start-up bias removed (as TensorBoard smooths curves)."""
    v = np.asarray(values, dtype=np.float64)
    out = np.empty_like(v)
    avg, weight = 0.0, 0.0
    for i, x in enumerate(v):
        avg = smoothing * avg + (1 - smoothing) * x
        weight = smoothing * weight + (1 - smoothing)
        out[i] = avg / weight
    return out


def batch_curves(
    events: list[dict], *, smoothing: float = 0.9, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Loss and accuracy for every batch: faint raw line plus a smoothed line."""
    batches = of_type(events, "batch")
    steps = [e["step"] for e in batches]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_t(labels, "loss"), _t(labels, "accuracy")])
    for col, key in ((1, "loss"), (2, "acc")):
        raw = [e[key] for e in batches]
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=raw,
                mode="lines",
                name=_t(labels, "raw"),
                opacity=0.5,
                line=dict(color=MUTED, width=1),
                showlegend=col == 1,
                legendgroup="raw",
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=smooth(raw, smoothing),
                mode="lines",
                name=_t(labels, "smoothed"),
                line=dict(color=ACCENT, width=2),
                showlegend=col == 1,
                legendgroup="smooth",
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(title=_t(labels, "step"))
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(title=title, hovermode="x unified")
    return fig


def epoch_curves(events: list[dict], *, title: str | None = None, labels: dict | None = None) -> go.Figure:
    """Train vs test loss and accuracy after each epoch."""
    epochs = of_type(events, "epoch")
    x = [e["epoch"] for e in epochs]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_t(labels, "loss"), _t(labels, "accuracy")])
    for col, metric in ((1, "loss"), (2, "acc")):
        for split, colour, dash in (("train", MUTED, "dash"), ("test", ACCENT, "solid")):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[e.get(f"{split}_{metric}") for e in epochs],
                    mode="lines+markers",
                    name=_t(labels, split),
                    line=dict(color=colour, dash=dash),
                    showlegend=col == 1,
                    legendgroup=split,
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title=_t(labels, "epoch"), dtick=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(title=title)
    return fig


def runs_overlay(
    runs: dict[str, list[dict]],
    metric: str = "test_acc",
    *,
    smoothing: float = 0.9,
    title: str | None = None,
    labels: dict | None = None,
) -> go.Figure:
    """One line per run: an epoch metric (train_loss, test_acc, ...) by epoch, or batch loss/acc smoothed by step."""
    fig = go.Figure()
    per_epoch = metric not in ("loss", "acc")
    for name, events in runs.items():
        if per_epoch:
            rows = of_type(events, "epoch")
            x, y = [e["epoch"] for e in rows], [e.get(metric) for e in rows]
        else:
            rows = of_type(events, "batch")
            x, y = [e["step"] for e in rows], smooth([e[metric] for e in rows], smoothing)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers" if per_epoch else "lines", name=name))
    is_acc = metric.endswith("acc")
    fig.update_layout(
        title=title,
        xaxis_title=_t(labels, "epoch" if per_epoch else "step"),
        yaxis_title=_t(labels, "accuracy" if is_acc else "loss"),
        yaxis_tickformat=".0%" if is_acc else None,
    )
    return fig
