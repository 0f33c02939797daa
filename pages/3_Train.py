"""Train: pick a model and settings, start a run in its own process, watch it live, compare runs."""

import streamlit as st
import torch

import ui
from mnist_lab import charts, config, i18n, jobs, metrics, models, runs

tr = ui.translator()
L = ui.labels()

# ---------------------------------------------------------------- model and settings
mcol, tcol = st.columns([2, 3], gap="large")
with mcol:
    names = list(models.MODELS)
    model_name = st.selectbox(
        tr("train.model"), names, index=names.index("lenet5"), format_func=lambda n: ui.model_title(n, tr)
    )
    st.caption(tr(f"model.desc.{model_name}"))
    presets = list(config.PRESETS)
    preset = st.selectbox(
        tr("train.preset"), presets, index=presets.index("fast"), format_func=lambda p: tr(f"train.preset.{p}")
    )
    st.caption(tr(f"train.preset_help.{preset}"))
with tcol:
    rows = models.summary(model_name)
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
    st.caption(
        tr("train.total_params", n=f"{sum(r['params'] for r in rows):,}", size=models.MODELS[model_name].input_size)
    )

p = config.PRESETS[preset]
k = f"{model_name}_{preset}"  # new widgets (with the preset's values) when the model or preset changes
datasets = ui.available_datasets() or ["mnist"]
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
    device = c[3].selectbox(tr("train.device"), devices, format_func=lambda d: tr(f"train.device.{d}"), key=f"dev_{k}")
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

