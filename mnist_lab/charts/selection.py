"""What a click or a lasso on a chart sends back (st.plotly_chart(..., on_select="rerun")): the
customdata of the points selected."""

from __future__ import annotations


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


def selected_indices(points: list[dict]) -> list[int]:
    """The index that each selected point carries as its customdata (as the digit map's do), sorted,
    each once; a point without one (the star of the digit just drawn) is left out."""
    return sorted({int(p["customdata"]) for p in points if isinstance(p.get("customdata"), (int, float))})
