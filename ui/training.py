"""The Train page's widgets: one run followed live, and runs side by side (the settings: train_form.py)."""

from __future__ import annotations

import time

import streamlit as st

from mnist_lab import i18n, metrics, runs
from mnist_lab.charts.training import batch_curves, enough_epochs, epoch_curves, runs_overlay
from mnist_lab.jobs.queue import runs_ahead, stop

from .cache import launcher, run_events, store
from .computed import onnx_file
from .frame import labels
from .model_choice import DEFAULT_MODEL, use_model
from .widgets import chart, error, run_label


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
    # what to do now, then the curves, then the numbers: the chart stays in the first screen
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
    # two by two: four across a half-page column cut the numbers short
    m = st.columns(2) + st.columns(2)
    m[0].metric(tr("train.state"), tr(f"state.{state}"))
    m[1].metric(tr("train.loss_now"), f"{last['loss']:.4f}" if last else "–")
    m[2].metric(tr("train.test_acc"), f"{last_epoch['test_acc']:.2%}" if last_epoch else "–")
    # the run's duration as the runs table below says it, not the trainer's own clock: one time per run
    started, ended = status.get("started"), status.get("ended")
    number = (int, float)  # a damaged status.json may hold anything
    took = ((ended if isinstance(ended, number) else time.time()) - started) if isinstance(started, number) else None
    m[3].metric(tr("train.col.duration"), i18n.duration(took))
    if status.get("class_accuracy_before") is not None:  # a class_digits run: before and after, side by side
        _before_after(status, tr)
    if enough_epochs(tail.events):  # one epoch is a lone dot: its test accuracy stands in the metrics above
        chart(epoch_curves(tail.events, labels=labels(), title=tr("train.epoch_chart")), f"live_epoch_{run_id}")
    if was_active and state not in runs.ACTIVE:
        st.rerun()  # the run ended: refresh the whole page (table, model list) and stop polling


def _before_after(status: dict, tr: i18n.Translator) -> None:
    c = st.columns(2)
    for col, key, name in (
        (c[0], "class_accuracy", "train.class_before_after"),
        (c[1], "test_accuracy", "train.mnist_before_after"),
    ):
        before, after = status.get(f"{key}_before"), status.get(key)
        delta = None if after is None else tr("train.delta_points", delta=f"{100 * (after - before):+.1f}")
        col.metric(
            tr(name), "–" if after is None else f"{after:.1%}", delta, help=tr("train.before", acc=f"{before:.1%}")
        )


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


def board_curve(run_id: str, epochs: int | None) -> tuple[tuple, tuple]:
    """A run's curve for the class board (charts.board.run_curve): ((), ()) before its first batch, or
    for a run deleted since the board was listed."""
    from mnist_lab.charts.board import run_curve

    try:
        return run_curve(metrics.thin(run_events(run_id)), epochs)
    except (runs.RunNotFound, runs.BadRunId, OSError):
        return (), ()
