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

from .i18n import chart_labels

# English labels; the app passes i18n.chart_labels(lang) to every builder
DEFAULT_LABELS = chart_labels("en")
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


def digit_heatmap(
    img: np.ndarray, *, title: str | None = None, labels: dict | None = None, show_values: bool = True
) -> go.Figure:
    """One grey image as a heatmap, each cell labelled with its pixel value."""
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
            textfont=dict(size=8),
            hovertemplate=f"{_t(labels, 'row')} %{{y}}, {_t(labels, 'column')} %{{x}}<br>"
            f"{_t(labels, 'pixel_value')} %{{z}}<extra></extra>",
        )
    )
    return _square(fig, title)


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


def _captions(xs, ys, texts: list[str], colour: str, size: int = 9) -> go.Scatter:
    """Small captions in the top-left corner of each tile (one trace, so 64 of them stay fast)."""
    return go.Scatter(
        x=xs - 0.5,
        y=ys - 0.5,
        mode="text",
        text=texts,
        textposition="bottom right",
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


def sample_grid(
    images: np.ndarray,
    captions: list[str] | None = None,
    *,
    cols: int = 8,
    indices: list[int] | None = None,
    title: str | None = None,
    labels: dict | None = None,
    gap: int = 2,
    caption_size: int = 9,
) -> go.Figure:
    """Many digits tiled into one heatmap (fast for 64+); clicking a tile selects its index (customdata)."""
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
    return _grid_layout(fig, title, mosaic.shape)


def class_counts(
    counts, class_names: list[str] | None = None, *, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Bar chart of how many images each class has."""
    counts = np.asarray(counts)
    names = class_names or [str(i) for i in range(len(counts))]
    fig = go.Figure(go.Bar(x=names, y=counts, text=counts, textposition="outside", marker_color=MUTED))
    fig.update_layout(
        title=title, xaxis_title=_t(labels, "class"), yaxis_title=_t(labels, "count"), xaxis_type="category"
    )
    return fig


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
            textfont=dict(size=14),
            hovertemplate=f"{_t(labels, 'weight')} %{{z:.4f}}<extra></extra>",
        )
    )
    fig.update_layout(xaxis_showticklabels=False, yaxis_showticklabels=False)
    return _square(fig, title)


def _vector(values: np.ndarray, title: str | None, labels: dict | None) -> go.Figure:
    """A 1-D activation (after flatten or a linear layer) as bars."""
    fig = go.Figure(go.Bar(y=values, marker_color=np.where(values >= 0, ACCENT, MUTED)))
    fig.update_layout(title=title, xaxis_title=_t(labels, "unit"), yaxis_title=_t(labels, "activation"), bargap=0)
    return fig


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
    fig.update_layout(plot_bgcolor="rgba(0,0,0,0)")
    return _grid_layout(fig, title, z.shape)


def filter_grid(
    weights: np.ndarray, *, in_channel: int = 0, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Learned conv filters (out, in, k, k) for one input channel, blue negative / red positive."""
    w = np.asarray(weights)
    names = [f"#{i}" for i in range(w.shape[0])]
    return feature_maps(w[:, in_channel], names=names, title=title, labels=labels, diverging=True)


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


def batch_curves(
    events: list[dict], *, smoothing: float = 0.9, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """Loss and accuracy for every batch: faint raw line plus a smoothed line."""
    batches = _of_type(events, "batch")
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
    epochs = _of_type(events, "epoch")
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
            rows = _of_type(events, "epoch")
            x, y = [e["epoch"] for e in rows], [e.get(metric) for e in rows]
        else:
            rows = _of_type(events, "batch")
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


def selected_customdata(points: list[dict]) -> list | None:
    """customdata of the first selected point of a chart selection, as a list; None if none.

    The browser sends an array customdata as {"0": a, "1": b, ...}; a scalar stays a scalar.
    """
    data = points[0].get("customdata") if points else None
    if data is None:
        return None
    if isinstance(data, dict):
        return [data[k] for k in sorted(data, key=int)]
    return list(data) if isinstance(data, (list, tuple)) else [data]


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


def robustness_chart(
    values,
    probs,
    flips,
    *,
    kind_label: str,
    class_names: list[str] | None = None,
    labels: dict | None = None,
    title: str | None = None,
    model_names: list[str] | None = None,
) -> go.Figure:
    """The ten class probabilities along a sweep (x = the transform's value, kind_label its axis title),
    one row per model on a shared x: probs (S, classes) with flips [(index, from, to)], or (M, S, classes)
    with one flips list per model. A dot marks the answer at each value, a class that is never the
    answer is faded, and a dashed line with "3→8" marks each flip, between the two values it lies in."""
    from html import escape  # a run's name is typed by a student: plain text, never plotly's HTML

    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2:
        p, flips = p[None], [flips]
    if len(flips) != len(p):
        raise ValueError(f"{len(p)} model(s) but {len(flips)} lists of flips")
    flips = [list(f) for f in flips]
    rows, _, k = p.shape
    names = [escape(str(n)) for n in (class_names or range(k))]
    gap = 0.1
    height = (1 - gap * (rows - 1)) / rows
    traces, shapes, notes, layout = [], [], [], {}
    for r in range(rows):
        axis = "" if r == 0 else str(r + 1)
        top = 1 - r * (height + gap)
        layout[f"yaxis{axis}"] = dict(
            domain=[max(0.0, top - height), min(1.0, top)],
            range=[0, 1.05],
            tickformat=".0%",
            title=_t(labels, "probability"),
        )
        layout[f"xaxis{axis}"] = dict(
            anchor=f"y{axis}",
            matches=None if r == 0 else "x",
            showticklabels=r == rows - 1,
            title=kind_label if r == rows - 1 else None,
        )
        answer = p[r].argmax(axis=1)
        for c in range(k):
            wins = answer == c
            traces.append(
                go.Scatter(
                    x=x,
                    y=p[r, :, c],
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                    name=names[c],
                    legendgroup=names[c],
                    showlegend=r == 0,
                    mode="lines+markers",
                    opacity=1.0 if wins.any() else 0.3,
                    line=dict(color=CLASS_COLOURS[c % len(CLASS_COLOURS)], width=3 if wins.any() else 1.5),
                    marker=dict(size=np.where(wins, 8, 0)),
                    hovertemplate=f"{names[c]}: %{{y:.1%}}<extra></extra>",
                )
            )
        for n, (i, a, b) in enumerate(flips[r]):
            mid = float(x[i - 1] + x[i]) / 2 if 0 < i < len(x) else float(x[min(i, len(x) - 1)])
            shapes.append(
                dict(
                    type="line",
                    name="flip",
                    x0=mid,
                    x1=mid,
                    y0=0,
                    y1=1,
                    xref=f"x{axis}",
                    yref=f"y{axis} domain",
                    line=dict(color="#555", width=1.5, dash="dash"),
                )
            )
            notes.append(
                dict(
                    name="flip",
                    text=f"{names[a]}→{names[b]}",
                    x=mid,
                    y=1,
                    xref=f"x{axis}",
                    yref=f"y{axis} domain",
                    yanchor="bottom",
                    yshift=-16 * (n % 2),  # neighbouring flips (noise) alternate heights to stay readable
                    showarrow=False,
                    bgcolor="rgba(255,255,255,0.8)",
                    font=dict(size=12),
                )
            )
        if model_names and r < len(model_names):
            notes.append(
                dict(
                    text=f"<b>{escape(str(model_names[r]))}</b>",
                    x=0,
                    y=top,
                    xref="paper",
                    yref="paper",
                    xanchor="left",
                    yanchor="bottom",
                    yshift=18,
                    showarrow=False,
                )
            )
    fig = go.Figure(data=traces)
    fig.update_layout(
        **layout,
        shapes=shapes,
        annotations=notes,
        title=title,
        legend=dict(title=_t(labels, "class")),
        hovermode="x unified",
        height=110 + 260 * rows + (40 if title else 0),
        margin=dict(l=10, r=10, t=(40 if title else 10) + (40 if model_names else 20), b=10),
    )
    return fig


# ---------------------------------------------------------------- explanations and the digit map

_SIGNED = [[0.0, "rgba(33,102,172,0.85)"], [0.5, "rgba(247,247,247,0)"], [1.0, "rgba(178,24,43,0.85)"]]
_MAGNITUDE = [[0.0, "rgba(255,140,0,0)"], [0.25, "rgba(255,140,0,0.25)"], [1.0, "rgba(255,40,0,0.95)"]]


def attribution_map(
    img: np.ndarray, attr: np.ndarray, *, signed: bool, title: str | None = None, labels: dict | None = None
) -> go.Figure:
    """A map of evidence over the digit it explains: the digit in grey, the map in colour on top
    (signed: red for, blue against; otherwise orange where it matters), with its scale."""
    attr = np.asarray(attr, np.float32)
    top = float(np.abs(attr).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=np.asarray(img), colorscale=GRAY, zmin=0, zmax=255, showscale=False, hoverinfo="skip"))
    fig.add_trace(go.Heatmap(
        z=attr, colorscale=_SIGNED if signed else _MAGNITUDE, zmin=-top if signed else 0, zmax=top,
        colorbar=dict(thickness=10, len=0.8, tickformat=".2g"),
        hovertemplate=f"{_t(labels, 'row')} %{{y}}, {_t(labels, 'column')} %{{x}}<br>"
                      f"{_t(labels, 'evidence')} %{{z:.3g}}<extra></extra>"))  # fmt: skip
    return _square(fig, title)


def digit_map(
    coords: np.ndarray,
    true: np.ndarray,
    predicted: np.ndarray,
    *,
    color_by: str = "true",
    star: tuple[float, float] | None = None,
    class_names: list[str] | None = None,
    title: str | None = None,
    labels: dict | None = None,
) -> go.Figure:
    """Test digits as points (WebGL, fast for thousands), a colour per class; mistakes drawn as crosses;
    the digit just drawn as a star. customdata is each point's index in the test set, for selection."""
    coords = np.asarray(coords, np.float32)
    true, predicted = np.asarray(true), np.asarray(predicted)
    names = class_names or [str(k) for k in range(10)]
    by = true if color_by == "true" else predicted
    wrong = true != predicted
    fig = go.Figure()
    for k in range(10):
        pick = np.flatnonzero((by == k) & ~wrong)
        fig.add_trace(go.Scattergl(
            x=coords[pick, 0], y=coords[pick, 1], mode="markers", name=names[k], customdata=pick,
            marker=dict(size=4, opacity=0.7),
            hovertemplate=f"{_t(labels, 'true')} {k}<extra>%{{customdata}}</extra>"))  # fmt: skip
    pick = np.flatnonzero(wrong)
    fig.add_trace(go.Scattergl(
        x=coords[pick, 0], y=coords[pick, 1], mode="markers", name=_t(labels, "mistake"), customdata=pick,
        marker=dict(size=8, symbol="x", color="black", line=dict(width=1)),
        text=[f"{true[i]}→{predicted[i]}" for i in pick],
        hovertemplate="%{text}<extra>%{customdata}</extra>"))  # fmt: skip
    if star is not None:
        fig.add_trace(go.Scattergl(
            x=[star[0]], y=[star[1]], mode="markers", name=_t(labels, "your_digit"), hoverinfo="name",
            marker=dict(size=22, symbol="star", color="gold", line=dict(width=2, color="black"))))  # fmt: skip
    axis = dict(showticklabels=False, zeroline=False)
    fig.update_layout(title=title, dragmode="lasso", legend=dict(itemsizing="constant"), xaxis=axis, yaxis=axis,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10))  # fmt: skip
    return fig
