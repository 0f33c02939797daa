"""Explain: maps of the evidence for any class in a drawn or test digit, the same maps for scrambled
weights (can the map be trusted?), and the training digits the network finds most alike."""

import streamlit as st

import ui
from mnist_lab import evaluate, explain, i18n, registry
from mnist_lab.charts import digits, maps

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
classes = i18n.class_names(meta.dataset, tr.lang)

img, label = ui.pick_digit(tr, meta, "ex")
probs = evaluate.predict_proba(model, img[None], meta.normalize, meta.pad)[0]
answer = int(probs.argmax())
said = tr("explain.answer", answer=classes[answer], conf=f"{probs[answer]:.1%}")
if label is not None:
    said += " " + tr("explain.truth", label=classes[label])
st.markdown(said)

# ---------------------------------------------------------------- the evidence, and the check
target = st.segmented_control(
    tr("explain.target"), list(range(10)), default=answer, key=f"ex_target_{answer}",
    format_func=lambda k: f"{classes[k]} · {probs[k]:.0%}",
)  # fmt: skip
target = answer if target is None else int(target)
st.caption(tr("explain.target_hint", target=classes[target]))
o1, o2 = st.columns(2)
baseline = o1.segmented_control(tr("explain.baseline"), list(explain.BASELINES), default="grey",
                                format_func=lambda b: tr(f"explain.baseline.{b}")) or "grey"  # fmt: skip
patch = o2.slider(tr("explain.patch"), 2, 10, 5, help=tr("explain.patch_help"))
if baseline == "black":
    st.warning(tr("explain.black_warning"), icon=":material/warning:")

layer = registry.MODELS[meta.model].gradcam_layer
scrambled = st.toggle(tr("explain.scramble"), value=True, help=tr("explain.scramble_help"))
for method in explain.METHODS:
    st.subheader(tr(f"explain.method.{method}"))
    st.caption(tr(f"explain.about.{method}"))
    if method == "gradcam" and layer is None:
        st.info(tr("explain.no_gradcam", model=ui.model_title(meta.model, tr)), icon=":material/info:")
        continue
    mine, rnd, corr = ui.explain_maps(path, img, target, method, baseline, patch)
    signed = explain.signed(method)
    cols = st.columns(2 if scrambled else 1)
    with cols[0]:
        ui.chart(ui.figure(maps.attribution_map, img, mine.map, signed=signed, labels=L,
                           title=tr("explain.trained"), height=330), f"ex_{method}")  # fmt: skip
    if scrambled:
        with cols[1]:
            ui.chart(ui.figure(maps.attribution_map, img, rnd.map, signed=signed, labels=L,
                               title=tr("explain.random"), height=330), f"ex_{method}_random")  # fmt: skip
        st.markdown(tr(f"explain.check.{explain.verdict(corr)}", r=f"{corr:.2f}"))
    st.caption(tr("explain.timing", ms=f"{1000 * mine.seconds:.0f}"))

# ---------------------------------------------------------------- the training digits it finds alike
st.header(tr("explain.neighbours_title"))
if ui.dataset_location(meta.dataset) is None:  # the look-alikes are training digits
    ui.missing_data_message(meta.dataset, tr)
index = ui.neighbours(path, meta, tr)
ds = ui.dataset(meta.dataset, tr, quiet=True)
if index is not None and ds is not None:
    near, dist = index.nearest(ui.digit_features(path, img))
    near_labels = ds.train.labels[near].numpy()
    st.markdown(tr("explain.neighbours_said", answer=classes[answer],
                   n=explain.agreeing(near_labels, answer), k=len(near)))  # fmt: skip
    grid = ui.figure(digits.sample_grid, ds.train.images[near].numpy(), [classes[int(k)] for k in near_labels],
                     indices=[int(i) for i in near], cols=8, labels=L, caption_size=12, height=170)  # fmt: skip
    ui.chart(grid, "ex_neighbours")
    st.caption(tr("explain.neighbours_hint", distances=", ".join(f"{d:.1f}" for d in dist)))
