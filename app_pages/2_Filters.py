"""Filters: Sobel edges, your own 3x3 kernel, cv2 vs torch, correlation vs convolution, stride and padding."""

import numpy as np
import pandas as pd
import streamlit as st

import ui
from mnist_lab import filters, images
from mnist_lab.charts import digits

tr = ui.translator()
L = ui.labels()

# ---------------------------------------------------------------- the picture: one row of choices
pick_col, which_col = st.columns([3, 2], vertical_alignment="bottom")
source = (
    pick_col.segmented_control(
        tr("filters.source"),
        ["mnist", "builtin", "upload"],
        default="mnist",
        format_func=lambda s: tr(f"filters.source.{s}"),
    )
    or "mnist"
)
pictures = filters.builtin_pictures()
img = None
if source == "mnist":
    ds = ui.dataset("mnist", tr, quiet=True)
    if ds is None:
        st.info(tr("filters.no_mnist"))
        img = pictures["digit"]
    else:
        i = which_col.number_input(tr("filters.test_index", n=len(ds.test) - 1), 0, len(ds.test) - 1, 0)
        img = ds.test.images[i].numpy()
elif source == "builtin":
    pick = which_col.selectbox(tr("filters.picture"), list(pictures), format_func=lambda p: tr(f"filters.pic.{p}"))
    img = pictures[pick]
else:
    up = which_col.file_uploader(tr("filters.upload"), type=["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"])
    if up is None:
        st.info(tr("filters.upload_hint"))
        st.stop()
    try:
        img = images.decode_image(up.getvalue(), "RGB")
    except images.ImageError as e:
        ui.error(tr, "common.bad_image", e)
        st.stop()
    img = images.fit(images.grey_if_grey(img))
colour = img.ndim == 3
g = images.to_gray(img)

# ---------------------------------------------------------------- Sobel
# the picture, what the two kernels make of it, each kernel under its map; the words after the pictures
st.subheader(tr("filters.sobel_title"))
gx, gy, mag = filters.sobel(g)
left, right = st.columns([1, 2])
with left:
    st.markdown(
        f"**{tr('filters.original')}** · {img.shape[1]}×{img.shape[0]}"
        + (f" · {tr('filters.colour')}" if colour else "")
    )
    if colour:
        st.image(img, width="stretch")
    else:
        ui.chart(ui.figure(digits.digit_heatmap, img, labels=L, show_values=False, height=260), "f_orig")
with right:
    ui.chart(
        ui.figure(
            digits.feature_maps,
            np.stack([gx, gy, mag]),
            cols=3,
            names=["Gx", "Gy", "|G| = √(Gx² + Gy²)"],
            labels=L,
            diverging=False,
            height=200,
        ),
        "f_sobel_maps",
    )
    for col, key in zip(st.columns(3), ("sobel_x", "sobel_y")):
        with col:
            st.markdown(f"**{tr(f'filters.kernel.{key}')}**")
            ui.chart(
                ui.figure(digits.kernel_heatmap, filters.KERNELS[key], labels=L, decimals=0, height=150), f"f_k_{key}"
            )
st.markdown(tr("filters.sobel_explain"))
st.caption(tr("filters.sobel_caption"))

# ---------------------------------------------------------------- your own kernel
st.header(tr("filters.kernel_title"))
kcol, scol = st.columns([1, 1], gap="large")
with kcol:
    preset = st.selectbox(tr("filters.preset"), list(filters.KERNELS), format_func=lambda k: tr(f"filters.kernel.{k}"))
    table = st.data_editor(
        pd.DataFrame(filters.KERNELS[preset].astype(float), columns=["1", "2", "3"]),
        key=f"kernel_{preset}",
        hide_index=True,
        width="content",
    )
    kernel = filters.kernel_from(table.to_numpy(dtype=np.float64, na_value=0.0))
    st.caption(tr("filters.kernel_hint"))
with scol:
    stride = st.slider(tr("filters.stride"), 1, 4, 1)
    padding = st.slider(tr("filters.padding"), 0, 3, 0)
    try:
        oh, ow = filters.output_shape(g.shape, 3, stride, padding)
    except filters.FilterError as e:
        st.error(tr.error(e))
        st.stop()
    st.markdown(tr("filters.formula_intro"))
    for formula in filters.size_formulas(g.shape, 3, stride, padding):
        st.latex(formula)
    st.markdown(tr("filters.output_size", h=g.shape[0], w=g.shape[1], oh=oh, ow=ow))

maps = filters.filter_channels(img, kernel, stride, padding)
names = ["R", "G", "B"] if colour else [tr("filters.grey")]
st.markdown(tr("filters.per_channel") if colour else tr("filters.one_channel"))
fig = digits.feature_maps(maps, cols=len(maps), names=names, labels=L, diverging=filters.signed(kernel))
ui.chart(fig, "f_custom_maps", height=380 if len(maps) == 1 else None)

# ---------------------------------------------------------------- cv2 vs torch, correlation vs convolution
st.header(tr("filters.same_title"))
same = filters.compare(g, kernel, stride, padding)
m1, m2 = st.columns(2)
m1.metric(tr("filters.max_diff_libs"), f"{same.libraries_apart:.2e}")
m2.metric(tr("filters.max_diff_conv"), f"{same.flip_apart:.4g}")
st.code(
    "cv2.filter2D(img, cv2.CV_32F, kernel)            # OpenCV\n"
    "F.conv2d(x, w, stride=stride, padding=padding)   # PyTorch",
    language="python",
)
st.markdown(tr("filters.corr_explain"))
if same.symmetric:
    st.info(tr("filters.symmetric"))
else:
    names = [tr("filters.correlation"), tr("filters.convolution")]
    both = np.stack([same.correlation, same.convolution])
    fig = ui.figure(digits.feature_maps, both, cols=2, names=names, labels=L, diverging=True, shared_scale=True)
    ui.chart(fig, "f_corr")
