"""Digits and what a network's layers make of them: one digit's pixels, many digits in a clickable grid,
class counts, a kernel's numbers, feature maps and learned filters."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import (
    ACCENT,
    DIVERGING,
    GRAY,
    MIN_TEXT,
    MUTED,
    TEXT,
    _captions,
    _grid_layout,
    _mosaic,
    _square,
    _t,
    _tile_layer,
    class_colour,
    finish,
    level_title,
)


def digit_heatmap(
    img: np.ndarray, *, title: str | None = None, labels: dict | None = None, show_values: bool = True
) -> go.Figure:
    """One grey image as a heatmap, each cell labelled with its pixel value, at MIN_TEXT: three digits fit
    a cell of about 24 px, a 28x28 chart about 700 px high."""
    z = np.asarray(img)
    integer = np.issubdtype(z.dtype, np.integer)
    zmin, zmax = (0, 255) if z.dtype == np.uint8 else (float(z.min()), float(z.max()))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            colorscale=GRAY,
            zmin=zmin,
            zmax=zmax,
            showscale=False,
            texttemplate=("%{z}" if integer else "%{z:.2f}") if show_values else None,
            textfont=dict(size=MIN_TEXT),
            hovertemplate=f"{_t(labels, 'row')} %{{y}}, {_t(labels, 'column')} %{{x}}<br>"
            f"{_t(labels, 'pixel_value')} %{{z}}<extra></extra>",
        )
    )
    return _square(fig, title)


def sample_grid(
    images: np.ndarray,
    captions: list[str] | None = None,
    *,
    cols: int = 8,
    indices: list[int] | None = None,
    title: str | None = None,
    labels: dict | None = None,
    gap: int = 2,
    caption_size: int = TEXT,
    footers: list[str] | None = None,
) -> go.Figure:
    """Many digits tiled into one heatmap (fast for 64+); clicking a tile selects its index (customdata).
    Captions go in each tile's top-left corner, footers (a name) in its bottom-left one, neither under
    MIN_TEXT."""
    images = np.asarray(images)
    _, h, w = images.shape
    mosaic, xs, ys = _mosaic(images.astype(np.float32), cols, gap)
    indices = list(range(len(images))) if indices is None else [int(i) for i in indices]
    fig = go.Figure(
        go.Heatmap(
            z=mosaic,
            colorscale=GRAY,
            zmin=0,
            zmax=255 if images.dtype == np.uint8 else None,
            showscale=False,
            hoverinfo="skip",
        )
    )
    fig.add_trace(_tile_layer(xs, ys, h, w, indices, f"{_t(labels, 'image')} %{{customdata}}<extra></extra>"))
    if captions is not None:
        fig.add_trace(_captions(xs, ys, list(captions), "yellow", caption_size))
    if footers is not None:
        fig.add_trace(_captions(xs, ys + h, list(footers), "#9ecae1", caption_size - 1, "top right"))
    return _grid_layout(fig, title, mosaic.shape)


def class_counts(
    counts, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Bar chart of how many images each class has, each bar in its class's colour."""
    counts = np.asarray(counts)
    names = class_names or [str(i) for i in range(len(counts))]
    colours = [class_colour(k) for k in range(len(counts))]
    fig = go.Figure(go.Bar(x=names, y=counts, text=counts, textposition="outside", textangle=0, marker_color=colours))
    fig.add_annotation(level_title(_t(labels, "count")))
    return finish(
        fig, title, headings=1, xaxis=dict(title=_t(labels, "class"), type="category"), yaxis=dict(rangemode="tozero")
    )


def kernel_heatmap(
    kernel: np.ndarray, *, title: str | None = None, labels: dict | None = None, decimals: int = 2
) -> go.Figure:
    """A small kernel with its numbers written in the cells; blue negative, red positive."""
    k = np.asarray(kernel, dtype=np.float64)
    limit = float(np.abs(k).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=k,
            colorscale=DIVERGING,
            zmin=-limit,
            zmax=limit,
            zmid=0,
            showscale=False,
            texttemplate=f"%{{z:.{decimals}f}}",
            textfont=dict(size=TEXT),
            hovertemplate=f"{_t(labels, 'weight')} %{{z:.4f}}<extra></extra>",
        )
    )
    return _square(fig, title, xaxis=dict(showticklabels=False), yaxis=dict(showticklabels=False))


def _vector(values: np.ndarray, title: str | None, labels: dict | None) -> go.Figure:
    """A 1-D activation (after flatten or a linear layer) as bars."""
    fig = go.Figure(go.Bar(y=values, marker_color=np.where(values >= 0, ACCENT, MUTED)))
    fig.add_annotation(level_title(_t(labels, "activation")))
    return finish(fig, title, headings=1, xaxis_title=_t(labels, "unit"), bargap=0)


def feature_maps(
    act: np.ndarray,
    *,
    cols: int = 8,
    max_maps: int = 64,
    names: list[str] | None = None,
    title: str | None = None,
    labels: dict | None = None,
    diverging: bool = False,
    shared_scale: bool = False,
) -> go.Figure:
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
    fig = go.Figure(
        go.Heatmap(
            z=z,
            customdata=raw,
            colorscale=colours,
            zmin=zmin,
            zmax=1,
            showscale=False,
            hovertemplate=f"{_t(labels, 'activation')} %{{customdata:.3f}}<extra></extra>",
        )
    )
    fig.add_trace(_captions(xs, ys, names[:n], "white"))
    return _grid_layout(fig, title, z.shape).update_layout(plot_bgcolor="rgba(0,0,0,0)")


def filter_grid(
    weights: np.ndarray, *, in_channel: int = 0, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Learned conv filters (out, in, k, k) for one input channel, blue negative / red positive."""
    w = np.asarray(weights)
    names = [f"#{i}" for i in range(w.shape[0])]
    return feature_maps(w[:, in_channel], names=names, title=title, labels=labels, diverging=True)
