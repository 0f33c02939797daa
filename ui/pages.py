"""The pages in lesson order, their sidebar entries and their addresses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from mnist_lab import i18n


class PageInfo(NamedTuple):
    file: str
    nav: str  # its sidebar label: the nav.* key
    texts: str  # prefix of its catalog texts: {texts}.title, {texts}.intro
    icon: str
    section: str  # nav.section.* key; "" for none

    @property
    def url(self) -> str:
        """Its address: the file name without its number ('app_pages/8_Draw.py' -> 'Draw')."""
        return re.sub(r"^\d+_", "", Path(self.file).stem)


PAGES = [  # in lesson order
    PageInfo("app_pages/0_Home.py", "home", "home", ":material/home:", ""),
    PageInfo("app_pages/1_Dataset.py", "dataset", "dataset", ":material/grid_view:", "data"),
    PageInfo("app_pages/2_Filters.py", "filters", "filters", ":material/blur_on:", "data"),
    PageInfo("app_pages/12_Our_Digits.py", "our_digits", "ours", ":material/photo_library:", "data"),
    PageInfo("app_pages/3_Train.py", "train", "train", ":material/model_training:", "training"),
    PageInfo("app_pages/4_Class_Board.py", "board", "board", ":material/leaderboard:", "training"),
    PageInfo("app_pages/5_Teacher.py", "teacher", "teacher", ":material/school:", "training"),
    PageInfo("app_pages/6_Mistakes.py", "mistakes", "mistakes", ":material/error:", "model"),
    PageInfo("app_pages/7_Feature_Maps.py", "feature_maps", "fm", ":material/layers:", "model"),
    PageInfo("app_pages/8_Draw.py", "draw", "draw", ":material/draw:", "model"),
    PageInfo("app_pages/9_Explain.py", "explain", "explain", ":material/psychology_alt:", "model"),
    PageInfo("app_pages/10_Digit_Map.py", "digit_map", "dmap", ":material/scatter_plot:", "model"),
    PageInfo("app_pages/11_Robustness.py", "robustness", "robust", ":material/tune:", "model"),
]


def navigation(tr: i18n.Translator) -> dict[str, list]:
    """The pages for st.navigation, grouped in translated sections. Made once per session and language: a
    st.Page reads its file's path and hashes it, 13 of them at every run and fragment run was 5% of the
    server's time under a class. Not shared between sessions: st.navigation marks, on the object, the
    page a run may call."""
    made = st.session_state.get("_nav_pages")
    if made is not None and made[0] == tr.lang:
        return made[1]
    sections: dict[str, list] = {}
    for p in PAGES:
        title = tr(f"nav.section.{p.section}") if p.section else ""
        default = p is PAGES[0]
        page = st.Page(
            p.file, title=tr(f"nav.{p.nav}"), icon=p.icon, url_path=None if default else p.url, default=default
        )
        sections.setdefault(title, []).append(page)
    st.session_state["_nav_pages"] = (tr.lang, sections)
    return sections


def page_info(page) -> PageInfo:
    return next((p for p in PAGES if p.url == page.url_path), PAGES[0])  # the default page's path is ""


def page(nav: str) -> str:
    """The file of the page with this nav key ('draw' -> 'app_pages/8_Draw.py'), for st.page_link and
    st.switch_page: a page's file is written once, in PAGES."""
    return next(p.file for p in PAGES if p.nav == nav)
