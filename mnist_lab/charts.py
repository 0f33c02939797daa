"""Plotly figure builders: pure functions from arrays and metric events to go.Figure.

Every builder takes `labels`, a dict overriding any of DEFAULT_LABELS (the app passes translations),
and `title`. Clickable charts carry `customdata` on a scatter layer, because plotly heatmaps
send no click or selection events.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

DEFAULT_LABELS = {
    "pixel_value": "Pixel value", "row": "Row", "column": "Column", "image": "Image",
    "class": "Class", "count": "Images", "weight": "Weight", "channel": "Channel",
    "activation": "Activation", "unit": "Unit", "step": "Step", "epoch": "Epoch",
    "loss": "Loss", "accuracy": "Accuracy", "raw": "per batch", "smoothed": "smoothed",
    "train": "train", "test": "test", "true": "True label", "predicted": "Predicted",
    "probability": "Probability", "of_row": "of this true label",
}
GRAY = [[0.0, "black"], [1.0, "white"]]
DIVERGING = "RdBu_r"
ACCENT, MUTED = "#e4572e", "#8da0cb"


def _t(labels: dict | None, key: str) -> str:
    """A label: the caller's translation if given, else the English default."""
    return (labels or {}).get(key, DEFAULT_LABELS[key])


def _square(fig: go.Figure, title: str | None, *, reversed_y: bool = True) -> go.Figure:
    """Square cells, row 0 at the top, no grid lines."""
    # one update_layout call: plotly's update_xaxes/update_yaxes search the layout for axes, which
    # took a third of a page's server time (these figures have one pair of axes)
    fig.update_layout(
        yaxis=dict(autorange="reversed" if reversed_y else True, scaleanchor="x", scaleratio=1,
                   showgrid=False, zeroline=False, constrain="domain"),  # no empty rows above and below
        xaxis=dict(showgrid=False, zeroline=False, constrain="domain"),
        title=title, margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def digit_heatmap(img: np.ndarray, *, title: str | None = None, labels: dict | None = None,
                  show_values: bool = True) -> go.Figure:
    """One grey image as a heatmap, each cell labelled with its pixel value."""
    z = np.asarray(img)
    integer = np.issubdtype(z.dtype, np.integer)
    zmin, zmax = (0, 255) if z.dtype == np.uint8 else (float(z.min()), float(z.max()))
    fig = go.Figure(go.Heatmap(
        z=z, colorscale=GRAY, zmin=zmin, zmax=zmax, showscale=False,
        texttemplate=("%{z}" if integer else "%{z:.2f}") if show_values else None,
        textfont=dict(size=8),
        hovertemplate=f"{_t(labels, 'row')} %{{y}}, {_t(labels, 'column')} %{{x}}<br>"
                      f"{_t(labels, 'pixel_value')} %{{z}}<extra></extra>"))
    return _square(fig, title)


def _mosaic(tiles: np.ndarray, cols: int, gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile (N, H, W) into one array with NaN gaps; also each tile's top-left corner (x, y)."""
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, np.float32)
    xs, ys = (np.arange(n) % cols) * (w + gap), (np.arange(n) // cols) * (h + gap)
    for i in range(n):
        out[ys[i]:ys[i] + h, xs[i]:xs[i] + w] = tiles[i]
    return out, xs, ys


def _tile_layer(xs, ys, h: int, w: int, customdata, hover: str) -> go.Scatter:
    """Invisible squares over the tiles: hover text and click selection (customdata)."""
    return go.Scatter(x=xs + (w - 1) / 2, y=ys + (h - 1) / 2, mode="markers", customdata=customdata,
                      marker=dict(size=max(h, w), opacity=0, symbol="square"), hovertemplate=hover,
                      showlegend=False)


def _captions(xs, ys, texts: list[str], colour: str) -> go.Scatter:
    """Small captions in the top-left corner of each tile (one trace, so 64 of them stay fast)."""
    return go.Scatter(x=xs - 0.5, y=ys - 0.5, mode="text", text=texts, textposition="bottom right",
                      textfont=dict(size=9, color=colour), hoverinfo="skip", showlegend=False)


def _grid_layout(fig: go.Figure, title: str | None, shape: tuple[int, int]) -> go.Figure:
    """Hide axes, pick a height that suits a ~700 px wide page, enable clicking tiles."""
    height, width = shape
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, clickmode="event+select", dragmode=False,
                      hoverdistance=-1, height=int(np.clip(700 * height / width + (50 if title else 20), 150, 900)))
    return _square(fig, title)


def sample_grid(images: np.ndarray, captions: list[str] | None = None, *, cols: int = 8,
                indices: list[int] | None = None, title: str | None = None,
                labels: dict | None = None, gap: int = 2) -> go.Figure:
    """Many digits tiled into one heatmap (fast for 64+); clicking a tile selects its index (customdata)."""
    images = np.asarray(images)
    _, h, w = images.shape
    mosaic, xs, ys = _mosaic(images.astype(np.float32), cols, gap)
    indices = list(range(len(images))) if indices is None else [int(i) for i in indices]
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale=GRAY, zmin=0, zmax=255 if images.dtype == np.uint8 else None,
                               showscale=False, hoverinfo="skip"))
    fig.add_trace(_tile_layer(xs, ys, h, w, indices, f"{_t(labels, 'image')} %{{customdata}}<extra></extra>"))
    if captions is not None:
        fig.add_trace(_captions(xs, ys, list(captions), "yellow"))
    return _grid_layout(fig, title, mosaic.shape)


