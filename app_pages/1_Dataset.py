"""Dataset: browse samples, look at one digit's pixels, class counts, mean images, normalisation."""

import streamlit as st

import ui
from mnist_lab import data, i18n
from mnist_lab.charts import digits

PAGE = 64  # samples per page: 8 rows of 8

tr = ui.translator()
L = ui.labels()

names = ui.available_datasets()
if not names:
    ui.missing_data_message("mnist", tr)
    st.stop()


def _reseed(seed: int | None) -> None:
    """Shuffle (None: a new order) or back to the files' order (0); a callback, so the grid above the
    buttons is drawn in the new order in the same run."""
    st.session_state["ds_seed"] = st.session_state.get("ds_seed", 0) + 1 if seed is None else seed


# one row of choices; the rest of the controls sit under the pictures they change
many = len(names) > 1  # a choice of one dataset is no choice: the box appears with a second dataset
c = st.columns([3, 2, 2] if many else [2, 2, 3], vertical_alignment="bottom")
name = c[0].selectbox(tr("dataset.which"), names, format_func=lambda n: tr(f"data.name.{n}")) if many else names[0]
ds = ui.dataset(name, tr)
if ds is None:
    st.stop()
where = ui.dataset_location(name) or ""
classes = i18n.class_names(name, tr.lang)
split_name = (
    c[1 if many else 0].segmented_control(
        tr("dataset.split"), ["train", "test"], default="train", format_func=lambda s: tr(f"dataset.split.{s}")
    )
    or "train"
)
cls = c[2 if many else 1].selectbox(
    tr("dataset.class_filter"),
    [None, *range(10)],
    format_func=lambda k: tr("common.all") if k is None else i18n.class_label(name, k, tr.lang),
)
seed = st.session_state.setdefault("ds_seed", 0)

split = ds.split(split_name)
pool = data.browse(split, cls, seed)
pages = data.page_count(len(pool), PAGE)
page_key = f"ds_page_{name}_{split_name}_{cls}_{seed}"
page = min(int(st.session_state.get(page_key, 1)), pages)  # its box is under the grid
shown = data.page_of(pool, page, PAGE)

grid_col, detail_col = st.columns(2, gap="large")
with grid_col:
    fig = ui.figure(
        digits.sample_grid,
        split.images[shown].numpy(),
        [str(int(split.labels[i])) for i in shown],
        indices=shown.tolist(),
        cols=8,
        labels=L,
        height=400,
    )
    event = ui.chart(fig, f"ds_grid_{name}_{split_name}", on_select="rerun", selection_mode="points")
    st.caption(tr("dataset.showing", n=len(shown), total=len(pool)) + " " + tr("dataset.click_hint"))
    p1, p2, p3 = st.columns(3, vertical_alignment="bottom")  # narrower, "In order" was cut short
    p1.number_input(tr("dataset.page", pages=pages), 1, pages, 1, key=page_key)
    p2.button(tr("dataset.shuffle"), icon=":material/shuffle:", width="stretch", on_click=_reseed, args=(None,))
    p3.button(tr("dataset.in_order"), icon=":material/sort:", width="stretch", on_click=_reseed, args=(0,))

# a click on a tile picks the sample shown enlarged (only when the click is new)
index_key = f"ds_index_{name}_{split_name}"
hit = ui.clicked(event)
if hit:
    clicked = int(hit[0])
    if st.session_state.get("_ds_last_click") != (index_key, clicked):
        st.session_state["_ds_last_click"] = (index_key, clicked)
        st.session_state[index_key] = clicked
st.session_state.setdefault(index_key, int(shown[0]) if len(shown) else 0)

with detail_col:
    i = min(int(st.session_state[index_key]), len(split) - 1)  # its box is under the picture
    img, label = split.images[i].numpy(), int(split.labels[i])
    st.markdown(tr("dataset.label_is", label=i18n.class_label(name, label, tr.lang), index=i))
    # beside the grid the digit is too small for its numbers (three digits need a cell of about 24 px)
    ui.chart(ui.figure(digits.digit_heatmap, img, labels=L, show_values=False, height=400), "ds_sample")
    st.number_input(tr("dataset.index", n=len(split) - 1), 0, len(split) - 1, key=index_key)

st.markdown(f"**{tr('dataset.pixels_title', index=i)}**")
ui.chart(ui.figure(digits.digit_heatmap, img, labels=L, height=720), "ds_pixels")
st.caption(tr("dataset.pixels_hint"))

st.divider()
st.subheader(tr("dataset.shapes_title"), help=tr("dataset.source", where=ds.source))
st.dataframe(
    [
        {tr("dataset.col.split"): tr(f"dataset.split.{s}")}
        | {tr(f"dataset.col.{col}"): text for col, text in data.describe(ds.split(s)).items()}
        for s in ("train", "test")
    ],
    hide_index=True,
)

counts_col, means_col = st.columns(2, gap="large")
with counts_col:
    st.subheader(tr("dataset.counts_title", split=tr(f"dataset.split.{split_name}")))
    ui.chart(ui.figure(digits.class_counts, ui.class_counts(name, where, split_name), classes, labels=L), "ds_counts")
with means_col:
    st.subheader(tr("dataset.means_title"))
    means = ui.class_means(name, where, split_name)
    ui.chart(ui.figure(digits.sample_grid, means, [str(k) for k in range(10)], cols=5, labels=L), "ds_means")
    st.caption(tr("dataset.means_hint"))

st.divider()
st.subheader(tr("dataset.norm_title"))
with st.spinner(tr("dataset.computing_stats")):
    mean, std = ui.pixel_stats(name, where)
m1, m2, m3 = st.columns(3)
m1.metric(tr("dataset.mean"), f"{mean:.4f}")
m2.metric(tr("dataset.std"), f"{std:.4f}")
m3.metric(tr("dataset.constants"), f"{data.MNIST_MEAN} / {data.MNIST_STD}")
st.markdown(tr("dataset.norm_explain"))

for col, stage in zip(st.columns(4), data.input_stages(img)):
    with col:
        st.markdown(f"**{tr(f'dataset.stage.{stage.key}')}**")
        fig = ui.figure(digits.digit_heatmap, stage.image, labels=L, show_values=False, height=260)
        ui.chart(fig, f"ds_stage_{stage.key}")
        lo, hi, mean = (f"{v:.3f}" for v in (stage.low, stage.high, stage.mean))
        st.caption(tr("dataset.stage_stats", shape="×".join(map(str, stage.image.shape)), lo=lo, hi=hi, mean=mean))
