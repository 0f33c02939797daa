"""The one workaround for Streamlit internals (ui/legacy_pages.py): these tests fail when what it reads
changes, and show that a page opened on its own still gets the frame."""

import inspect

from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_runner

from mnist_lab import i18n
from tests.helpers import goto, start
from ui import legacy_pages
from ui.pages import PAGES


def test_the_streamlit_internals_the_workaround_reads_are_still_there():
    """If one of these fails, Streamlit changed its older multipage mode: read ui/legacy_pages.py again
    (the workaround may no longer be needed, or may need another flag)."""
    assert "uses_pages_directory" in vars(PagesManager)
    # the older mode runs a pages/ file by itself when that flag is on...
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner.ScriptRunner)
    assert callable(script_runner._mpa_v1)
    # ...and st.navigation is what turns it off
    import streamlit.commands.navigation as navigation

    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation)


def test_a_page_run_on_its_own_is_shown_inside_the_frame(monkeypatch):
    """AppTest starts each run in the older mode, as a fresh server does for a link to a page: Streamlit
    then runs the page file by itself, and the page still comes with the frame's sidebar and title."""
    frames = []
    real = legacy_pages.runpy.run_path
    monkeypatch.setattr(legacy_pages.runpy, "run_path", lambda path, **kw: frames.append(path) or real(path, **kw))
    at = goto(start(), PAGES[2].file)
    assert not at.exception
    assert frames == [legacy_pages.APP]  # the page found itself alone and ran the frame, once
    assert legacy_pages.in_legacy_mode() is False  # the frame's st.navigation turned the older mode off
    assert at.sidebar.radio(key="_lang_radio").value == "en"
    assert at.title and at.title[0].value == i18n.t(f"{PAGES[2].texts}.title")
