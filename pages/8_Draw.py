"""Draw: write a digit, see the 28x28 image the model receives and what it answers."""

import time

import streamlit as st

import ui
from mnist_lab import evaluate, i18n, images, preprocess, recipe
from mnist_lab.charts import answers, digits

tr = ui.translator()
L = ui.labels()


def _clear() -> None:
    st.session_state["canvas_n"] = st.session_state.get("canvas_n", 0) + 1
    st.session_state.pop("drawn_digit", None)


@st.fragment
def pad_and_answer() -> None:
    """The canvas and the answer: a stroke reruns only this part, not the frame and the page around it."""
    pad_col, seen_col, answer_col = st.columns([3, 2, 3], gap="large")
    picture, source = None, "pad"
    with pad_col:
        brush = st.slider(tr("draw.brush"), 6, 40, 18)
        n = st.session_state.setdefault("canvas_n", 0)
        try:
            from streamlit_drawable_canvas import st_canvas

            drawing = st_canvas(
                stroke_width=brush,
                stroke_color="#FFFFFF",
                background_color="#000000",
                height=280,
                width=280,
                drawing_mode="freedraw",
                return_image_data=True,
                key=f"canvas_{n}",
            )
            picture = drawing.image_data
        except Exception as e:  # noqa: BLE001 -- the canvas component missing or broken: the upload below still works
            st.warning(f"{tr('draw.no_canvas')} ({type(e).__name__})")
        # a fresh key empties the canvas and the photo uploader alike
        st.button(tr("draw.clear"), icon=":material/ink_eraser:", on_click=_clear)
        with st.expander(tr("draw.upload_title")):
            up = st.file_uploader(
                tr("draw.upload"), type=["png", "jpg", "jpeg", "gif", "bmp", "webp"], key=f"draw_upload_{n}"
            )
            if up is not None:
                try:
                    picture, source = images.decode_image(up.getvalue(), "RGBA"), "photo"
                except images.ImageError as e:
                    ui.error(tr, "common.bad_image", e)

    t_start = time.perf_counter()
    prepared = preprocess.prepare_digit(picture, source) if picture is not None else None
    with seen_col:
        st.markdown(f"**{tr('draw.seen_title')}**")
        if prepared is None or prepared.image is None:
            reason = prepared.reason if prepared is not None else "blank"
            if source == "photo":  # the photo itself has no usable digit: say so, not "draw one"
                st.warning(tr(f"reason.{reason}"), icon=":material/image_not_supported:")
            else:
                st.info(tr(f"reason.{reason}") + " " + tr("draw.empty_hint"), icon=":material/gesture:")
        else:
            st.session_state["drawn_digit"] = prepared.image
            ui.chart(digits.digit_heatmap(prepared.image, labels=L, show_values=False), "draw_seen", height=280)
            st.caption(tr("draw.seen_hint"))

    with answer_col:
        st.markdown(f"**{tr('draw.answer_title')}**")
        loaded = ui.current_model(tr)
        if loaded is not None and prepared is not None and prepared.image is not None:
            model, meta, _ = loaded
            classes = i18n.class_names(meta.dataset, tr.lang)
            probs = evaluate.predict_proba(model, prepared.image[None], meta.normalize, meta.pad)[0]
            best = int(probs.argmax())
            st.metric(
                tr("draw.prediction"),
                classes[best],
                tr("draw.confidence", conf=f"{probs[best]:.1%}"),
                delta_color="off",
                delta_arrow="off",
            )
            if meta.dataset == "mnist":  # a clothes model's answer is no label for a digit
                ui.add_to_class(tr, picture=picture, prepared=prepared, source=source, probs=probs,
                                student=ui.student())  # fmt: skip
            bars = answers.probability_bar(probs, classes, labels=L).update_layout(margin=dict(t=20, b=10))
            ui.chart(bars, "draw_probs", height=240)
            if evaluate.unsure(probs):
                st.caption(tr("draw.unsure"))
            ms = (time.perf_counter() - t_start) * 1000
            st.caption(tr("draw.timing", ms=f"{ms:.0f}"), help=tr("draw.timing_help"))
            c1, c2 = st.columns(2)
            if c1.button(tr("draw.to_explain"), icon=":material/psychology_alt:", key="draw_to_explain"):
                ui.look_at(ui.page("explain"), "drawn")
            if c2.button(tr("draw.to_feature_maps"), icon=":material/layers:", key="draw_to_fm"):
                ui.look_at(ui.page("feature_maps"), "drawn")
    if prepared is not None and prepared.image is not None:
        with st.expander(tr("draw.stages_title"), icon=":material/photo_filter:"):
            for col, (key, stage) in zip(st.columns(len(recipe.STAGES)), prepared.shown_stages()):
                col.image(images.stage_picture(stage), caption=tr(f"draw.stage.{key}"), width="stretch")


pad_and_answer()
