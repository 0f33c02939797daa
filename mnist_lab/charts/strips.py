"""Pictures to take in at a glance: a network's layers side by side in one strip (CNN Explainer's overview,
a click on a layer opens it), and the small pictures on Home's cards (RGB arrays, no plotly)."""

from __future__ import annotations

import cv2
import numpy as np
import plotly.graph_objects as go

from .style import ACCENT, CLASS_COLOURS, GRAY, _t

# Left out of the strip unless asked: normalisation and activations change the numbers, not what a map
# shows of the digit, and flatten and dropout (at test time) change nothing at all
QUIET_KINDS = frozenset(
    {
        "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm2d", "LocalResponseNorm",
        "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax",
        "Flatten", "Dropout", "Dropout2d", "Identity",
    }
)  # fmt: skip
TILE = 28  # a map's side in the strip, in cells: every map is enlarged or shrunk to it, as CNN Explainer does
GAP, COLUMN_GAP, VECTOR = 3, 10, 10  # cells between maps, between layers; a vector's width


def strip_layers(acts: list[tuple[str, str, np.ndarray]], everything: bool = False) -> list[str]:
    """The names of the layers the strip shows, in model order: every one with everything, else those
    that change what the digit looks like (convolutions, pooling, linear layers)."""
    return [name for name, kind, _ in acts if everything or kind not in QUIET_KINDS]


