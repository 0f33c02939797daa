"""Explain: maps of the evidence for any class in a drawn or test digit, the same maps for scrambled
weights (can the map be trusted?), and the training digits the network finds most alike."""

import streamlit as st

import ui
from mnist_lab import evaluate, explain, i18n, registry
from mnist_lab.charts import digits, strips

tr = ui.translator()
L = ui.labels()
model, meta, path = ui.require_model(tr)
classes = i18n.class_names(meta.dataset, tr.lang)

img, label = ui.pick_digit(tr, meta, "ex")
ui.explainers_ready()  # Captum, imported by the server's setup in the background (no page imports it halfway)
probs = evaluate.predict_proba(model, img[None], meta.normalize, meta.pad)[0]
answer = int(probs.argmax())
said = tr("explain.answer", answer=classes[answer], conf=f"{probs[answer]:.1%}")
if label is not None:
    said += " " + tr("explain.truth", label=classes[label])

# ---------------------------------------------------------------- the digit and its maps, then the controls
# the controls sit under the pictures, so their values are read first (the last run's, or the defaults)
target = st.session_state.get(f"ex_target_{answer}", answer)
target = answer if target is None else int(target)
baseline = st.session_state.get("ex_baseline") or "grey"
patch = int(st.session_state.get("ex_patch", 5))
scrambled = st.session_state.get("ex_scramble", True)
layer = registry.MODELS[meta.model].gradcam_layer
methods = [m for m in explain.METHODS if m != "gradcam" or layer is not None]
found = {m: ui.explain_maps(path, img, target, m, baseline, patch) for m in methods}

WIDTHS = [4, 3, 3, 3]  # the digit larger than each of its three maps
st.markdown(f"**{tr('explain.trained')}** · {said}")
row = st.columns(WIDTHS, gap="small")
with row[0]:
    ui.chart(ui.figure(strips.digit_tile, img, labels=L, height=260), "ex_digit")
for col, method in zip(row[1:], explain.METHODS):
    with col:
        about = f"**{tr(f'explain.method.{method}')}** — {tr(f'explain.about.{method}')}"
        st.markdown(f"**{tr(f'explain.short.{method}')}**", help=about)
        if method not in found:
            st.info(tr("explain.no_gradcam", model=ui.model_title(meta.model, tr)), icon=":material/info:")
            continue
        ui.chart(ui.figure(strips.evidence_tile, img, found[method][0].map, signed=explain.signed(method),
                           labels=L, height=190), f"ex_{method}")  # fmt: skip
if scrambled:
    st.markdown(f"**{tr('explain.random')}**", help=tr("explain.scramble_help"))
    row = st.columns(WIDTHS, gap="small")
    for col, method in zip(row[1:], explain.METHODS):
        if method in found:
            with col:
                ui.chart(ui.figure(strips.evidence_tile, img, found[method][1].map, signed=explain.signed(method),
                                   labels=L, height=190), f"ex_{method}_random")  # fmt: skip
    with row[0]:  # a verdict to read for each map; the number behind it, and the time it took, for whoever asks
        for method, (mine, _, corr) in found.items():
            check = (
                tr("explain.check_help", r=f"{corr:.2f}") + " " + tr("explain.timing", ms=f"{1000 * mine.seconds:.0f}")
            )
            st.markdown(f"**{tr(f'explain.short.{method}')}** {tr(f'explain.check.{explain.verdict(corr)}')}",
                        help=check)  # fmt: skip

st.segmented_control(
    tr("explain.target"), list(range(10)), default=answer, key=f"ex_target_{answer}",
    format_func=lambda k: f"{classes[k]} · {probs[k]:.0%}",
)  # fmt: skip
st.caption(tr("explain.target_hint", target=classes[target]))
o1, o2, o3 = st.columns(3, vertical_alignment="bottom")
o1.segmented_control(tr("explain.baseline"), list(explain.BASELINES), default="grey", key="ex_baseline",
                     format_func=lambda b: tr(f"explain.baseline.{b}"))  # fmt: skip
o2.slider(tr("explain.patch"), 2, 10, 5, help=tr("explain.patch_help"), key="ex_patch")
o3.toggle(tr("explain.scramble"), value=True, help=tr("explain.scramble_help"), key="ex_scramble")
if baseline == "black":
    st.warning(tr("explain.black_warning"), icon=":material/warning:")

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
