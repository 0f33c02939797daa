"""Train: pick a model and settings, start a run in its own process, watch it live, compare runs."""

import streamlit as st

import ui
from mnist_lab import data, runs
from mnist_lab.config import ConfigError
from mnist_lab.data import DataNotFound
from mnist_lab.errors import LabError
from mnist_lab.jobs.submit import submit

tr = ui.translator()

# ---------------------------------------------------------------- settings beside the run they start
# Start and the live chart share the first screen (Teachable Machine's layout): the settings on the
# left, the run followed on the right
settings, live = st.columns([2, 3], gap="large")
with settings:
    model, preset, start_from = ui.model_and_preset(tr)
    overrides = ui.train_settings(model, preset, start_from, tr)
    if overrides is not None:
        try:
            run = submit(
                model,
                preset,
                overrides,
                student=ui.student(),
                require_student=True,
                session_runs=st.session_state.get("my_started", []),
                runs_dir=ui.store().root,
                data_root=data.resolve_root(None),
            )
        except ConfigError as e:
            ui.error(tr, "train.bad_setting", e)
        except DataNotFound:
            ui.missing_data_message(overrides["dataset"], tr)
        except LabError as e:  # no name, a session's or the teacher's limit, a cluster without an address
            st.warning(tr.error(e), icon=":material/block:")
        except OSError as e:
            ui.error(tr, "train.start_failed", e)
        else:
            st.session_state["watch_run"] = run.run_id
            st.session_state.setdefault("my_started", []).append(run.run_id)  # this session's runs
            st.toast(tr("train.started", run=run.run_id), icon=":material/rocket_launch:")

infos = ui.store().list()
with live:
    if any(i.status == "queued" for i in infos):
        ui.launcher().ensure_workers()  # a worker that died, or a server that restarted, is replaced
    if not infos:
        st.info(tr("train.no_runs"))
        st.stop()
    watch = ui.watched_run(infos, tr)
    active = next(i for i in infos if i.run_id == watch).status in runs.ACTIVE
    ui.live_run(watch, active, tr)
    # a student may delete the runs they started in this session once they have ended (the teacher
    # page, or `mnist-lab runs --delete ID`, clears any run)
    if not active and watch in st.session_state.get("my_started", []):
        ui.delete_own_run(watch, tr)

# ---------------------------------------------------------------- all runs
st.header(tr("train.runs_title"))
ui.runs_table(infos, tr)
ui.compare_runs(infos, tr)