if started:
    try:
        cfg = config.make_config(
            model_name,
            preset,
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
    except config.ConfigError as e:
        ui.error(tr, "train.bad_setting", e)
    else:
        mine = jobs.session_is_full(st.session_state.get("my_started", []), runs.default_runs_dir())
        if ui.student() is None:
            st.warning(tr("train.name_first"), icon=":material/badge:")
        elif ui.dataset_location(dataset) is None:
            ui.missing_data_message(dataset, tr)
        elif mine:
            st.warning(tr("train.too_many", n=len(mine), runs=", ".join(mine)), icon=":material/group:")
        else:
            try:
                run = ui.launcher().start(cfg.to_dict(), ui.student())
            except jobs.LaunchError as e:
                st.warning(tr.error(e), icon=":material/block:")
            except OSError as e:
                st.error(f"{tr('train.start_failed')} {e}")
            else:
                st.session_state["watch_run"] = run.run_id
                st.session_state.setdefault("my_started", []).append(run.run_id)  # this session's runs
                st.toast(tr("train.started", run=run.run_id), icon=":material/rocket_launch:")

# ---------------------------------------------------------------- live view of one run
infos = ui.store().list()
if not infos:
    st.info(tr("train.no_runs"))
    st.stop()
if any(i.status == "queued" for i in infos):
    ui.launcher().ensure_workers()  # a worker that died, or a server that restarted, is replaced
by_id = {i.run_id: i for i in infos}
ids = list(by_id)
mine = st.session_state.get("my_started", [])  # only these may be stopped or deleted from here


def run_label(run_id: str) -> str:
    """Who, what, which: labels that do not change while the run trains (the state is shown below)."""
    return ui.run_label(by_id[run_id], tr)


def run_label_acc(run_id: str) -> str:
    acc = by_id[run_id].test_accuracy
    return run_label(run_id) + (f" · {acc:.2%}" if acc is not None else "")


st.header(tr("train.live_title"))
watch = st.session_state.get("watch_run")
if watch not in by_id:
    watch = next((i.run_id for i in infos if i.status in runs.ACTIVE), ids[0])
watch = st.selectbox(tr("train.watch"), ids, index=ids.index(watch), format_func=run_label, key=f"watch_{watch}")
st.session_state["watch_run"] = watch
active = by_id[watch].status in runs.ACTIVE


@st.fragment(run_every=1.0 if active else None)
def live(run_id: str, was_active: bool) -> None:
    """Read the run's new metric lines and redraw progress and curves (only this part reruns)."""
    try:
        run = ui.store().get(run_id)
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
        st.info(
            tr("train.queued", slots=ui.launcher().slots, ahead=jobs.runs_ahead(run) or 0),
            icon=":material/hourglass_top:",
        )
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
        if run_id not in mine:  # another student's run: theirs (or the teacher's) to stop
            st.caption(tr("train.not_yours"))
        elif st.button(tr("train.stop"), icon=":material/stop:", key=f"stop_{run_id}"):
            ui.launcher().stop(run)
            st.toast(tr("train.stopping"))
    elif state == "done":
        st.success(tr("train.done", acc=f"{status.get('test_accuracy') or 0:.2%}"))
    elif state == "stopped":
        st.warning(tr("train.was_stopped"))
    elif state in ("failed", "interrupted"):
        st.error(tr("train.failed", reason=tr.reason(status) or "?"))
    if state not in runs.ACTIVE and run.checkpoint_path().is_file():
        with st.container(horizontal=True, vertical_alignment="center"):
            if st.session_state.get("model_choice") == run_id:
                st.caption(tr("train.in_use"))
            elif st.button(tr("train.use_button"), icon=":material/check:", key=f"use_{run_id}"):
                ui.use_model(run_id)
                st.rerun(scope="app")  # the sidebar's model picker shows the new choice
            onnx = ui.onnx_file(run.checkpoint_path())
            st.download_button(
                tr("train.onnx_download"),
                onnx or b"",
                file_name=f"{run_id}.onnx",
                mime="application/octet-stream",
                on_click="ignore",
                disabled=onnx is None,
                help=tr("train.onnx_help") if onnx else tr("error.export.no_onnx"),
                icon=":material/download:",
                key=f"onnx_{run_id}",
            )
    if last:
        ui.chart(
            charts.batch_curves(metrics.thin(tail.events), labels=L, title=tr("train.batch_chart")),
            f"live_batch_{run_id}",
        )
    if last_epoch:
        ui.chart(charts.epoch_curves(tail.events, labels=L, title=tr("train.epoch_chart")), f"live_epoch_{run_id}")
    if was_active and state not in runs.ACTIVE:
        st.rerun()  # the run ended: refresh the whole page (table, model list) and stop polling


live(watch, active)
# a student may delete the runs they started in this session once they have ended (the teacher
# page, or `mnist-lab runs --delete ID`, clears any run)
if not active and watch in mine:
    with st.popover(tr("train.delete"), icon=":material/delete:"):
        st.markdown(tr("train.delete_confirm", run=watch))
        if st.button(tr("train.delete_yes"), type="primary", key=f"delete_{watch}"):
            try:
                ui.store().delete(watch)
            except (runs.RunActive, runs.RunNotFound, OSError) as e:
                ui.error(tr, "train.delete_failed", e)
            else:
                st.session_state["my_started"].remove(watch)
                st.session_state.pop("watch_run", None)
                if st.session_state.get("model_choice") == watch:
                    ui.use_model(ui.DEFAULT_MODEL)
                st.toast(tr("train.deleted", run=watch), icon=":material/delete:")
                st.rerun()

# ---------------------------------------------------------------- all runs
st.header(tr("train.runs_title"))
ui.runs_table(infos, tr)

st.subheader(tr("train.compare_title"))
with_metrics = [i.run_id for i in infos if i.started]
chosen = st.multiselect(
    tr("train.compare_runs"),
    with_metrics,
    default=with_metrics[:2],
    format_func=run_label_acc,
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
if len(chosen) >= 1:
    curves = {run_label(r): metrics.thin(ui.run_events(r)) for r in chosen}
    ui.chart(charts.runs_overlay(curves, metric, labels=L), "overlay")
else:
    st.caption(tr("train.compare_hint"))
