"""The one visual language of every chart: labels, the ten class colours, text a projector shows, percentage
axes that stop at 100%, axis titles written level, the legend on top, square cells, and digits tiled into one
clickable grid.

Text on the page's background takes its colour from the theme (Streamlit's light or dark template), so a
builder sets no colour on it; only marks, and text drawn over a picture, bring their own.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import plotly.graph_objects as go

from ..i18n import chart_labels

# English labels; the app passes i18n.chart_labels(lang) to every builder
DEFAULT_LABELS = chart_labels("en")
GRAY = [[0.0, "black"], [1.0, "white"]]
DIVERGING = "RdBu_r"
ACCENT, MUTED = "#e4572e", "#8da0cb"
NEUTRAL = "#888888"  # a mid grey reads on a white page and on a dark one: marks that belong to no class
# one colour per class, the same on every page: Tableau 10, none pale to squint at on white or dark on black,
# but amber for its grey, since grey reads as "faded" and the true class (7, say) must stand out
CLASS_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#e6b000",
    "#bcbd22",
    "#17becf",
)
MIN_TEXT = 12  # px: the smallest text a projector still shows to the back row (Streamlit's chart ticks are 12)
TEXT = 14  # px: the text a chart writes itself: level axis titles, captions over pictures, values
ROW = 24  # px: one line of that text, where a chart makes room above its plot for one
TITLE_ROW = 34  # px: the line of a chart's title (16 px, in bold)
LEVEL_TITLE = "level title"  # the name of the annotations that stand in for rotated y axis titles
# on top, in rows: a vertical legend beside a chart scrolls once it has more entries than fit (class 9 hid)
LEGEND = dict(orientation="h", x=1, xanchor="right", y=1, yanchor="bottom", itemsizing="constant", title_side="left")
# a log axis (a learning rate) labels its powers of ten only: plotly's small "2 3 4 5 6" between them read
# as values; within one decade it falls back to a few plain values
LOG_AXIS = dict(type="log", minorloglabels="none", nticks=6)
# bar labels that would shrink below MIN_TEXT to fit a thin bar are drawn at MIN_TEXT anyway
UNIFORM_TEXT = dict(minsize=MIN_TEXT, mode="show")
# a picture's captions lie on black ink, white paper or any colour between: a dark outline keeps them legible
HALO = "-1px -1px 1px black, 1px -1px 1px black, -1px 1px 1px black, 1px 1px 1px black, 0 0 3px black"


def _t(labels: dict | None, key: str) -> str:
    """A label: the caller's translation if given, else the English default."""
    return (labels or {}).get(key, DEFAULT_LABELS[key])


def class_colour(k: int) -> str:
    return CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]


def accuracy_axis(values=()) -> dict:
    """A y axis for accuracy or probability, in percent, that never runs past 100%: from 0, or from the tenth
    below the lowest value when every value is high (then 98% and 99% look apart)."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    low = math.floor(min(finite) * 10) / 10 if finite else 0.0
    return dict(range=[min(max(low, 0.0), 0.9), 1.0], tickformat=".0%")


def text_width(text: str, size: int = TEXT) -> int:
    """About how wide text is in px: a Korean or Chinese character is a full em, a Latin one about 0.6."""
    return round(sum(size if unicodedata.east_asian_width(c) in "WF" else 0.6 * size for c in text))


def level_title(text: str, x: str = "x", y: str = "y", *, corner: bool = False) -> dict:
    """A y axis title as an annotation written level over the top of its axis: plotly only rotates them,
    and rotated words are hard to read (Korean's above all). corner: right-aligned beside the axis's
    top, for a chart whose x ticks are on top (the margin must hold it: text_width)."""
    return dict(
        name=LEVEL_TITLE,
        text=text,
        xref=f"{x} domain",
        yref=f"{y} domain",
        x=0,
        y=1,
        xanchor="right" if corner else "left",
        yanchor="bottom",
        xshift=-6 if corner else 0,
        yshift=4,
        showarrow=False,
        font_size=TEXT,
    )


def finish(fig: go.Figure, title: str | None, *, legend: bool = False, headings: int = 0, **layout) -> go.Figure:
    """The layout every chart shares, in one update: the title at the top left, the legend (if any) in a
    row above the plot at the right, text no smaller than MIN_TEXT. headings: how many lines of its own
    text (a level axis title, at the left) the chart writes above its plot."""
    rows = max(headings, int(legend))
    margin = dict(l=10, r=10, t=10 + ROW * rows + (TITLE_ROW if title else 0), b=10) | layout.pop("margin", {})
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", yref="container", y=1, yanchor="top", pad_t=6) if title else None,
        showlegend=legend,
        legend=LEGEND if legend else None,
        font_size=TEXT,
        uniformtext=UNIFORM_TEXT,
        margin=margin,
        **layout,
    )
    return fig


def _square(fig: go.Figure, title: str | None, *, reversed_y: bool = True, **layout) -> go.Figure:
    """Square cells, row 0 at the top, no grid lines."""
    # one update_layout call: plotly's update_xaxes/update_yaxes search the layout for axes, which
    # took a third of a page's server time (these figures have one pair of axes)
    yaxis = dict(
        autorange="reversed" if reversed_y else True,
        scaleanchor="x",
        scaleratio=1,
        showgrid=False,
        zeroline=False,
        constrain="domain",  # no empty rows above and below
    )
    xaxis = dict(showgrid=False, zeroline=False, constrain="domain")
    return finish(fig, title, yaxis=yaxis | layout.pop("yaxis", {}), xaxis=xaxis | layout.pop("xaxis", {}), **layout)


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


def _captions(xs, ys, texts: list[str], colour: str, size: int = TEXT, position: str = "bottom right") -> go.Scatter:
    """Captions at a corner of each tile, by default the top-left one (one trace, so 64 of them stay fast),
    never under MIN_TEXT, with a dark halo that keeps them legible on white as on black."""
    return go.Scatter(
        x=xs - 0.5,
        y=ys - 0.5,
        mode="text",
        text=texts,
        textposition=position,
        textfont=dict(size=max(size, MIN_TEXT), color=colour, shadow=HALO),
        hoverinfo="skip",
        showlegend=False,
    )


def _grid_layout(fig: go.Figure, title: str | None, shape: tuple[int, int]) -> go.Figure:
    """Hide axes, pick a height that suits a ~700 px wide page, enable clicking tiles."""
    height, width = shape
    return _square(
        fig,
        title,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        clickmode="event+select",
        dragmode=False,
        hoverdistance=-1,
        height=int(np.clip(700 * height / width + (50 if title else 20), 150, 900)),
    )