def _fit(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Nearest-neighbour resize: every cell keeps one value, so a 5x5 map still shows its 25 cells."""
    a = np.asarray(a, np.float32)
    r = np.arange(rows) * a.shape[0] // rows
    c = np.arange(cols) * a.shape[1] // cols
    return a[r][:, c]


def _unit(a: np.ndarray) -> np.ndarray:
    """0..1, on its own scale (a flat map is all 0)."""
    low, high = float(np.min(a)), float(np.max(a))
    return (a - low) / (high - low) if high > low else np.zeros_like(a, np.float32)


def layer_strip(
    img: np.ndarray,
    acts: list[tuple[str, str, np.ndarray]],
    shown: list[str],
    *,
    selected: str | None = None,
    per_layer: int = 4,
    labels: dict | None = None,
) -> go.Figure:
    """The digit, then one column per layer in `shown`: its first `per_layer` maps, each on its own scale
    and brought to one size, or a vector (a linear layer's output, or 1x1 maps) as a bar of cells. The
    selected layer is framed; a click on a column selects its layer (customdata: [name])."""
    height = per_layer * TILE + (per_layer - 1) * GAP
    columns, x = [], 0  # (name, kind, shape, left, width, block)
    side = min(height, 2 * TILE)
    digit = np.full((height, side), np.nan, np.float32)
    top = (height - side) // 2
    digit[top : top + side] = _fit(img, side, side)
    columns.append(("", "", tuple(np.shape(img)), x, side, digit))
    x += side + COLUMN_GAP
    for name, kind, act in acts:
        if name not in shown:
            continue
        act = np.asarray(act, np.float32)
        block = np.full((height, TILE), np.nan, np.float32)
        if act.ndim == 3 and act.shape[1] * act.shape[2] > 1:
            for k, m in enumerate(act[:per_layer]):
                y = k * (TILE + GAP)
                block[y : y + TILE] = _fit(_unit(m), TILE, TILE)
        else:  # a vector: one cell per unit, from top to bottom, in the middle of a map's width (room for its name)
            left = (TILE - VECTOR) // 2
            block[:, left : left + VECTOR] = _fit(_unit(act.reshape(-1))[:, None], height, VECTOR)
        columns.append((name, kind, act.shape, x, block.shape[1], block))
        x += block.shape[1] + COLUMN_GAP
    z = np.full((height, x - COLUMN_GAP), np.nan, np.float32)
    for _, _, _, left, width, block in columns:
        z[:, left : left + width] = block
    grey = np.full_like(z, np.nan)
    grey[:, : columns[0][4]] = digit
    z[:, : columns[0][4]] = np.nan
    fig = go.Figure(go.Heatmap(z=z, colorscale="Viridis", zmin=0, zmax=1, showscale=False, hoverinfo="skip"))
    fig.add_trace(go.Heatmap(z=grey, colorscale=GRAY, zmin=0, zmax=255, showscale=False, hoverinfo="skip"))
    # invisible markers down each column catch the hover and the click anywhere on it
    xs, ys, data, hover = [], [], [], []
    for name, kind, shape, left, width, _ in columns[1:]:
        for y in np.arange(TILE / 2, height, TILE / 2):
            xs.append(left + (width - 1) / 2)
            ys.append(y)
            data.append([name])
            hover.append(f"{name} · {kind} · {' × '.join(map(str, shape))}")
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="markers", customdata=data, text=hover, hovertemplate="%{text}<extra></extra>",
            marker=dict(size=TILE, opacity=0, symbol="square"), showlegend=False,
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[left + (width - 1) / 2 for _, _, _, left, width, _ in columns],
            y=[height + 1] * len(columns),
            mode="text",
            text=[name or _t(labels, "input") for name, *_ in columns],
            textposition="bottom center",
            textfont=dict(size=13 if len(columns) <= 12 else 12),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for name, _, _, left, width, _ in columns[1:]:
        if name == selected:
            fig.add_shape(
                type="rect", x0=left - 3.5, x1=left + width + 2.5, y0=-3.5, y1=height + 9,
                line=dict(color=ACCENT, width=3),
            )  # fmt: skip
    axis = dict(visible=False, showgrid=False, zeroline=False)
    fig.update_layout(
        xaxis=dict(axis, range=[-5, x - COLUMN_GAP + 4]),
        yaxis=dict(axis, autorange="reversed", scaleanchor="x", scaleratio=1, range=[height + 12, -5]),
        margin=dict(l=0, r=0, t=0, b=0),
        # as tall as the strip is at the ~820 px a wide page gives it beside the sidebar
        height=int(np.clip(820 * (height + 17) / (x - COLUMN_GAP + 9), 140, 420)),
        plot_bgcolor="rgba(0,0,0,0)",
        clickmode="event+select",
        dragmode=False,
        hoverdistance=-1,
    )
    return fig


def _bare(fig: go.Figure) -> go.Figure:
    """No axes, no scale, no margins: a picture that fills a narrow column."""
    fig.update_traces(showscale=False, selector=dict(type="heatmap"))
    return fig.update_layout(xaxis_visible=False, yaxis_visible=False, margin=dict(l=0, r=0, t=0, b=0))


def digit_tile(img: np.ndarray, *, labels: dict | None = None) -> go.Figure:
    """One digit as large as its column allows (digits.digit_heatmap without axes or pixel numbers)."""
    from .digits import digit_heatmap

    return _bare(digit_heatmap(img, labels=labels, show_values=False))


def evidence_tile(img: np.ndarray, attr: np.ndarray, *, signed: bool, labels: dict | None = None) -> go.Figure:
    """A map of evidence over its digit (maps.attribution_map) without axes or scale, to sit in a row of
    maps beside the digit: the colours' meaning is said once, beside the row."""
    from .maps import attribution_map

    return _bare(attribution_map(img, attr, signed=signed, labels=labels))


# ---------------------------------------------------------------- Home's card pictures (RGB uint8 arrays)

SIZE = (120, 200)  # height, width: a card's picture, drawn at the size it is shown
BACKGROUND = (246, 246, 248)


def _canvas(colour=BACKGROUND) -> np.ndarray:
    return np.full((*SIZE, 3), colour, np.uint8)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _grey(img: np.ndarray, side: int) -> np.ndarray:
    """A uint8 digit as an RGB tile of side x side, smoothly enlarged."""
    tile = cv2.resize(np.asarray(img, np.uint8), (side, side), interpolation=cv2.INTER_LINEAR)
    return np.repeat(tile[:, :, None], 3, axis=2)


def _viridis(values: np.ndarray) -> np.ndarray:
    """0..1 values as RGB, Viridis (the feature maps' colours)."""
    lut = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_VIRIDIS)[:, 0, ::-1]
    return lut[np.clip(np.nan_to_num(values) * 255, 0, 255).astype(np.uint8)]


def _paste(canvas: np.ndarray, tile: np.ndarray, y: int, x: int) -> None:
    h, w = tile.shape[:2]
    canvas[y : y + h, x : x + w] = tile


def _row(tiles: list[np.ndarray], colour=BACKGROUND, gap: int = 6) -> np.ndarray:
    """Tiles in one row, centred both ways."""
    canvas = _canvas(colour)
    x = (SIZE[1] - sum(t.shape[1] for t in tiles) - (len(tiles) - 1) * gap) // 2
    for t in tiles:
        _paste(canvas, t, (SIZE[0] - t.shape[0]) // 2, x)
        x += t.shape[1] + gap
    return canvas


def digits_card(images: np.ndarray, rows: int = 3, cols: int = 5) -> np.ndarray:
    """Digits tiled on black, as the Dataset page shows them."""
    canvas = _canvas((0, 0, 0))
    side = min((SIZE[0] - 2) // rows, (SIZE[1] - 2) // cols) - 2
    y0, x0 = (SIZE[0] - rows * (side + 2)) // 2, (SIZE[1] - cols * (side + 2)) // 2
    for i, img in enumerate(images[: rows * cols]):
        _paste(canvas, _grey(img, side), y0 + (i // cols) * (side + 2), x0 + (i % cols) * (side + 2))
    return canvas


def ours_card(images: np.ndarray) -> np.ndarray:
    """Digits in frames of many colours: the class's own, each by someone."""
    canvas = _canvas()
    for i, img in enumerate(images[:8]):
        y, x = 12 + (i // 4) * 52, 16 + (i % 4) * 44
        cv2.rectangle(canvas, (x - 3, y - 3), (x + 42, y + 42), _rgb(CLASS_COLOURS[i % 10]), -1)
        _paste(canvas, _grey(img, 40), y, x)
    return canvas


def edges_card(img: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """A digit and its edges (the Sobel magnitude), side by side."""
    e = np.asarray(edges, np.float32)
    e = (255 * e / max(float(e.max()), 1e-6)).astype(np.uint8)
    return _row([_grey(img, 96), _grey(e, 96)])


def maps_card(img: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """A digit, then a few of the feature maps a layer makes of it."""
    canvas = _canvas()
    _paste(canvas, _grey(img, 64), (SIZE[0] - 64) // 2, 12)
    for k, m in enumerate(np.asarray(maps)[:4]):  # two by two
        _paste(canvas, _viridis(_fit(_unit(m), 46, 46)), 12 + (k // 2) * 50, 104 + (k % 2) * 50)
    cv2.arrowedLine(canvas, (80, SIZE[0] // 2), (98, SIZE[0] // 2), (120, 120, 120), 2, cv2.LINE_AA, tipLength=0.4)
    return canvas


def evidence_card(img: np.ndarray) -> np.ndarray:
    """A digit with a warm glow where its ink is (a picture of an evidence map, not a computed one)."""
    tile = _grey(img, 100).astype(np.float32)
    glow = cv2.GaussianBlur(np.asarray(img, np.float32), (0, 0), 2.5)
    glow = cv2.resize(glow / max(float(glow.max()), 1e-6), (100, 100))[:, :, None]
    red = np.array(_rgb(ACCENT), np.float32)
    tile = (tile * (1 - 0.6 * glow) + red * 0.6 * glow).astype(np.uint8)
    return _row([tile])


def confusion_card(labels: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """A 10x10 confusion matrix on a log scale, so the few mistakes show beside the diagonal."""
    cm = np.zeros((10, 10), np.float64)
    np.add.at(cm, (np.asarray(labels, int), np.asarray(answers, int)), 1)
    shade = np.log1p(cm) / max(float(np.log1p(cm).max()), 1e-6)
    blues = np.array([247, 251, 255], np.float32) * (1 - shade[..., None]) + np.array([8, 48, 107]) * shade[..., None]
    tile = cv2.resize(blues.astype(np.uint8), (100, 100), interpolation=cv2.INTER_NEAREST)
    return _row([tile])


def scatter_card(coords: np.ndarray, labels: np.ndarray, most: int = 1500) -> np.ndarray:
    """Points coloured by class (the digit map)."""
    canvas = _canvas((255, 255, 255))
    xy = np.asarray(coords, np.float32)[:most]
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high > low, high - low, 1)
    px = 8 + (xy - low) / span * (np.array([SIZE[1], SIZE[0]]) - 16)
    for (x, y), k in zip(px.astype(int), np.asarray(labels)[:most]):
        cv2.circle(canvas, (int(x), int(y)), 2, _rgb(CLASS_COLOURS[int(k) % 10]), -1, cv2.LINE_AA)
    return canvas


def sweep_card(images: list[np.ndarray]) -> np.ndarray:
    """A digit changed step by step, in a row."""
    side = min(56, (SIZE[1] - 6 * (len(images) - 1)) // len(images))
    return _row([_grey(img, side) for img in images])


def curves_card() -> np.ndarray:
    """A falling loss and a rising accuracy (a picture of training, not a run's numbers)."""
    canvas = _canvas((255, 255, 255))
    t = np.linspace(0, 1, 60)
    for y, colour in ((0.15 + 0.8 * np.exp(-5 * t), "#8da0cb"), (0.95 - 0.85 * np.exp(-6 * t), ACCENT)):
        pts = np.stack([10 + t * (SIZE[1] - 20), SIZE[0] - 10 - y * (SIZE[0] - 20)], axis=1).astype(np.int32)
        cv2.polylines(canvas, [pts], False, _rgb(colour), 3, cv2.LINE_AA)
    return canvas


def bars_card(values=(0.99, 0.985, 0.97, 0.95, 0.91)) -> np.ndarray:
    """Runs ranked by accuracy, best first (the class board)."""
    canvas = _canvas((255, 255, 255))
    for k, v in enumerate(values):
        y = 12 + k * 20
        cv2.rectangle(canvas, (14, y), (14 + int((SIZE[1] - 28) * v), y + 14), _rgb(CLASS_COLOURS[k]), -1)
    return canvas


def rows_card(states=("#2ca02c", "#2ca02c", ACCENT, "#bbbbbb", "#bbbbbb")) -> np.ndarray:
    """A list of runs with their states (the teacher's table)."""
    canvas = _canvas((255, 255, 255))
    for k, colour in enumerate(states):
        y = 12 + k * 20
        cv2.circle(canvas, (22, y + 7), 6, _rgb(colour), -1, cv2.LINE_AA)
        cv2.rectangle(canvas, (36, y + 3), (SIZE[1] - 14 - 20 * (k % 3), y + 11), (210, 210, 215), -1)
    return canvas


def pad_card(img: np.ndarray) -> np.ndarray:
    """A digit on the black pad, beside the 28x28 picture the model receives."""
    return _row([_grey(img, 100), _grey(cv2.resize(np.asarray(img, np.uint8), (28, 28)), 56)], gap=14)


def glyphs(text: str = "0123456789", thickness: int = 3) -> np.ndarray:
    """Digits written in a plain font, 28x28 uint8 each, white on black, made 28x28 as MNIST's were (the pad
    path of prepare_digit): pictures for Home when no dataset is installed."""
    from ..preprocess import prepare_digit

    out = np.zeros((len(text), 28, 28), np.uint8)
    for i, ch in enumerate(text):
        big = np.zeros((112, 112), np.uint8)
        cv2.putText(big, ch, (30, 92), cv2.FONT_HERSHEY_SIMPLEX, 3, 255, thickness * 4, cv2.LINE_AA)
        out[i] = prepare_digit(big, "pad").image
    return out