def class_counts(counts, class_names: list[str] | None = None, *, title: str | None = None,
                 labels: dict | None = None) -> go.Figure:
    """Bar chart of how many images each class has."""
    counts = np.asarray(counts)
    names = class_names or [str(i) for i in range(len(counts))]
    fig = go.Figure(go.Bar(x=names, y=counts, text=counts, textposition="outside", marker_color=MUTED))
    fig.update_layout(title=title, xaxis_title=_t(labels, "class"), yaxis_title=_t(labels, "count"),
                      xaxis_type="category")
    return fig


def kernel_heatmap(kernel: np.ndarray, *, title: str | None = None, labels: dict | None = None,
                   decimals: int = 2) -> go.Figure:
    """A small kernel with its numbers written in the cells; blue negative, red positive."""
    k = np.asarray(kernel, dtype=np.float64)
    limit = float(np.abs(k).max()) or 1.0
    fig = go.Figure(go.Heatmap(
        z=k, colorscale=DIVERGING, zmin=-limit, zmax=limit, zmid=0, showscale=False,
        texttemplate=f"%{{z:.{decimals}f}}", textfont=dict(size=14),
        hovertemplate=f"{_t(labels, 'weight')} %{{z:.4f}}<extra></extra>"))
    fig.update_layout(xaxis_showticklabels=False, yaxis_showticklabels=False)
    return _square(fig, title)


def _vector(values: np.ndarray, title: str | None, labels: dict | None) -> go.Figure:
    """A 1-D activation (after flatten or a linear layer) as bars."""
    fig = go.Figure(go.Bar(y=values, marker_color=np.where(values >= 0, ACCENT, MUTED)))
    fig.update_layout(title=title, xaxis_title=_t(labels, "unit"), yaxis_title=_t(labels, "activation"),
                      bargap=0)
    return fig


