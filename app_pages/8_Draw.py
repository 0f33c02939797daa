"""Draw: write a digit, see the 28x28 image the model receives and what it answers."""

import numpy as np
import streamlit as st

import ui
from mnist_lab import evaluate, i18n, images, preprocess, recipe
from mnist_lab.charts import answers

tr = ui.translator()
L = ui.labels()
BLANK = np.zeros((28, 28), np.float32)


def _picture():
    """What to read: the pad's ink or an uploaded photo of a digit, whichever changed last (a stroke after
    a photo is answered, and a new photo after strokes). The uploader is below, outside the fragment: its
    value is read from the session, where it stays while a stroke reruns the fragment alone."""
    ink = ui.pad(tr)
    ss = st.session_state
    up = ss.get("draw_upload")
    if ink is not None and ink.n != ss.get("_pad_n"):
        ss["_pad_n"], ss["_draw_from"] = ink.n, "pad"
        if ink.picture is None:  # emptied on the pad: the pages after Draw forget the digit too
            ss.pop("drawn_digit", None)
    up_id = up.file_id if up is not None else None
    if up_id != ss.get("_photo_id"):
        ss["_photo_id"], ss["_draw_from"] = up_id, "photo" if up is not None else "pad"
    if up is not None and ss.get("_draw_from") == "photo":
        try:
            return images.decode_image(up.getvalue(), "RGBA"), "photo"
        except images.ImageError as e:
            ui.error(tr, "common.bad_image", e)
            return None, "pad"
    return (ink.picture, "pad") if ink is not None else (None, "pad")


@st.fragment
def pad_and_answer() -> None:
    """The pad and the answer: a stroke reruns only this part, and it holds only what a stroke changes (each
    element is work for the server and the browser at every stroke); the charts keep their keys."""
    pad_col, answer_col = st.columns(2, gap="medium")
    with pad_col:
        picture, source = _picture()
        # a toggle, not an expander: an expander's pictures are made and fetched at every stroke, even closed
        stages = st.toggle(tr("draw.stages_title"), key="draw_stages")
    prepared = preprocess.prepare_digit(picture, source) if picture is not None else None
    with answer_col:
        loaded = ui.current_model(tr)  # before any digit: a model that cannot be used says so at once
        if loaded is None:
            return
        model, meta, _ = loaded
        classes = i18n.class_names(meta.dataset, tr.lang)
        read = prepared is not None and prepared.image is not None
        probs = evaluate.predict_proba(model, prepared.image[None], meta.normalize, meta.pad)[0] if read else None
        # the same elements before the first stroke as after it: the chart is there (and plotly loaded) when
        # the first answer comes, and every answer updates it in place
        with st.container(key="draw_answer" if read else "draw_waiting"):  # the frame's style makes it large
            said, seen = st.columns([3, 2], vertical_alignment="center")
            if read:
                best = int(probs.argmax())
                conf = tr("draw.confidence", conf=f"{probs[best]:.0%}")
                said.metric(tr("draw.prediction"), classes[best], conf, delta_color="off", delta_arrow="off")
            else:
                said.markdown("?")
            seen.image(
                images.stage_picture(prepared.image / 255 if read else BLANK, 112), caption=tr("draw.seen_title")
            )
        bars = answers.probability_bar(probs if read else np.zeros(len(classes)), classes, labels=L)
        ui.chart(bars, "draw_probs", height=220)
        if not read:
            reason = prepared.reason if prepared is not None else "blank"
            if source == "photo":  # the photo itself has no usable digit: say so, not "draw one"
                st.warning(tr(f"reason.{reason}"), icon=":material/image_not_supported:")
            else:
                st.info(tr(f"reason.{reason}") + " " + tr("draw.empty_hint"), icon=":material/gesture:")
            return
        st.session_state["drawn_digit"] = prepared.image
        if evaluate.unsure(probs):
            st.caption(tr("draw.unsure"))
        if meta.dataset == "mnist":  # a clothes model's answer is no label for a digit
            ui.add_to_class(tr, picture=picture, prepared=prepared, source=source, probs=probs, student=ui.student())
    if stages:
        st.caption(tr("draw.seen_hint"))
        for col, (key, stage) in zip(st.columns(len(recipe.STAGES)), prepared.shown_stages()):
            col.image(images.stage_picture(stage), caption=tr(f"draw.stage.{key}"), width="stretch")


def photo_and_next() -> None:
    """Under the pad, the photo uploader; under the answer, where to look next. They do not change with a
    stroke, so they are outside the fragment; a photo, or a click, reruns the page."""
    photo_col, next_col = st.columns(2, gap="medium")
    with photo_col.expander(tr("draw.upload_title"), icon=":material/photo_camera:"):
        st.file_uploader(tr("draw.upload"), type=["png", "jpg", "jpeg", "gif", "bmp", "webp"], key="draw_upload")
    for label, icon, page, key in (
        ("draw.to_explain", ":material/psychology_alt:", "explain", "draw_to_explain"),
        ("draw.to_feature_maps", ":material/layers:", "feature_maps", "draw_to_fm"),
    ):
        if next_col.button(tr(label), icon=icon, key=key, width="stretch"):
            if "drawn_digit" in st.session_state:
                ui.look_at(ui.page(page), "drawn")
            next_col.info(tr("draw.empty_hint"), icon=":material/gesture:")


pad_and_answer()
photo_and_next()
