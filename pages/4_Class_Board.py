"""Class board: every run of the class with its settings and accuracy, live; which settings did best."""

import streamlit as st

import ui
from mnist_lab import classroom, i18n, registry, runs
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
names = {k: tr(key) for k, key in KNOBS.items()} | {m: ui.model_title(m, tr) for m in registry.MODELS}


def table(rows: list[classroom.BoardRow]) -> None:
    st.dataframe(
        [{tr("board.col.best"): "★" if r.best else "",
          tr("train.col.student"): r.student,
          tr("train.col.model"): ui.model_title(r.model, tr),
          tr("train.optimizer"): r.optimizer,
          tr("train.lr"): r.lr,
          tr("train.batch_size"): r.batch_size,
          tr("train.epochs"): r.epochs,
          tr("board.augment"): r.augment,
          tr("train.col.accuracy"): None if r.accuracy is None else 100 * r.accuracy,
          tr("train.col.class_digits"): classroom.before_after(r.class_before, r.class_after),
          tr("train.col.duration"): i18n.duration(r.seconds),
          tr("train.col.status"): tr(f"state.{r.state}"),
          tr("train.col.run"): r.run_id} for r in rows],
        hide_index=True, placeholder="–", width="stretch",
        column_config={tr("train.col.accuracy"): st.column_config.NumberColumn(format="%.2f %%"),
                       tr("train.lr"): st.column_config.NumberColumn(format="%.4g")})  # fmt: skip


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
    cols = st.columns(4)
    for col, state in zip(cols, ("queued", "running", "done", "failed")):
        col.metric(tr(f"state.{state}"), n.get(state, 0))
    rows = classroom.board(infos)
    table(rows)
    st.caption(tr("board.sort_hint"))
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
