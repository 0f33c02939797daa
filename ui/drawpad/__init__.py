"""The Draw page's pad: our own component on Streamlit's Components v2 (inline HTML, CSS and an ES module;
no iframe, no build step). Pointer events, so mouse, touch and pen all draw; the stroke is sent the moment
the pen lifts, as a small cropped picture (mnist_lab.padink); undo, clear, Esc clears, a brush width."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_lab import i18n, padink
from mnist_lab.images import ImageError

_HERE = Path(__file__).parent
_PAD = st.components.v2.component(
    "mnist_lab.pad",
    html=(_HERE / "pad.html").read_text(encoding="utf-8"),
    css=(_HERE / "pad.css").read_text(encoding="utf-8"),
    js=(_HERE / "pad.js").read_text(encoding="utf-8"),
)


def _changed() -> None:
    """A state value only reaches Python with a callback named after it (on_ink_change); the rerun is enough."""


def pad(tr: i18n.Translator, key: str = "pad") -> padink.Ink | None:
    """Mount the pad; what is drawn on it now (None when blank). A message the pad never sends is refused
    with a plain error, and the pad counts as blank."""
    labels = {k: tr(f"draw.pad.{k}") for k in ("undo", "clear", "brush", "hint", "pad")}
    result = _PAD(key=key, data={"labels": labels}, default={"ink": None}, on_ink_change=_changed, width="stretch")
    try:
        return padink.read_ink(result.get("ink"))
    except ImageError as e:
        st.error(f"{tr('common.bad_image')} {tr.error(e)}")
        return None
