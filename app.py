"""MNIST Lab: `streamlit run app.py`. The frame around every page: the server process's one-time setup,
the session's language, the page list, the page config, the sidebar (language switch, student's name,
model in use), then the page's own title and introduction from the catalog. The pages in app_pages/ hold
only their content. (The folder is not called pages/: Streamlit would start in its older multipage mode, and
a fresh server's first visitor would see its own list of the files, in English, before the frame's.)"""

import streamlit as st

import ui

ui.server_setup()  # in the background: torch, the shipped model, the dataset
tr = ui.language()
page = st.navigation(ui.navigation(tr), expanded=True)  # over twelve pages Streamlit hides some behind "View more"
st.set_page_config(page_title=f"{page.title} · MNIST Lab", page_icon=":material/draw:", layout="wide")
info = ui.page_info(page)
# the title and introduction first: on a fresh server they are on screen while torch still loads
st.title(tr(f"{info.texts}.title"))
st.markdown(tr(f"{info.texts}.intro"))
ui.sidebar(tr)
page.run()
