"""Small pieces every page draws: charts, errors, run labels and tables, a background task's progress."""

from __future__ import annotations

import functools
import importlib
import os

import streamlit as st

from mnist_lab import i18n, runs, tasks

NO_BAR = {"displayModeBar": False}


@functools.cache  # one class; made on first use, so that importing ui.widgets does not import plotly
def _shared_class():
    import plotly.graph_objects as go

    class Shared(go.Figure):
        """A figure that every session shows as it is (ui.figure's). st.plotly_chart turns a figure into a
        dict at every view, a deep copy with every array written out in base64: a sixth of the server's time
        under a class's page views. This one makes its dict once; nothing changes it after (chart() refuses
        to size it)."""

        _made: dict | None = None

        def to_dict(self) -> dict:
            if self._made is None:
                self._made = super().to_dict()
            return self._made

    return Shared


# a figure's labels are keyed by their language (see i18n.ChartLabels)
@st.cache_resource(show_spinner=False, max_entries=256, hash_funcs={i18n.ChartLabels: lambda labels: labels.lang})
def _figure(module: str, name: str, height: int | None, args: tuple, kwargs: dict):
    # the builder comes by name: a plain, stable key for the cache that every session shares
    fig = getattr(importlib.import_module(module), name)(*args, **kwargs)
    if height:
        fig.update_layout(height=height)
    return _shared_class()(fig, _validate=False)


def figure(builder, *args, height: int | None = None, **kwargs):
    """builder(*args, **kwargs), a builder of mnist_lab.charts, made once per distinct input for every session
    of the server (a figure is the costly part of a page view: 30 students on the same digit share one).
    Shared: give it to chart() without a height, which would change it for everyone."""
    return _figure(builder.__module__, builder.__qualname__, height, args, kwargs)


def chart(fig, key: str, height: int | None = None, **kwargs):
    """A plotly chart without the mode bar; returns the selection event when on_select is given."""
    if height:
        if isinstance(fig, _shared_class()):
            raise ValueError("a figure from ui.figure is every session's: give its height to ui.figure")
        fig.update_layout(height=height)
    return st.plotly_chart(fig, config=NO_BAR, key=key, **kwargs)


def clicked(event) -> list | None:
    """customdata of the first point selected in st.plotly_chart(on_select=...), as a list; None if none."""
    from mnist_lab.charts.selection import selected_customdata

    return selected_customdata(event.selection.points if event and event.selection else [])


def error(tr: i18n.Translator, intro_key: str, e: BaseException) -> None:
    """A plain one-paragraph error in the page's language: a lead-in, then what went wrong."""
    st.error(f"{tr(intro_key)} {tr.error(e)}")


def model_title(name: str, tr: i18n.Translator) -> str:
    key = f"model.title.{name}"
    return tr(key) if key in i18n.EN else name


def device_name() -> str:
    """The GPU's name, or 'CPU (n cores)'."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({os.cpu_count()} cores)"


def run_label(info: runs.RunInfo, tr: i18n.Translator) -> str:
    """'Ana · LeNet-5 (seed 003) · 20261123-…': who, what, which (a name is plain text in a select box)."""
    return " · ".join(p for p in (info.student, model_title(info.model, tr), info.run_id) if p)


def runs_table(infos: list[runs.RunInfo], tr: i18n.Translator) -> None:
    """Every run: who, what, how it went (a name is a plain text cell, never HTML)."""
    st.dataframe(
        [{tr("train.col.student"): i.student or "",
          tr("train.col.run"): i.run_id,
          tr("train.col.model"): model_title(i.model, tr),
          tr("train.col.preset"): tr(f"train.preset.{i.preset}") if f"train.preset.{i.preset}" in i18n.EN else i.preset,
          tr("train.col.status"): tr(f"state.{i.status}"),
          tr("train.col.accuracy"): None if i.test_accuracy is None else 100 * i.test_accuracy,
          tr("train.col.class_digits"): None if i.class_accuracy is None else 100 * i.class_accuracy,
          tr("train.col.epochs"): i.epochs,
          tr("train.col.duration"): i18n.duration(i.duration_s),
          tr("train.col.device"): tr.device(i.device)} for i in infos],
        hide_index=True, placeholder="–",
        column_config={tr(f"train.col.{c}"): st.column_config.NumberColumn(format="%.2f %%")
                       for c in ("accuracy", "class_digits")})  # fmt: skip


def wait_for(task: tasks.Task, text: str, tr: i18n.Translator) -> None:
    """Show a background task's progress until it is done, then run the page again (only this part polls)."""

    @st.fragment(run_every=0.5)
    def progress() -> None:
        if task.done:  # the page runs again and shows the result, or the error without polling
            st.rerun(scope="app")
        else:
            st.progress(task.fraction, text=f"{text} {task.fraction:.0%}")

    if not task.done:
        progress()
    elif task.error is not None:
        st.error(f"{tr('common.task_failed')} {tr.error(task.error)}")
        if st.button(tr("common.retry"), icon=":material/refresh:", key=f"_retry_{task.key}"):
            tasks.forget(task.key)
            st.rerun()
