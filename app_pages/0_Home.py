"""Home: a card for each page (a small picture, its name, one line), how to use the lab in a lesson, the
dataset (and how to add it offline), device, the model in use."""

import streamlit as st

import ui
from mnist_lab import data, i18n
from mnist_lab.charts import answers

CARDS_PER_ROW = 4

tr = ui.translator()
pictures = ui.home_pictures()
cards = ui.PAGES[1:]  # Home needs no card of its own
with st.container(key="home_cards"):
    for start in range(0, len(cards), CARDS_PER_ROW):
        for col, p in zip(st.columns(CARDS_PER_ROW), cards[start : start + CARDS_PER_ROW]):
            with col.container(border=True):
                st.image(pictures[p.nav], width="stretch")
                st.page_link(p.file, label=tr(f"nav.{p.nav}"), icon=p.icon)
                st.caption(tr(f"home.card.{p.nav}"))
with st.expander(tr("home.lesson_title")):
    st.markdown(tr("home.lesson"))

left, right = st.columns([3, 2], gap="large")

with left:
    st.subheader(tr("home.data_title"))
    for name in data.DATASETS:
        where = ui.dataset_location(name)
        if where:
            st.success(tr("home.data_found", name=tr(f"data.name.{name}")), icon=":material/check_circle:")
        elif name == "mnist":
            ui.missing_data_message(name, tr, link=False)
        else:
            st.info(tr("home.fashion_missing"), icon=":material/info:")

    if "_imported" in st.session_state:  # set just before the rerun that shows the new status
        st.success(tr("home.upload_ok", where=st.session_state.pop("_imported")), icon=":material/upload:")
    with st.expander(tr("home.upload_title"), expanded=ui.dataset_location("mnist") is None):
        st.markdown(tr("home.upload_help", root=str(data.resolve_root(None))))
        files = st.file_uploader(tr("home.upload_label"), accept_multiple_files=True, key="data_upload")
        if st.button(tr("home.upload_button"), disabled=not files, icon=":material/upload:"):
            try:
                with st.spinner(tr("home.upload_checking")):
                    where = data.import_files({f.name: f.getvalue() for f in files}, data.resolve_root(None))
            except data.DataFormatError as e:
                ui.error(tr, "home.upload_bad", e)
            except OSError as e:
                st.error(f"{tr('home.upload_write_failed')} {e}")
            else:
                ui.forget_datasets()
                st.session_state["_imported"] = str(where)
                st.rerun()
        if ui.dataset_location("mnist") is None:
            st.caption(tr("home.download_help"))
            if st.button(tr("home.download_button"), icon=":material/download:"):
                try:
                    with st.spinner(tr("home.downloading")):
                        data.load_dataset("mnist", data.resolve_root(None), download=True)
                except data.DataNotFound:
                    st.error(tr("home.download_failed"))
                except data.DataFormatError as e:
                    ui.error(tr, "common.data_unreadable", e)
                else:
                    st.rerun()

with right:
    st.subheader(tr("home.device_title"))
    device = ui.device_name()
    st.markdown(f":material/memory: **{tr.device(device)}**")
    st.caption(tr("home.device_cpu") if device.startswith("CPU") else tr("home.device_gpu"))

# the model in use: its metrics across the page's width (in a side column "99.63%" was cut short)
st.subheader(tr("home.model_title"))
card = ui.default_model_card()
if card:
    st.markdown(tr("home.default_model", title=ui.model_title(str(card.get("model")), tr)))
    m1, m2, m3 = st.columns(3)
    for col, key, label in (
        (m1, "test_accuracy", "home.default_accuracy"),
        (m2, "redrawn_canvas_accuracy", "home.canvas_accuracy"),
        (m3, "redrawn_photo_accuracy", "home.photo_accuracy"),
    ):
        if isinstance(card.get(key), (int, float)):
            col.metric(tr(label), f"{card[key]:.2%}", help=tr(f"{label}_help"))
    shipped = ui.load_choice(ui.DEFAULT_MODEL, tr) if ui.dataset_location("mnist") else None
    result = ui.evaluation(shipped[2], shipped[1], tr) if shipped else None
    if result is not None:  # also brings plotly's JavaScript into the browser: the next page's charts come at once
        ev, _ = result
        classes = i18n.class_names(shipped[1].dataset, tr.lang)
        st.markdown(f"**{tr('mistakes.errors_title')}**")
        ui.chart(ui.figure(answers.class_errors, ev.confusion, classes, labels=ui.labels(), height=260), "home_errors")
    if card.get("command"):
        with st.expander(tr("home.card_title")):
            st.caption(
                tr(
                    "home.card_line",
                    epochs=card.get("epochs", "?"),
                    device=tr.device(card.get("trained_on")) or "?",
                    date=card.get("date", "?"),
                    seconds=i18n.duration(card.get("train_seconds")),
                )
            )
            st.code(card["command"], language="bash")
else:
    st.info(tr("model.default_missing"), icon=":material/info:")
choice = st.session_state.get("model_choice", ui.DEFAULT_MODEL)
if choice != ui.DEFAULT_MODEL:
    st.markdown(tr("home.using_run", run=choice))
st.page_link(ui.page("train"), label=tr("home.go_train"), icon=":material/model_training:")
