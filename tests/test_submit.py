"""One submit for the Train page and `mnist-lab submit`: the same checks, in the same order, refusing the same runs."""

from __future__ import annotations

import os

import pytest

import ui
from mnist_lab import cli, i18n
from mnist_lab.config import ConfigError, TrainConfig, make_config
from mnist_lab.data import DataNotFound
from mnist_lab.errors import LabError
from mnist_lab.jobs.launchers import LaunchError
from mnist_lab.jobs.limits import ClassSettings, SubmitRefused
from mnist_lab.jobs.queue import queued
from mnist_lab.jobs.submit import submit
from mnist_lab.runs import RunStore
from tests.helpers import by_label, goto, start, texts

TRAIN = ui.page("train")


def _training(store: RunStore, student: str) -> str:
    """A run of this student's that trains now (owned by this live process, so no worker is needed)."""
    run = store.create(make_config("mlp", "class").to_dict(), student=student)
    run.set_status("running", pid=os.getpid())
    return run.run_id


def _no_student(store, monkeypatch):
    return dict(student=None, words=i18n.t("error.submit.no_student"))


def _no_data(store, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_DATA", str(store.root.parent / "empty"))
    return dict(words="was not found")  # the page says more: where the files go, and the Home page's upload


def _no_data_on_ray(store, monkeypatch):
    # the page and the CLI both pick Ray from the environment; nothing may reach the (absent) cluster
    monkeypatch.setenv("MNIST_LAB_RAY_ADDRESS", "http://127.0.0.1:9")
    return _no_data(store, monkeypatch)


def _session_limit(store, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_RUNS_PER_SESSION", "1")
    mine = _training(store, "Ana")
    return dict(session=[mine], words=i18n.t("error.submit.too_many", n=1, runs=mine))


def _teacher_epochs(store, monkeypatch):
    ClassSettings(max_epochs=2).save(store.root)
    return dict(epochs=5, words=i18n.t("error.class.max_epochs", epochs=5, max=2))


def _teacher_runs_per_student(store, monkeypatch):
    ClassSettings(runs_per_student=1).save(store.root)
    _training(store, "Ana")  # started in another browser: the teacher's cap counts every run of hers
    return dict(words=i18n.t("error.class.runs_per_student", n=1, max=1))


REFUSALS = [_no_student, _no_data, _no_data_on_ray, _session_limit, _teacher_epochs, _teacher_runs_per_student]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[f.__name__[1:] for f in REFUSALS])
def test_the_cli_refuses_what_the_page_refuses(refusal, tiny_mnist, runs_dir, monkeypatch, capsys, no_workers):
    store = RunStore(runs_dir)
    case = {"student": "Ana", "session": [], "epochs": None, **refusal(store, monkeypatch)}
    student, words = case["student"], case["words"]
    before = [i.run_id for i in store.list()]

    # the terminal: a student's runs in the folder stand for the browser session it does not have
    argv = ["submit", "--model", "mlp", "--preset", "class", "--runs-dir", str(runs_dir)]
    argv += ["--student", student] if student else []
    argv += ["--epochs", str(case["epochs"])] if case["epochs"] else []
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err
    assert [i.run_id for i in store.list()] == before and queued(runs_dir) == []

    # the page: the same name and settings, from a session that started case["session"]
    at = start(name=student)
    at.session_state["my_started"] = case["session"]
    at = goto(at, TRAIN)
    [model] = [s for s in at.selectbox if s.label == i18n.t("train.model")]  # not the sidebar's "Model in use"
    model.set_value("mlp").run()
    by_label(at.selectbox, "train.preset").set_value("class").run()
    if case["epochs"]:
        by_label(at.number_input, "train.epochs").set_value(case["epochs"])
    by_label(at.button, "train.start").click()
    at.run()
    assert not at.exception and words in texts(at.warning), texts(at.warning)
    assert [i.run_id for i in store.list()] == before and not no_workers


def test_the_first_failed_check_is_the_one_reported(tiny_mnist, tmp_path, no_workers, monkeypatch):
    """Settings, then the name, then the data, then the session, then the teacher's caps."""
    ClassSettings(max_epochs=1).save(tmp_path)
    nowhere = tmp_path / "nowhere"
    everything_wrong = dict(runs_dir=tmp_path, data_root=nowhere, require_student=True, session_runs=["x"])
    with pytest.raises(ConfigError):
        submit("mlp", "class", {"lr": -1.0, "epochs": 3}, **everything_wrong)
    with pytest.raises(SubmitRefused, match="type your name"):
        submit("mlp", "class", {"epochs": 3}, **everything_wrong)
    with pytest.raises(DataNotFound):
        submit("mlp", "class", {"epochs": 3}, student="Ana", **everything_wrong)
    monkeypatch.setenv("MNIST_LAB_RUNS_PER_SESSION", "1")
    mine = _training(RunStore(tmp_path), "Ana")
    with pytest.raises(SubmitRefused) as refused:
        submit("mlp", "class", {"epochs": 3}, student="Ana", runs_dir=tmp_path, session_runs=[mine])
    assert refused.value.key == "error.submit.too_many"
    with pytest.raises(SubmitRefused) as refused:
        submit("mlp", "class", {"epochs": 3}, student="Ana", runs_dir=tmp_path, session_runs=[])
    assert refused.value.key == "error.class.max_epochs"
    with pytest.raises(LaunchError):
        submit("mlp", "class", {"epochs": 1}, runs_dir=tmp_path, backend="ray")  # no address anywhere
    assert len(RunStore(tmp_path).list()) == 1 and queued(tmp_path) == [] and not no_workers


def test_a_submitted_run_is_queued_with_its_settings_and_a_worker_is_asked_for(tiny_mnist, tmp_path, no_workers):
    run = submit("mlp", "class", {"lr": 0.003, "seed": None}, student="  Ana  Kim ", runs_dir=tmp_path)
    assert run.config() == make_config("mlp", "class", lr=0.003).to_dict()
    assert run.status()["state"] == "queued" and run.status()["student"] == "Ana Kim"
    assert queued(tmp_path) == [run.run_id] and no_workers == ["local"]


def test_a_blank_name_is_refused_even_when_none_is_required(tiny_mnist, tmp_path, no_workers):
    with pytest.raises(LabError) as refused:
        submit("mlp", "class", student="\u202e  ", runs_dir=tmp_path)
    assert refused.value.key == "error.student.empty" and RunStore(tmp_path).list() == []


def test_a_train_config_on_its_own_is_the_fast_preset():
    assert TrainConfig() == make_config("lenet5", "fast")