def feature_maps(act: np.ndarray, *, cols: int = 8, max_maps: int = 64, names: list[str] | None = None,
                 title: str | None = None, labels: dict | None = None, diverging: bool = False,
                 shared_scale: bool = False) -> go.Figure:
    """Activations (C, H, W) as a grid of maps in one figure (each map scaled on its own unless
    shared_scale); a vector (F,) as a bar chart. Hover shows the real values."""
    act = np.asarray(act, dtype=np.float32)
    if act.ndim == 1:
        return _vector(act, title, labels)
    if act.ndim != 3:
        raise ValueError(f"expected (C, H, W) or (F,), got shape {act.shape}")
    maps = act[:max_maps]
    n, h, w = maps.shape
    axes = None if shared_scale else (1, 2)
    if diverging:
        limit = np.abs(maps).max(axis=axes, keepdims=True)
        scaled, colours, zmin = maps / np.where(limit > 0, limit, 1), DIVERGING, -1
    else:
        low, high = maps.min(axis=axes, keepdims=True), maps.max(axis=axes, keepdims=True)
        scaled, colours, zmin = (maps - low) / np.where(high > low, high - low, 1), "Viridis", 0
    gap = max(1, max(h, w) // 8)
    z, xs, ys = _mosaic(scaled, cols, gap)
    raw, _, _ = _mosaic(maps, cols, gap)
    names = list(names) if names is not None else [str(i) for i in range(n)]
    fig = go.Figure(go.Heatmap(z=z, customdata=raw, colorscale=colours, zmin=zmin, zmax=1, showscale=False,
                               hovertemplate=f"{_t(labels, 'activation')} %{{customdata:.3f}}<extra></extra>"))
    fig.add_trace(_captions(xs, ys, names[:n], "white"))
    fig.update_layout(plot_bgcolor="rgba(0,0,0,0)")
    return _grid_layout(fig, title, z.shape)


def filter_grid(weights: np.ndarray, *, in_channel: int = 0, title: str | None = None,
                labels: dict | None = None) -> go.Figure:
    """Learned conv filters (out, in, k, k) for one input channel, blue negative / red positive."""
    w = np.asarray(weights)
    names = [f"#{i}" for i in range(w.shape[0])]
    return feature_maps(w[:, in_channel], names=names, title=title, labels=labels, diverging=True)


def probability_bar(probs, class_names: list[str] | None = None, *, title: str | None = None,
                    labels: dict | None = None) -> go.Figure:
    """Probabilities of the 10 classes; the predicted one stands out."""
    p = np.asarray(probs, dtype=np.float64)
    names = class_names or [str(i) for i in range(len(p))]
    colours = [ACCENT if i == int(p.argmax()) else MUTED for i in range(len(p))]
    fig = go.Figure(go.Bar(x=names, y=p, marker_color=colours, text=[f"{v:.0%}" for v in p],
                           textposition="outside",
                           hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title=_t(labels, "class"), yaxis_title=_t(labels, "probability"),
                      xaxis_type="category", yaxis=dict(range=[0, 1.1], tickformat=".0%"))
    return fig


def confusion_matrix(confusion: np.ndarray, class_names: list[str] | None = None, *,
                     title: str | None = None, labels: dict | None = None) -> go.Figure:
    """Confusion matrix (rows true, columns predicted); colour on a log scale so rare mistakes show.

    Clicking a cell selects a point whose customdata is [true, predicted].
    """
    cm = np.asarray(confusion, dtype=np.int64)
    k = len(cm)
    names = class_names or [str(i) for i in range(k)]
    row_share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = go.Figure(go.Heatmap(
        z=np.log1p(cm), x=list(range(k)), y=list(range(k)), text=cm, texttemplate="%{text}",
        colorscale="Blues", showscale=False, hoverinfo="skip"))
    tt, pp = np.meshgrid(range(k), range(k), indexing="ij")
    fig.add_trace(go.Scatter(
        x=pp.ravel(), y=tt.ravel(), mode="markers",
        marker=dict(size=18, opacity=0, symbol="square"),
        customdata=np.stack([tt.ravel(), pp.ravel(), cm.ravel()], axis=1),
        text=[f"{v:.1%}" for v in row_share.ravel()],
        hovertemplate=(f"{_t(labels, 'true')} %{{customdata[0]}} → {_t(labels, 'predicted')} %{{customdata[1]}}"
                       f"<br>%{{customdata[2]}} (%{{text}} {_t(labels, 'of_row')})<extra></extra>")))
    fig.update_layout(xaxis=dict(title=_t(labels, "predicted"), tickvals=list(range(k)), ticktext=names, side="top"),
                      yaxis=dict(title=_t(labels, "true"), tickvals=list(range(k)), ticktext=names),
                      showlegend=False, clickmode="event+select", dragmode=False, hoverdistance=-1)
    return _square(fig, title)


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


def _of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e.get("type") == kind]


def batch_curves(events: list[dict], *, smoothing: float = 0.9, title: str | None = None,
                 labels: dict | None = None) -> go.Figure:
    """Loss and accuracy for every batch: faint raw line plus a smoothed line."""
    batches = _of_type(events, "batch")
    steps = [e["step"] for e in batches]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_t(labels, "loss"), _t(labels, "accuracy")])
    for col, key in ((1, "loss"), (2, "acc")):
        raw = [e[key] for e in batches]
        fig.add_trace(go.Scatter(x=steps, y=raw, mode="lines", name=_t(labels, "raw"), opacity=0.5,
                                 line=dict(color=MUTED, width=1), showlegend=col == 1, legendgroup="raw"),
                      row=1, col=col)
        fig.add_trace(go.Scatter(x=steps, y=smooth(raw, smoothing), mode="lines", name=_t(labels, "smoothed"),
                                 line=dict(color=ACCENT, width=2), showlegend=col == 1, legendgroup="smooth"),
                      row=1, col=col)
    fig.update_xaxes(title=_t(labels, "step"))
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(title=title, hovermode="x unified")
    return fig


def epoch_curves(events: list[dict], *, title: str | None = None, labels: dict | None = None) -> go.Figure:
    """Train vs test loss and accuracy after each epoch."""
    epochs = _of_type(events, "epoch")
    x = [e["epoch"] for e in epochs]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_t(labels, "loss"), _t(labels, "accuracy")])
    for col, metric in ((1, "loss"), (2, "acc")):
        for split, colour, dash in (("train", MUTED, "dash"), ("test", ACCENT, "solid")):
            fig.add_trace(go.Scatter(x=x, y=[e.get(f"{split}_{metric}") for e in epochs], mode="lines+markers",
                                     name=_t(labels, split), line=dict(color=colour, dash=dash),
                                     showlegend=col == 1, legendgroup=split),
                          row=1, col=col)
    fig.update_xaxes(title=_t(labels, "epoch"), dtick=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(title=title)
    return fig


def runs_overlay(runs: dict[str, list[dict]], metric: str = "test_acc", *, smoothing: float = 0.9,
                 title: str | None = None, labels: dict | None = None) -> go.Figure:
    """One line per run: an epoch metric (train_loss, test_acc, ...) by epoch, or batch loss/acc smoothed by step."""
    fig = go.Figure()
    per_epoch = metric not in ("loss", "acc")
    for name, events in runs.items():
        if per_epoch:
            rows = _of_type(events, "epoch")
            x, y = [e["epoch"] for e in rows], [e.get(metric) for e in rows]
        else:
            rows = _of_type(events, "batch")
            x, y = [e["step"] for e in rows], smooth([e[metric] for e in rows], smoothing)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers" if per_epoch else "lines", name=name))
    is_acc = metric.endswith("acc")
    fig.update_layout(title=title, xaxis_title=_t(labels, "epoch" if per_epoch else "step"),
                      yaxis_title=_t(labels, "accuracy" if is_acc else "loss"),
                      yaxis_tickformat=".0%" if is_acc else None)
    return fig
