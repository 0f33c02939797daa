"""A class together: names on runs, the class board, the teacher's page and its password."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import ui
from mnist_lab import classroom, config, i18n, runs
from mnist_lab.jobs.limits import ClassSettings
from mnist_lab.jobs.queue import enqueue, queued
from tests.helpers import assert_ok, by_label, goto, start, texts

BOARD, TEACHER, TRAIN = "app_pages/4_Class_Board.py", "app_pages/5_Teacher.py", "app_pages/3_Train.py"


def _run(
    store: runs.RunStore, student: str, state: str, acc: float | None = None, pid: int | None = None, **cfg
) -> runs.Run:
    """A run as the board sees it, without training: its config, its state and its accuracy."""
    run = store.create(config.make_config(cfg.pop("model", "lenet5"), "class", **cfg).to_dict(), student=student)
    run.set_status(state, pid=pid, started=time.time() - 30, test_accuracy=acc)
    return run


@pytest.fixture
def live_pid():
    """A process that stays alive: the 'worker' of a run that is training."""
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield p.pid
    p.kill()
    p.wait()


# ---------------------------------------------------------------- pure parts


def test_board_marks_the_best_finished_run_of_each_model(tmp_path):
    store = runs.RunStore(tmp_path)
    _run(store, "Ana", "done", 0.981, lr=0.01)
    best_lenet = _run(store, "Ben", "done", 0.987, lr=0.003)
    _run(store, "Cho", "failed", None, lr=10.0)
    best_mlp = _run(store, "Dan", "done", 0.971, model="mlp")
    _run(store, "Eve", "stopped", 0.990)  # stopped early: its accuracy is not a result
    rows = classroom.board(store.list())
    assert {r.run_id for r in rows if r.best} == {best_lenet.run_id, best_mlp.run_id}
    ben = next(r for r in rows if r.student == "Ben")
    assert (ben.model, ben.optimizer, ben.lr, ben.batch_size, ben.epochs, ben.accuracy) == (
        "lenet5",
        "adam",
        0.003,
        128,
        1,
        0.987,
    )
    assert next(r for r in rows if r.student == "Eve").accuracy is None
    assert classroom.counts(store.list()) == {"done": 3, "failed": 1, "stopped": 1}
    assert {r.student for r in classroom.finished(rows)} == {"Ana", "Ben", "Dan"}
    assert not classroom.busy(store.list())
    _run(store, "Fay", "queued", None)
    assert classroom.busy(store.list())


def test_password_is_compared_in_constant_time_and_comes_from_secrets_or_env(monkeypatch):
    assert classroom.password_ok("correct horse", "correct horse")
    for wrong in ("", "c", "correct hors", "correct horse ", "x" * 10_000):
        assert not classroom.password_ok(wrong, "correct horse")
    monkeypatch.delenv("MNIST_LAB_TEACHER_PASSWORD", raising=False)
    assert classroom.teacher_password({}) is None
    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", "from-env")
    assert classroom.teacher_password({}) == "from-env"
    assert classroom.teacher_password({"teacher_password": "from-secrets"}) == "from-secrets"


def test_wrong_passwords_slow_down_but_never_lock_out():
    t = classroom.Throttle(first=0.5, cap=4.0)
    assert [t.failed() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    t.succeeded()
    assert t.failed() == 0.5


def test_a_sign_in_waits_after_a_wrong_password_and_resets_after_the_right_one(monkeypatch):
    waited = []
    monkeypatch.setattr(classroom.time, "sleep", waited.append)
    t = classroom.Throttle(first=0.5, cap=4.0)
    assert not t.check("guess", "pw") and not t.check("pw ", "pw") and waited == [0.5, 1.0]
    assert t.check("pw", "pw") and t.failures == 0 and waited == [0.5, 1.0]  # the right one is answered at once


def test_archive_moves_ended_runs_and_deletes_nothing(tmp_path, live_pid):
    store = runs.RunStore(tmp_path)
    ended = [_run(store, "Ana", "done", 0.98), _run(store, "Ben", "failed")]
    training = _run(store, "Cho", "running", pid=live_pid)
    folder, moved = classroom.archive(store, when=0)
    assert moved == 2 and folder == tmp_path / ".archive" / time.strftime("%Y%m%d-%H%M%S", time.localtime(0))
    assert [i.run_id for i in store.list()] == [training.run_id]  # what trains stays on the board
    assert sorted(p.name for p in folder.iterdir()) == sorted(r.run_id for r in ended)
    assert (folder / ended[0].run_id / "config.json").is_file()
    assert classroom.archives(store) == [(folder.name, 2)]


def test_archive_skips_a_run_deleted_since_the_listing(tmp_path, monkeypatch):
    """Another click, or a student's Delete, took a run between the listing and the move."""
    store = runs.RunStore(tmp_path)
    kept, gone = _run(store, "Ana", "done", 0.98), _run(store, "Ben", "done", 0.97)
    listed = store.list()
    store.delete(gone.run_id)
    monkeypatch.setattr(store, "list", lambda: listed)
    folder, moved = classroom.archive(store)
    assert moved == 1 and [p.name for p in folder.iterdir()] == [kept.run_id]


