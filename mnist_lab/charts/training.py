"""A run's curves: loss and accuracy for every batch and after each epoch, and several runs side by side."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..metrics import of_type
from .style import ACCENT, MUTED, TEXT, _t, accuracy_axis, finish, level_title

MIN_EPOCHS = 2  # a curve over epochs needs two points: one is a lone dot, and its axis can run to 150%


def enough_epochs(events: list[dict]) -> bool:
    """Whether a run has epochs enough for epoch_curves (two or more); with fewer, show the number."""
    return len(of_type(events, "epoch")) >= MIN_EPOCHS


def _side_by_side(left: str, right: str) -> go.Figure:
    """Two plots side by side, each titled level over its y axis, at its left (where a y title reads)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1)
    for axis, text in (("", left), ("2", right)):
        fig.add_annotation(level_title(text, f"x{axis}", f"y{axis}"))
    return fig


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
    fig = _side_by_side(_t(labels, "loss"), _t(labels, "accuracy"))
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
    step = dict(title=_t(labels, "step"))
    acc = accuracy_axis(e["acc"] for e in batches)
    return finish(fig, title, legend=True, headings=1, xaxis=step, xaxis2=step, yaxis2=acc, hovermode="x unified")


def epoch_curves(events: list[dict], *, title: str | None = None, labels: dict | None = None) -> go.Figure:
    """Train vs test loss and accuracy after each epoch (for a run with enough_epochs)."""
    epochs = of_type(events, "epoch")
    x = [e["epoch"] for e in epochs]
    fig = _side_by_side(_t(labels, "loss"), _t(labels, "accuracy"))
    for col, metric in ((1, "loss"), (2, "acc")):
        for split, colour, dash in (("train", MUTED, "dash"), ("test", ACCENT, "solid")):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[e.get(f"{split}_{metric}") for e in epochs],
                    mode="lines+markers",
                    name=_t(labels, split),
                    line=dict(color=colour, dash=dash),
                    cliponaxis=False,  # a dot at 100% whole
                    showlegend=col == 1,
                    legendgroup=split,
                ),
                row=1,
                col=col,
            )
    epoch = dict(title=_t(labels, "epoch"), dtick=1)
    acc = accuracy_axis(e.get(f"{split}_acc") for e in epochs for split in ("train", "test"))
    return finish(fig, title, legend=True, headings=1, xaxis=epoch, xaxis2=epoch, yaxis2=acc)


def runs_overlay(
    runs: dict[str, list[dict]],
    metric: str = "test_acc",
    *,
    smoothing: float = 0.9,
    title: str | None = None,
    labels: dict | None = None,
) -> go.Figure:
    """One line per run: an epoch metric (train_loss, test_acc, ...) by epoch, or batch loss/acc smoothed by
    step. When no run has enough_epochs, lines would be lone dots: each run's last value is a bar instead."""
    per_epoch = metric not in ("loss", "acc")
    is_acc = metric.endswith("acc")
    y_title = _t(labels, "accuracy" if is_acc else "loss")
    if per_epoch and not any(enough_epochs(events) for events in runs.values()):
        return _last_values(runs, metric, is_acc, y_title, title)
    fig = go.Figure()
    shown = []
    for name, events in runs.items():
        if per_epoch:
            rows = of_type(events, "epoch")
            x, y = [e["epoch"] for e in rows], [e.get(metric) for e in rows]
        else:
            rows = of_type(events, "batch")
            x, y = [e["step"] for e in rows], smooth([e[metric] for e in rows], smoothing)
        shown.extend(y)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers" if per_epoch else "lines", name=name, cliponaxis=False))
    fig.add_annotation(level_title(y_title))
    return finish(
        fig,
        title,
        legend=True,
        headings=1,
        xaxis=dict(title=_t(labels, "epoch" if per_epoch else "step"), dtick=1 if per_epoch else None),
        yaxis=accuracy_axis(shown) if is_acc else None,
    )


def _last_values(runs: dict[str, list[dict]], metric: str, is_acc: bool, y_title: str, title: str | None) -> go.Figure:
    """Each run's last value of an epoch metric as a bar that says it."""
    last = {name: (of_type(events, "epoch") or [{}])[-1].get(metric) for name, events in runs.items()}
    names, values = list(last), list(last.values())
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=MUTED,
            text=["" if v is None else f"{v:.2%}" if is_acc else f"{v:.4f}" for v in values],
            textposition="auto",
            textangle=0,
            textfont_size=TEXT,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    axis = dict(title=y_title, range=[0, 1], tickformat=".0%") if is_acc else dict(title=y_title, rangemode="tozero")
    return finish(fig, title, xaxis=axis, yaxis=dict(type="category", autorange="reversed"))
