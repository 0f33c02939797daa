"""What every chart shares: labels, colours, square cells, and digits tiled into one clickable grid."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from ..i18n import chart_labels

# English labels; the app passes i18n.chart_labels(lang) to every builder
DEFAULT_LABELS = chart_labels("en")
GRAY = [[0.0, "black"], [1.0, "white"]]
DIVERGING = "RdBu_r"
ACCENT, MUTED = "#e4572e", "#8da0cb"
# one colour per class, the same in every row (Tableau 10: no pale yellow to squint at)
CLASS_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _t(labels: dict | None, key: str) -> str:
    """A label: the caller's translation if given, else the English default."""
    return (labels or {}).get(key, DEFAULT_LABELS[key])


def _square(fig: go.Figure, title: str | None, *, reversed_y: bool = True) -> go.Figure:
    """Square cells, row 0 at the top, no grid lines."""
    # one update_layout call: plotly's update_xaxes/update_yaxes search the layout for axes, which
    # took a third of a page's server time (these figures have one pair of axes)
    fig.update_layout(
        yaxis=dict(
            autorange="reversed" if reversed_y else True,
            scaleanchor="x",
            scaleratio=1,
            showgrid=False,
            zeroline=False,
            constrain="domain",
        ),  # no empty rows above and below
        xaxis=dict(showgrid=False, zeroline=False, constrain="domain"),
        title=title,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
    )
    return fig


def _mosaic(tiles: np.ndarray, cols: int, gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile (N, H, W) into one array with NaN gaps; also each tile's top-left corner (x, y)."""
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, np.float32)
    xs, ys = (np.arange(n) % cols) * (w + gap), (np.arange(n) // cols) * (h + gap)
    for i in range(n):
        out[ys[i] : ys[i] + h, xs[i] : xs[i] + w] = tiles[i]
    return out, xs, ys


def _tile_layer(xs, ys, h: int, w: int, customdata, hover: str) -> go.Scatter:
    """Invisible squares over the tiles: hover text and click selection (customdata)."""
    return go.Scatter(
        x=xs + (w - 1) / 2,
        y=ys + (h - 1) / 2,
        mode="markers",
        customdata=customdata,
        marker=dict(size=max(h, w), opacity=0, symbol="square"),
        hovertemplate=hover,
        showlegend=False,
    )


def _captions(xs, ys, texts: list[str], colour: str, size: int = 9, position: str = "bottom right") -> go.Scatter:
    """Small captions at a corner of each tile, by default the top-left one (one trace, so 64 of them
    stay fast)."""
    return go.Scatter(
        x=xs - 0.5,
        y=ys - 0.5,
        mode="text",
        text=texts,
        textposition=position,
        textfont=dict(size=size, color=colour),
        hoverinfo="skip",
        showlegend=False,
    )


def _grid_layout(fig: go.Figure, title: str | None, shape: tuple[int, int]) -> go.Figure:
    """Hide axes, pick a height that suits a ~700 px wide page, enable clicking tiles."""
    height, width = shape
    fig.update_layout(
        xaxis_visible=False,
        yaxis_visible=False,
        clickmode="event+select",
        dragmode=False,
        hoverdistance=-1,
        height=int(np.clip(700 * height / width + (50 if title else 20), 150, 900)),
    )
    return _square(fig, title)
