"""MNIST Lab home page: what the lab is, dataset status and offline fix, device, the model in use."""
import streamlit as st

import ui
from mnist_lab import data, models, runs

tr = ui.setup("nav.home")

st.title(tr("home.title"))
st.markdown(tr("home.intro"))
with st.expander(tr("home.lesson_title"), expanded=True):
    st.markdown(tr("home.lesson"))

left, right = st.columns([3, 2], gap="large")

with left:
    st.subheader(tr("home.data_title"))
    for name in data.DATASETS:
        where = ui.dataset_location(name)
        if where:
            st.success(tr("home.data_found", name=tr(f"data.name.{name}"), where=where),
                       icon=":material/check_circle:")
        elif name == "mnist":
            ui.missing_data_message(name, tr)
        else:
            st.info(tr("home.fashion_missing"), icon=":material/info:")

    with st.expander(tr("home.upload_title"), expanded=ui.dataset_location("mnist") is None):
        st.markdown(tr("home.upload_help", root=str(data.resolve_root(None))))
        files = st.file_uploader(tr("home.upload_label"), accept_multiple_files=True, key="data_upload")
        if st.button(tr("home.upload_button"), disabled=not files, icon=":material/upload:"):
            try:
                with st.spinner(tr("home.upload_checking")):
                    where = data.import_files({f.name: f.getvalue() for f in files}, data.resolve_root(None))
            except data.DataFormatError as e:
                st.error(f"{tr('home.upload_bad')} {e}")
            except OSError as e:
                st.error(f"{tr('home.upload_write_failed')} {e}")
            else:
                st.cache_resource.clear()
                st.cache_data.clear()
                st.success(tr("home.upload_ok", where=str(where)))
        if ui.dataset_location("mnist") is None:
            st.caption(tr("home.download_help"))
            if st.button(tr("home.download_button"), icon=":material/download:"):
                try:
                    with st.spinner(tr("home.downloading")):
                        data.load_dataset("mnist", data.resolve_root(None), download=True)
                except data.DataNotFound:
                    st.error(tr("home.download_failed"))
                except data.DataFormatError as e:
                    st.error(f"{tr('common.data_unreadable')} {e}")
                else:
                    st.rerun()

with right:
    st.subheader(tr("home.device_title"))
    st.markdown(f":material/memory: **{ui.device_name()}**")
    st.caption(tr("home.device_gpu") if "CPU" not in ui.device_name() else tr("home.device_cpu"))

    st.subheader(tr("home.model_title"))
    card = ui.default_card()
    if runs.default_checkpoint().is_file():
        name = card.get("model")
        title = models.MODELS[name].title if name in models.MODELS else tr("model.default_label")
        acc = card.get("test_accuracy")
        st.markdown(tr("home.default_model", title=title))
        if isinstance(acc, (int, float)):
            st.metric(tr("home.default_accuracy"), f"{acc:.2%}")
        if card.get("description"):
            st.caption(str(card["description"]))
    else:
        st.info(tr("model.default_missing"), icon=":material/info:")
    choice = st.session_state.get("model_choice", ui.DEFAULT_MODEL)
    if choice != ui.DEFAULT_MODEL:
        st.markdown(tr("home.using_run", run=choice))
    st.page_link("pages/3_Train.py", label=tr("home.go_train"), icon=":material/model_training:")
