"""The Train page's widgets: the model and its settings, one run followed live, and runs side by side."""

from __future__ import annotations

import streamlit as st
import torch

from mnist_lab import config, i18n, metrics, models, registry, runs
from mnist_lab.charts.training import batch_curves, epoch_curves, runs_overlay
from mnist_lab.jobs.queue import runs_ahead, stop

from .cache import available_datasets, launcher, run_events, store
from .computed import onnx_file
from .frame import labels
from .model_choice import DEFAULT_MODEL, use_model
from .widgets import chart, error, model_title, run_label


def model_and_preset(tr: i18n.Translator) -> tuple[str, str]:
    """The model and the preset to start from, with the model's layers beside them."""
    mcol, tcol = st.columns([2, 3], gap="large")
    with mcol:
        names = list(registry.MODELS)
        model = st.selectbox(
            tr("train.model"), names, index=names.index("lenet5"), format_func=lambda n: model_title(n, tr)
        )
        st.caption(tr(f"model.desc.{model}"))
        presets = list(config.PRESETS)
        preset = st.selectbox(
            tr("train.preset"), presets, index=presets.index("fast"), format_func=lambda p: tr(f"train.preset.{p}")
        )
        st.caption(tr(f"train.preset_help.{preset}"))
    with tcol:
        rows = models.summary(model)
        st.dataframe(
            [
                {
                    tr("train.col.layer"): r["layer"],
                    tr("train.col.type"): r["type"],
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
    return model, preset


def train_settings(model: str, preset: str, tr: i18n.Translator) -> dict | None:
    """The settings form, filled with the preset's values: the settings when Start is pressed, else None."""
    p = config.PRESETS[preset]
    k = f"{model}_{preset}"  # new widgets (with the preset's values) when the model or preset changes
    datasets = available_datasets() or ["mnist"]
    with st.form("train_form"):
        c = st.columns(4)
        optimizer = c[0].selectbox(
            tr("train.optimizer"), config.OPTIMIZERS, index=config.OPTIMIZERS.index(p["optimizer"]), key=f"opt_{k}"
        )
        lr = c[1].number_input(tr("train.lr"), 0.0, 10.0, float(p["lr"]), step=0.001, format="%.4f", key=f"lr_{k}")
        momentum = c[2].number_input(tr("train.momentum"), 0.0, 1.0, float(p["momentum"]), step=0.05, key=f"mom_{k}")
        weight_decay = c[3].number_input(
            tr("train.weight_decay"), 0.0, 1.0, float(p["weight_decay"]), step=1e-4, format="%.5f", key=f"wd_{k}"
        )
        c = st.columns(4)
        batch_size = c[0].number_input(tr("train.batch_size"), 1, 8192, int(p["batch_size"]), key=f"bs_{k}")
        epochs = c[1].number_input(tr("train.epochs"), 1, config.MAX_EPOCHS, int(p["epochs"]), key=f"ep_{k}")
        seed = c[2].number_input(tr("train.seed"), 0, 2**31 - 1, 0, key=f"seed_{k}")
        devices = ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        device = c[3].selectbox(
            tr("train.device"), devices, format_func=lambda d: tr(f"train.device.{d}"), key=f"dev_{k}"
        )
        with st.expander(tr("train.more")):
            c = st.columns(4)
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
            limit = c[2].number_input(
                tr("train.limit"), 0, 60000, 0, step=1000, help=tr("train.limit_help"), key=f"limit_{k}"
            )
            dataset = c[3].selectbox(
                tr("train.dataset"), datasets, format_func=lambda n: tr(f"data.name.{n}"), key=f"ds_{k}"
            )
            augment = st.checkbox(tr("train.augment"), help=tr("train.augment_help"), key=f"aug_{k}")
        started = st.form_submit_button(tr("train.start"), type="primary", icon=":material/play_arrow:")
    if not started:
        return None
    return dict(
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


def watched_run(infos: list[runs.RunInfo], tr: i18n.Translator) -> str:
    """The run to follow: the one picked, else the one just started, else an active one, else the newest."""
    by_id = {i.run_id: i for i in infos}
    ids = list(by_id)
    watch = st.session_state.get("watch_run")
    if watch not in by_id:
        watch = next((i.run_id for i in infos if i.status in runs.ACTIVE), ids[0])
    watch = st.selectbox(
        tr("train.watch"),
        ids,
        index=ids.index(watch),
        format_func=lambda r: run_label(by_id[r], tr),
        key=f"watch_{watch}",
    )
    st.session_state["watch_run"] = watch
    return watch


def live_run(run_id: str, active: bool, tr: i18n.Translator) -> None:
    """A run's progress, state and curves, redrawn every second while it is active (only this part reruns)."""
    st.fragment(run_every=1.0 if active else None)(_live)(run_id, active, tr)


def _live(run_id: str, was_active: bool, tr: i18n.Translator) -> None:
    try:
        run = store().get(run_id)
    except (runs.RunNotFound, ValueError):
        st.warning(tr("model.run_missing", run=run_id))
        return
    live_tails = st.session_state.setdefault("_live", {})
    for other in [k for k in live_tails if k != run_id]:  # a session watches one run at a time
        del live_tails[other]
    tail = live_tails.setdefault(run_id, metrics.MetricsTail(run.metrics_path))
    tail.read()
    status = run.reconcile()
    state = status["state"]
    last, last_epoch = tail.last("batch"), tail.last("epoch")

    if state == "queued":
        st.info(tr("train.queued", slots=launcher().slots, ahead=runs_ahead(run) or 0), icon=":material/hourglass_top:")
    elif last:
        st.progress(
            min(1.0, last["step"] / max(1, last["total_steps"])),
            text=tr(
                "train.progress",
                step=last["step"],
                total=last["total_steps"],
                epoch=last["epoch"],
                ips=f"{last['images_per_s']:,.0f}",
                eta=i18n.duration(last["eta"]) if state == "running" else "0:00",
            ),
        )
    m = st.columns(4)
    m[0].metric(tr("train.state"), tr(f"state.{state}"))
    m[1].metric(tr("train.loss_now"), f"{last['loss']:.4f}" if last else "–")
    m[2].metric(tr("train.test_acc"), f"{last_epoch['test_acc']:.2%}" if last_epoch else "–")
    m[3].metric(tr("train.elapsed"), i18n.duration(last["elapsed"]) if last else "–")
    if state in runs.ACTIVE:
        if run_id not in st.session_state.get("my_started", []):  # another student's run: theirs (or the teacher's)
            st.caption(tr("train.not_yours"))
        elif st.button(tr("train.stop"), icon=":material/stop:", key=f"stop_{run_id}"):
            stop(run)
            st.toast(tr("train.stopping"))
    elif state == "done":
        st.success(tr("train.done", acc=f"{status.get('test_accuracy') or 0:.2%}"))
    elif state == "stopped":
        st.warning(tr("train.was_stopped"))
    elif state in ("failed", "interrupted"):
        st.error(tr("train.failed", reason=tr.reason(status) or "?"))
    if state not in runs.ACTIVE and run.checkpoint_path().is_file():
        _use_or_download(run, tr)
    if last:
        fig = batch_curves(metrics.thin(tail.events), labels=labels(), title=tr("train.batch_chart"))
        chart(fig, f"live_batch_{run_id}")
    if last_epoch:
        chart(epoch_curves(tail.events, labels=labels(), title=tr("train.epoch_chart")), f"live_epoch_{run_id}")
    if was_active and state not in runs.ACTIVE:
        st.rerun()  # the run ended: refresh the whole page (table, model list) and stop polling


def _use_or_download(run: runs.Run, tr: i18n.Translator) -> None:
    """A finished run's model: use it on every page, or take it away as ONNX."""
    with st.container(horizontal=True, vertical_alignment="center"):
        if st.session_state.get("model_choice") == run.run_id:
            st.caption(tr("train.in_use"))
        elif st.button(tr("train.use_button"), icon=":material/check:", key=f"use_{run.run_id}"):
            use_model(run.run_id)
            st.rerun(scope="app")  # the sidebar's model picker shows the new choice
        onnx = onnx_file(run.checkpoint_path())
        st.download_button(
            tr("train.onnx_download"),
            onnx or b"",
            file_name=f"{run.run_id}.onnx",
            mime="application/octet-stream",
            on_click="ignore",
            disabled=onnx is None,
            help=tr("train.onnx_help") if onnx else tr("error.export.no_onnx"),
            icon=":material/download:",
            key=f"onnx_{run.run_id}",
        )


def delete_own_run(run_id: str, tr: i18n.Translator) -> None:
    """Delete, behind a confirmation, a run this session started and that has ended."""
    with st.popover(tr("train.delete"), icon=":material/delete:"):
        st.markdown(tr("train.delete_confirm", run=run_id))
        if st.button(tr("train.delete_yes"), type="primary", key=f"delete_{run_id}"):
            try:
                store().delete(run_id)
            except (runs.RunActive, runs.RunNotFound, OSError) as e:
                error(tr, "train.delete_failed", e)
            else:
                st.session_state["my_started"].remove(run_id)
                st.session_state.pop("watch_run", None)
                if st.session_state.get("model_choice") == run_id:
                    use_model(DEFAULT_MODEL)
                st.toast(tr("train.deleted", run=run_id), icon=":material/delete:")
                st.rerun()


def compare_runs(infos: list[runs.RunInfo], tr: i18n.Translator) -> None:
    """The curves of the chosen runs over each other, for one metric."""
    by_id = {i.run_id: i for i in infos}

    def with_accuracy(run_id: str) -> str:
        acc = by_id[run_id].test_accuracy
        return run_label(by_id[run_id], tr) + (f" · {acc:.2%}" if acc is not None else "")

    st.subheader(tr("train.compare_title"))
    with_metrics = [i.run_id for i in infos if i.started]
    chosen = st.multiselect(
        tr("train.compare_runs"),
        with_metrics,
        default=with_metrics[:2],
        format_func=with_accuracy,
        placeholder=tr("common.choose"),
    )
    metric = (
        st.segmented_control(
            tr("train.compare_metric"),
            ["test_acc", "test_loss", "train_acc", "train_loss", "loss"],
            default="test_acc",
            format_func=lambda m: tr(f"train.metric.{m}"),
        )
        or "test_acc"
    )
    if chosen:
        curves = {run_label(by_id[r], tr): metrics.thin(run_events(r)) for r in chosen}
        chart(runs_overlay(curves, metric, labels=labels()), "overlay")
    else:
        st.caption(tr("train.compare_hint"))
