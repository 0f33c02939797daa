"""The one workaround for Streamlit internals in MNIST Lab: Streamlit's older multipage mode.

A fresh Streamlit server that finds a `pages/` folder beside the main script starts in its older
multipage mode (`PagesManager.uses_pages_directory`, a class-wide flag that Streamlit's own code calls
"a relic of v1"): a link to a page, as the first visit of a fresh server, then runs that pages/ file on
its own, without app.py's frame (no st.navigation, no sidebar, English names). AppTest restarts that
mode at every run. The flag goes off only when st.navigation is called, and Streamlit has no setting
for it (1.67). The folder keeps its name (the project's layout names it), so a page that finds itself
run that way runs the frame here, in this same run (a rerun would lose the click that started it),
and stops. tests/test_legacy_pages.py fails when the internals this reads change.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

APP = str((Path(__file__).parent.parent / "app.py").resolve())


def in_legacy_mode() -> bool:
    return bool(PagesManager.uses_pages_directory)


def run_inside_the_frame() -> None:
    """Called by a page before it draws anything: nothing to do when app.py runs it (its st.navigation
    call has left the older mode); otherwise run app.py, which shows this page inside the frame."""
    if not in_legacy_mode():
        return
    PagesManager.uses_pages_directory = False
    runpy.run_path(APP, run_name="__main__")
    st.stop()