# ---------------------------------------------------------------- the board


def test_board_shows_every_run_with_names_as_text(tiny_mnist, runs_dir):
    store = runs.RunStore(runs_dir)
    html = "<b>Bob</b><script>alert(1)</script>"
    _run(store, html, "done", 0.982, lr=0.02)
    _run(store, "שרה", "done", 0.975, model="mlp")
    at = goto(start(), BOARD)
    assert_ok(at, BOARD)
    table = at.table[0].value  # a plain table in large type, for a projector
    assert html in table[i18n.t("train.col.student")].tolist()  # a plain cell: shown as typed, never run
    assert "שרה" in table[i18n.t("train.col.student")].tolist()
    assert table[i18n.t("board.col.best")].tolist().count("★") == 2
    assert len(at.get("plotly_chart")) == 1  # accuracy against the learning rate (these runs have no curves)
    assert "<script>" not in texts(at.markdown)


def test_board_reads_in_korean_and_says_when_there_is_nothing(tiny_mnist, runs_dir):
    at = goto(start(lang="ko"), BOARD)
    assert_ok(at, BOARD, "ko")
    assert i18n.t("board.empty", "ko") in texts(at.info)


# ---------------------------------------------------------------- names


def test_a_name_is_typed_once_and_kept_in_the_address(tiny_mnist, runs_dir):
    at = start()
    at.sidebar.text_input[0].set_value("  Ana   Kim  ").run()
    assert at.query_params["name"] == "Ana Kim"
    at = goto(at, TRAIN)
    assert at.sidebar.text_input[0].value == "  Ana   Kim  "  # the box keeps what was typed
    reloaded = start(name="Ana Kim")  # a reload opens with ?name= in the address
    assert reloaded.sidebar.text_input[0].value == "Ana Kim"


@pytest.mark.parametrize("typed", ["", "     ", "\u202e\u200b"])
def test_no_run_starts_without_a_name(tiny_mnist, runs_dir, typed):
    at = goto(start(), TRAIN)
    at.sidebar.text_input[0].set_value(typed)
    by_label(at.button, "train.start").click()
    at.run()
    assert i18n.t("error.submit.no_student") in texts(at.warning)
    assert runs.RunStore(runs_dir).list() == []


def test_a_long_name_is_capped(tiny_mnist, runs_dir):
    at = start()
    at.sidebar.text_input[0].set_value("x" * 500).run()
    assert at.query_params["name"] == "x" * runs.STUDENT_MAX


# ---------------------------------------------------------------- no one stops another student's run


def test_a_student_cannot_stop_or_delete_another_students_run(tiny_mnist, runs_dir, live_pid):
    other = _run(runs.RunStore(runs_dir), "Ana", "running", pid=live_pid)
    at = start(name="Ben")
    at.session_state["watch_run"] = other.run_id
    at = goto(at, TRAIN)
    assert_ok(at, TRAIN)
    assert not [b for b in at.button if b.label == i18n.t("train.stop")]
    assert i18n.t("train.not_yours") in texts(at.caption)
    assert not [b for b in at.button if b.label == i18n.t("train.delete_yes")]
    at = goto(at, TEACHER)  # and the teacher's page offers nothing without the password
    assert not at.multiselect and not [b for b in at.button if b.label == i18n.t("teacher.stop")]
    assert not other.stop_requested() and other.status()["state"] == "running"


