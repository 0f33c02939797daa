"""Class board: every run of the class with its settings and accuracy, live; which settings did best."""

import pandas as pd
import streamlit as st

import ui
from mnist_lab import classroom, config, i18n, registry, runs
from mnist_lab.charts import board

tr = ui.translator()
L = ui.labels()
KNOBS = {
    "lr": "train.lr",
    "optimizer": "train.optimizer",
    "model": "train.model",
    "epochs": "train.epochs",
    "batch_size": "train.batch_size",
    "augment": "board.augment",
}
MINE = "background-color: rgba(228, 87, 46, 0.18); font-weight: 600"  # the session's runs, in the accent's tint
names = (
    {k: tr(key) for k, key in KNOBS.items()}
    | {m: ui.model_title(m, tr) for m in registry.MODELS}
    | {o: tr(f"train.optimizer.{o}") for o in config.OPTIMIZERS}
)


def table(rows: list[classroom.BoardRow], me: str | None) -> None:
    """The runs best first, in large type, the session's own highlighted; no run ids (a name and a model
    say which run it is, on a projector)."""
    frame = pd.DataFrame(
        [{"#": k + 1 if r.accuracy is not None else "",
          tr("board.col.best"): "★" if r.best else "",
          tr("train.col.student"): r.student,
          tr("train.col.accuracy"): "–" if r.accuracy is None else f"{r.accuracy:.2%}",
          tr("train.col.model"): ui.model_title(r.model, tr),
          tr("train.optimizer"): names.get(r.optimizer, r.optimizer or "–"),
          tr("train.lr"): "–" if r.lr is None else f"{r.lr:g}",
          tr("train.batch_size"): r.batch_size or "–",
          tr("train.epochs"): r.epochs or "–",
          tr("board.augment"): "✓" if r.augment else "–",
          tr("train.col.class_digits"): classroom.before_after(r.class_before, r.class_after) or "–",
          tr("train.col.duration"): i18n.duration(r.seconds),
          tr("train.col.status"): tr(f"state.{r.state}")} for k, r in enumerate(rows)]
    )  # fmt: skip
    if not any(r.class_before is not None for r in rows):  # a column of dashes says nothing
        frame = frame.drop(columns=tr("train.col.class_digits"))
    mine = [bool(me) and r.student == me for r in rows]
    style = frame.style.set_properties(**{"font-size": "1.15rem"}).apply(
        lambda row: [MINE if mine[row.name] else "" for _ in row], axis=1
    )
    st.table(style, hide_index=True)


# every 2 s while runs wait or train; a board with nothing moving only looks for new runs now and then
ROOT = str(runs.default_runs_dir())
MOVING = classroom.busy(ui.class_runs(ROOT))


@st.fragment(run_every=2.0 if MOVING else 10.0)
def live() -> None:
    """The board redraws itself; the runs are read once a second for all sessions together, and each
    chart is made once per state of the class for all of them."""
    infos = ui.class_runs(ROOT)
    if classroom.busy(infos) != MOVING:
        st.rerun(scope="app")  # runs started or all ended: poll at the other pace
    if not infos:
        st.info(tr("board.empty"))
        return
    n = classroom.counts(infos)
    states = ("queued", "running", "done", "failed")
    st.markdown("#### " + " · ".join(f"{n[s]} {tr(f'state.{s}')}" for s in states if n.get(s)))
    rows = board.ranked(classroom.board(infos))
    me = ui.student()
    # every run's curve over the others, above the table (TensorBoard's overlay)
    curves = tuple(
        (r.student, r.model, *ui.board_curve(r.run_id, r.epochs), bool(me) and r.student == me)
        for r in rows
        if r.state != "queued"
    )
    if any(c[2] for c in curves):
        ui.chart(ui.figure(board.class_curves, curves, names=names, labels=L, height=420), "board_curves")
    table(rows, me)
    st.caption(tr("board.rank_hint"))
    finished = classroom.finished(rows)
    if not finished:
        st.caption(tr("board.no_results"))
        return
    st.subheader(tr("board.plot_title"))
    view = (
        st.segmented_control(
            tr("board.view"),
            ["lr", "optimizer", "model", "epochs", "batch_size", "parallel"],
            default="lr",
            key="board_view",
            format_func=lambda v: tr("board.parallel") if v == "parallel" else names[v],
        )
        or "lr"
    )
    if view == "parallel":
        ui.chart(ui.figure(board.class_parallel, finished, names=names, labels=L, height=420), "board_parallel")
    else:
        fig = ui.figure(board.class_scatter, finished, view, names=names, labels=L, height=420)
        ui.chart(fig, f"board_{view}")
    st.caption(tr("board.best_hint"))


live()
