"""The Train page's settings: the model and preset, and the form Start sends (with the model a
fine-tuning preset starts from)."""

from __future__ import annotations

import streamlit as st
import torch

from mnist_lab import config, i18n, models, registry
from mnist_lab.classdigits import teach
from mnist_lab.errors import LabError

from .cache import available_datasets, store
from .model_choice import DEFAULT_MODEL, model_options
from .widgets import error, model_title


def model_and_preset(tr: i18n.Translator) -> tuple[str, str, str | None]:
    """(the model, the preset, the model a fine-tuning preset starts from or None), with the layers of the
    model that will train folded under them: for a fine-tuning preset, the starting model's own."""
    model_slot = st.container()  # above the preset, filled once the preset is known
    presets = list(config.PRESETS)
    shown = st.session_state.get("train_preset", "fast")  # what the preset does, behind its "?" (less to read)
    preset = st.selectbox(
        tr("train.preset"),
        presets,
        index=presets.index("fast"),
        format_func=lambda p: tr(f"train.preset.{p}"),
        help=tr(f"train.preset_help.{shown if shown in presets else 'fast'}"),
        key="train_preset",
    )
    start_from = None
    with model_slot:
        if config.PRESETS[preset].get("start_from"):
            start_from, model = _start_from(tr)
        else:
            names = list(registry.MODELS)
            model = st.selectbox(
                tr("train.model"), names, index=names.index("lenet5"), format_func=lambda n: model_title(n, tr)
            )
    # the table of layers folds away: Start and the live chart come first on a projector's screen
    with st.expander(tr("train.layers_title"), icon=":material/table_rows:"):
        st.caption(tr(f"model.desc.{model}"))
        _layers(model, tr)
    return model, preset, start_from


def _layers(model: str, tr: i18n.Translator) -> None:
    rows = models.summary(model)
    st.dataframe(
        [
            {
                tr("train.col.layer"): r["layer"],
                tr("train.col.type"): tr.layer(r["type"]),
                tr("train.col.shape"): " × ".join(map(str, r["output_shape"])),
                tr("train.col.params"): r["params"],
            }
            for r in rows
        ],
        hide_index=True,
        height=min(480, 38 + 35 * len(rows)),
    )
    size = registry.MODELS[model].input_size
    st.caption(tr("train.total_params", n=f"{sum(r['params'] for r in rows):,}", size=size))


def train_settings(model: str, preset: str, start_from: str | None, tr: i18n.Translator) -> dict | None:
    """The settings form, filled with the preset's values: the settings when Start is pressed, else None."""
    p = config.PRESETS[preset]
    k = f"{model}_{preset}_{start_from}"  # new widgets (with the preset's values) when any of these changes
    datasets = available_datasets() or ["mnist"]
    with st.form("train_form"):
        c = st.columns(2)  # two across: the form sits in the page's left column, beside the live chart
        optimizer = c[0].selectbox(
            tr("train.optimizer"),
            config.OPTIMIZERS,
            index=config.OPTIMIZERS.index(p["optimizer"]),
            format_func=lambda o: tr(f"train.optimizer.{o}"),
            key=f"opt_{k}",
        )
        lr = c[1].number_input(tr("train.lr"), 0.0, 10.0, float(p["lr"]), step=0.001, format="%.4f", key=f"lr_{k}")
        c = st.columns(2)  # what a lesson changes first stays in view; the rest folds away
        epochs = c[0].number_input(tr("train.epochs"), 1, config.MAX_EPOCHS, int(p["epochs"]), key=f"ep_{k}")
        batch_size = c[1].number_input(tr("train.batch_size"), 1, 8192, int(p["batch_size"]), key=f"bs_{k}")
        # Start above the folded settings, as Teachable Machine puts "Advanced" under "Train Model"
        started = st.form_submit_button(tr("train.start"), type="primary", icon=":material/play_arrow:")
        with st.expander(tr("train.more")):
            c = st.columns(2)
            momentum = c[0].number_input(
                tr("train.momentum"), 0.0, 1.0, float(p["momentum"]), step=0.05, key=f"mom_{k}"
            )
            weight_decay = c[1].number_input(
                tr("train.weight_decay"), 0.0, 1.0, float(p["weight_decay"]), step=1e-4, format="%.5f", key=f"wd_{k}"
            )
            c = st.columns(2)
            seed = c[0].number_input(tr("train.seed"), 0, 2**31 - 1, 0, key=f"seed_{k}")
            devices = ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])
            device = c[1].selectbox(
                tr("train.device"), devices, format_func=lambda d: tr(f"train.device.{d}"), key=f"dev_{k}"
            )
            c = st.columns(2)
            normalize = c[0].selectbox(
                tr("train.normalize"),
                config.NORMALIZE,
                index=config.NORMALIZE.index(p["normalize"]),
                format_func=lambda n: tr(f"train.normalize.{n}"),
                key=f"norm_{k}",
            )
            schedule = c[1].selectbox(
                tr("train.schedule"),
                config.SCHEDULES,
                index=config.SCHEDULES.index(p["schedule"]),
                format_func=lambda s: tr(f"train.schedule.{s}"),
                key=f"sched_{k}",
            )
            c = st.columns(2)
            limit = c[0].number_input(
                tr("train.limit"), 0, 60000, 0, step=1000, help=tr("train.limit_help"), key=f"limit_{k}"
            )
            dataset = c[1].selectbox(
                tr("train.dataset"), datasets, format_func=lambda n: tr(f"data.name.{n}"), key=f"ds_{k}"
            )
            augment = st.checkbox(tr("train.augment"), help=tr("train.augment_help"), key=f"aug_{k}")
    if not started:
        return None
    return dict(
        start_from=start_from,
        optimizer=optimizer,
        lr=float(lr),
        momentum=float(momentum),
        weight_decay=float(weight_decay),
        batch_size=int(batch_size),
        epochs=int(epochs),
        seed=int(seed),
        device=device,
        normalize=normalize,
        schedule=schedule,
        augment=bool(augment),
        dataset=dataset,
        train_limit=int(limit) or None,
    )


def _start_from(tr: i18n.Translator) -> tuple[str, str]:
    """(the model a fine-tuning run starts from: the shipped one or a finished run's, its architecture):
    the run trains that model, with its input scaling."""
    options = model_options(tr)
    choice = st.session_state.get("model_choice", DEFAULT_MODEL)
    start = st.selectbox(
        tr("train.start_from"),
        list(options),
        index=list(options).index(choice) if choice in options else 0,
        format_func=options.get,
        key="train_start_from",
    )
    try:
        model = teach.start_settings(start, store().root)["model"]
    except LabError as e:  # a run deleted meanwhile, or one of clothes: Start will say so too
        error(tr, "train.bad_setting", e)
        model = next(iter(registry.MODELS))
    st.caption(tr("train.class_digits_how", share=f"{teach.HELD_OUT_SHARE:.0%}"))
    return start, model