# ---------------------------------------------------------------- the teacher's page


def test_teacher_page_without_a_password_only_says_how_to_set_one(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.delenv("MNIST_LAB_TEACHER_PASSWORD", raising=False)
    at = goto(start(), TEACHER)
    assert_ok(at, TEACHER)
    assert i18n.t("teacher.no_password").split("`")[0] in texts(at.info)
    assert "teacher_password" in texts(at.code)
    assert not at.text_input[1:] and not at.button and not at.multiselect


def _sign_in(at, password: str):
    [box] = [t for t in at.text_input if t.label == i18n.t("teacher.password")]
    box.set_value(password)
    at.button[0].click()
    return at.run()


def test_wrong_passwords_are_refused_with_a_delay_then_the_right_one_works(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", "s3cret-teacher")
    ui.throttle.clear()
    at = goto(start(), TEACHER)
    throttle = ui.throttle()
    throttle.first = throttle.cap = 0.01  # keep the test quick: the growth itself is tested above
    for guess in ("s3cret", "S3CRET-TEACHER", "s3cret-teacher\n"):
        at = _sign_in(at, guess)
        assert i18n.t("teacher.wrong") in texts(at.error) and not at.multiselect
    assert throttle.failures == 3
    at = _sign_in(at, "s3cret-teacher")  # after many wrong tries: never locked out
    assert_ok(at, TEACHER)
    assert at.multiselect and throttle.failures == 0


def test_teacher_stops_deletes_caps_and_archives(tiny_mnist, runs_dir, monkeypatch, live_pid):
    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", "pw")
    store = runs.RunStore(runs_dir)
    training = _run(store, "Ana", "running", pid=live_pid)
    waiting = store.create(config.make_config("lenet5", "class").to_dict(), student="Ben")
    enqueue(waiting)
    ended = _run(store, "Cho", "done", 0.98)
    at = _sign_in(goto(start(), TEACHER), "pw")
    assert_ok(at, TEACHER)
    assert at.dataframe[0].value[i18n.t("train.col.student")].tolist().count("Ana") == 1
    assert waiting.run_id in texts(at.dataframe)  # the queue is shown

    at.multiselect[0].set_value([training.run_id, waiting.run_id]).run()
    by_label(at.button, "teacher.stop").click()
    at.run()
    assert training.stop_requested()  # its worker stops it after the batch and saves it
    assert waiting.status()["state"] == "stopped" and queued(runs_dir) == []  # left the queue

    at.multiselect[0].set_value([ended.run_id, training.run_id]).run()
    by_label(at.button, "train.delete_yes").click()
    at.run()
    assert not at.exception
    assert {i.run_id for i in store.list()} == {training.run_id, waiting.run_id}  # the training one is refused
    assert training.run_id in texts(at.warning)

    by_label(at.number_input, "teacher.max_epochs").set_value(2)
    by_label(at.number_input, "teacher.per_student").set_value(1)
    by_label(at.button, "teacher.save").click()
    at.run()
    assert ClassSettings.load(runs_dir) == ClassSettings(2, 1)

    by_label(at.button, "teacher.archive").click()
    at.run()
    assert [i.run_id for i in store.list()] == [training.run_id]
    assert i18n.t("teacher.archived", n=1, folder="").split(" ")[0] in texts(at.success)


def test_the_teachers_limits_hold_on_the_train_page(tiny_mnist, runs_dir):
    ClassSettings(max_epochs=2).save(runs_dir)
    at = goto(start(name="Ana"), TRAIN)
    by_label(at.number_input, "train.epochs").set_value(5)
    by_label(at.button, "train.start").click()
    at.run()
    assert i18n.t("error.class.max_epochs", epochs=5, max=2) in texts(at.warning)
    assert runs.RunStore(runs_dir).list() == []


def test_teacher_page_opens_with_limits_edited_by_hand_beyond_its_inputs(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", "pw")
    ClassSettings(max_epochs=500, runs_per_student=99).save(runs_dir)
    at = _sign_in(goto(start(), TEACHER), "pw")
    assert_ok(at, TEACHER)
    values = {n.label: n.value for n in at.number_input}
    assert values[i18n.t("teacher.max_epochs")] == config.MAX_EPOCHS
    assert values[i18n.t("teacher.per_student")] == 50
