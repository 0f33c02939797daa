"""Run store, checkpoints and the job queue."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mnist_lab import files, runs, settings
from mnist_lab.checkpoints import CheckpointError, ModelMeta, load_model, save_checkpoint
from mnist_lab.errors import LabError
from mnist_lab.jobs.limits import check_session
from mnist_lab.jobs.queue import cancel, claim_next, enqueue, queued, runs_ahead, stop
from mnist_lab.jobs.slots import Slot, free_slots, workers
from mnist_lab.jobs.submit import submit
from mnist_lab.models import build_model
from mnist_lab.runs import RunStore
from tests.helpers import wait_for_state, wait_until


def test_create_list_get(tmp_path):
    store = RunStore(tmp_path)
    a = store.create({"model": "lenet5", "preset": "fast", "epochs": 1})
    a.set_status("running", pid=os.getpid(), started=time.time())
    infos = store.list()
    assert [i.run_id for i in infos] == [a.run_id]
    assert infos[0].status == "running" and infos[0].model == "lenet5"
    assert store.get(a.run_id).config()["preset"] == "fast"
    with pytest.raises(runs.RunNotFound):
        store.get("20000101-000000-nope")


def test_a_class_starting_in_the_same_second_never_shares_or_loses_a_run_id(tmp_path, monkeypatch):
    """Two runs drawing the same id suffix in the same second: the second draws again."""
    store = RunStore(tmp_path)
    drawn, real = iter(["beef", "beef", "beef", "cafe"]), runs.secrets.token_hex
    # only a run id's 2-byte suffix is scripted; the atomic writes' temporary names stay random
    monkeypatch.setattr(runs.secrets, "token_hex", lambda n: next(drawn) if n == 2 else real(n))
    monkeypatch.setattr(runs.time, "strftime", lambda fmt: "20261123-090000")
    a, b = store.create({"model": "mlp"}, "Ana"), store.create({"model": "mlp"}, "Ben")
    assert (a.run_id, b.run_id) == ("20261123-090000-mlp-beef", "20261123-090000-mlp-cafe")
    assert a.status()["student"] == "Ana" and b.status()["student"] == "Ben"
    assert len(store.list()) == 2


@pytest.mark.parametrize("bad", ["../etc", "/etc/passwd", "a/b", "..", ".hidden", "", "x" * 200])
def test_run_ids_cannot_leave_the_runs_folder(tmp_path, bad):
    with pytest.raises(runs.BadRunId, match="invalid run id"):
        RunStore(tmp_path).get(bad)


def test_dead_process_is_marked_interrupted(tmp_path):
    run = RunStore(tmp_path).create({"model": "lenet5"})
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    run.set_status("running", pid=p.pid, updated=0)
    st = json.loads(run.status_path.read_text())
    st["updated"] = time.time() - 60
    run.status_path.write_text(json.dumps(st))
    info = RunStore(tmp_path).list()[0]
    assert info.status == "interrupted" and "ended unexpectedly" in info.reason
    assert run.status()["reason_key"] == "reason.process_gone"  # kept so that a page can translate it


def test_damaged_status_and_half_written_metrics(tmp_path):
    run = RunStore(tmp_path).create({"model": "lenet5"})
    run.status_path.write_text("{not json")
    run.metrics_path.write_text('{"type": "batch", "loss": 1}\n{"type": "batch", "lo')
    assert RunStore(tmp_path).list()[0].status == "interrupted"
    events, offset = run.metrics()
    assert events == [{"type": "batch", "loss": 1}]
    with open(run.metrics_path, "a") as fh:
        fh.write('ss": 2}\n')
    more, _ = run.metrics(offset)
    assert more == [{"type": "batch", "loss": 2}]
    run.status_path.unlink()
    assert run.status()["state"] == "interrupted"


def test_checkpoint_round_trip(tmp_path):
    model = build_model("lenet5")
    path = tmp_path / "c.pt"
    meta = ModelMeta("lenet5", "standardize", 0, "fashion", tuple("abcdefghij"), {"lr": 0.1}, "cpu", 3, 0.5)
    save_checkpoint(path, model, meta)
    loaded, read = load_model(path)
    x = torch.randn(2, 1, 28, 28)
    model.eval()
    assert torch.allclose(loaded(x), model(x)) and read == meta and not loaded.training


def test_meta_of_an_older_checkpoint_gets_the_defaults(tmp_path):
    """A meta written before ModelMeta (a loose dict, some keys missing) is read one way."""
    meta = ModelMeta.from_dict({"model": "simple_cnn", "normalize": "minmax", "dataset": "nope", "classes": None})
    assert (meta.pad, meta.dataset, meta.classes[3], meta.test_accuracy) == (2, "mnist", "3", None)
    with pytest.raises(CheckpointError, match="unknown model"):
        ModelMeta.from_dict({"model": "resnet"})
    with pytest.raises(CheckpointError, match="not an MNIST Lab checkpoint"):
        ModelMeta.from_dict({"model": "mlp", "normalize": "sepia"})


def test_checkpoint_write_failure_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint(path, build_model("lenet5"), ModelMeta("lenet5"))
    before = path.read_bytes()

    def broken_save(obj, fh):
        fh.write(b"half a checkpoint")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, build_model("lenet5"), ModelMeta("lenet5"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    load_model(path)


class Payload:
    """Unpickling this would create a file: the proof that code ran."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_pickle_with_code_does_not_run(tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"state_dict": Payload(str(target)), "meta": {"model": "lenet5"}}, fh)
    with pytest.raises(CheckpointError, match="refused"):
        load_model(path)
    assert not target.exists()


def test_other_architecture_and_truncated(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, build_model("mlp"), ModelMeta("lenet5"))
    with pytest.raises(CheckpointError, match="do not fit the lenet5"):
        load_model(path)
    save_checkpoint(path, build_model("lenet5"), ModelMeta("lenet5"))
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="damaged"):
        load_model(path)
    with pytest.raises(CheckpointError, match="no such"):
        load_model(tmp_path / "missing.pt")


def test_slots_limit_concurrency(tmp_path):
    a, b = Slot(tmp_path, 1), Slot(tmp_path, 1)
    assert a.try_acquire() and not b.try_acquire()
    a.release()
    assert b.try_acquire()
    b.release()


@pytest.mark.slow
def test_jobs_train_queue_and_stop(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    quick = ("lenet5", "fast", {"epochs": 2, "batch_size": 50})
    done = submit(*quick, runs_dir=runs_dir, data_root=tiny_mnist)
    st = wait_for_state(done, ("done", "failed"), 60)
    assert st["state"] == "done" and st["test_accuracy"] is not None, done.log_path.read_text()
    assert done.checkpoint_path().exists()
    from mnist_lab import sidefiles

    assert sidefiles.beside(done.checkpoint_path(), sidefiles.PREDICTIONS).is_file()  # the Mistakes page opens on these
    events, _ = done.metrics()
    assert [e["type"] for e in events].count("epoch") == 2 and events[-1]["type"] == "end"

    long = submit("lenet5", "seed003", {"epochs": 200, "batch_size": 1}, runs_dir=runs_dir, data_root=tiny_mnist)
    wait_for_state(long, ("running",), 60)
    [worker] = wait_until(
        lambda: [w for w in workers(runs_dir) if w.run_id == long.run_id], what="the worker's card to name its run"
    )
    waiting = submit(*quick, runs_dir=runs_dir, data_root=tiny_mnist)
    # one slot, and the worker training the long run holds it: a worker claims runs only while it holds a
    # slot, so nothing can have claimed this one, now or while the long run trains
    assert worker.slot == 0 and free_slots(runs_dir, 1) == 0
    assert waiting.status()["state"] == "queued" and queued(runs_dir) == [waiting.run_id]
    stop(waiting)
    st = wait_for_state(waiting, ("stopped", "failed", "done"), 60)
    assert st["state"] == "stopped" and "before it started" in st["reason"]
    stop(long)
    st = wait_for_state(long, ("stopped", "failed"), 60)
    assert st["state"] == "stopped"
    load_model(long.checkpoint_path())
    assert {i.status for i in RunStore(runs_dir).list()} == {"done", "stopped"}


@pytest.mark.slow
def test_killed_training_is_reported_and_checkpoint_survives(tiny_mnist, runs_dir):
    run = submit("lenet5", "seed003", {"epochs": 200, "batch_size": 4}, runs_dir=runs_dir, data_root=tiny_mnist)
    wait_until(run.checkpoint_path().exists, 60, what="a first checkpoint")
    pid = run.status()["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not runs.pid_alive(pid), 30, what=f"the killed worker {pid} to be gone")
    info = RunStore(runs_dir).list()[0]
    assert info.status == "interrupted" and "ended unexpectedly" in info.reason
    assert run.status()["reason_key"] == "reason.process_gone_kept"
    load_model(run.checkpoint_path())


def test_queue_is_first_come_first_served(tmp_path):
    """Workers take runs in the order they were created, whatever order they were queued in."""
    store = RunStore(tmp_path)
    a, b, c = (store.create({"model": "mlp"}) for _ in range(3))
    for run in (c, a, b):
        enqueue(run)
    assert queued(tmp_path) == [a.run_id, b.run_id, c.run_id]
    assert [runs_ahead(r) for r in (a, b, c)] == [0, 1, 2]
    claimed = claim_next(tmp_path, os.getpid())
    assert claimed.run_id == a.run_id and a.status()["state"] == "running" and a.status()["pid"] == os.getpid()
    assert runs_ahead(a) is None and runs_ahead(c) == 1


def test_claiming_skips_what_left_the_queue(tmp_path):
    """A deleted run, a run stopped while it waited, or a stale ticket block nobody."""
    store = RunStore(tmp_path)
    gone, stopped, waiting = (store.create({"model": "mlp"}) for _ in range(3))
    for run in (gone, stopped, waiting):
        enqueue(run)
    gone.set_status("done")
    store.delete(gone.run_id)
    stopped.request_stop()  # a STOP that raced with the queue: cancelled, never trained
    assert claim_next(tmp_path, os.getpid()).run_id == waiting.run_id
    assert stopped.status()["state"] == "stopped" and "before it started" in stopped.status()["reason"]
    assert queued(tmp_path) == [] and claim_next(tmp_path, os.getpid()) is None


def test_cancelled_while_queued_leaves_no_ticket(tmp_path):
    run = RunStore(tmp_path).create({"model": "mlp"})
    enqueue(run)
    assert run.reconcile()["state"] == "queued"  # waiting owns no process, and that is fine
    assert cancel(run) and run.status()["state"] == "stopped"
    assert queued(tmp_path) == [] and not cancel(run)
    lost = RunStore(tmp_path).create({"model": "mlp"})  # queued, but never reached the queue
    st = json.loads(lost.status_path.read_text())
    st["updated"] = time.time() - 60
    lost.status_path.write_text(json.dumps(st))
    assert lost.reconcile()["state"] == "interrupted"


def test_slots_are_counted_without_taking_them(tmp_path):
    held = Slot(tmp_path, 3)
    assert held.try_acquire() and held.index == 0
    assert free_slots(tmp_path, 3) == 2 and free_slots(tmp_path, 3) == 2  # counting frees them again
    held.release()
    assert free_slots(tmp_path, 3) == 3


def test_class_caps_refuse_a_run_before_it_is_queued(tmp_path, tiny_mnist, monkeypatch):
    from mnist_lab.jobs.launchers import Launcher
    from mnist_lab.jobs.limits import ClassSettings, SubmitRefused

    ClassSettings(max_epochs=2, runs_per_student=1).save(tmp_path)
    assert ClassSettings.load(tmp_path) == ClassSettings(2, 1)
    monkeypatch.setattr(Launcher, "ensure_workers", lambda self: 0)  # queue only: no training in this test

    def start(epochs: int, student: str):
        return submit("mlp", "fast", {"epochs": epochs}, student=student, runs_dir=tmp_path, data_root=tiny_mnist)

    with pytest.raises(SubmitRefused, match="at most 2 epoch"):
        start(3, "Ana")
    start(2, "Ana")
    with pytest.raises(SubmitRefused, match="already have 1 run"):
        start(1, "Ana")
    start(1, "Ben")  # the cap is per student
    assert [i.student for i in RunStore(tmp_path).list()] == ["Ben", "Ana"]


@pytest.mark.parametrize(
    "raw, kept",
    [
        ("  Ana   Kim ", "Ana Kim"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # kept as text: pages never render it
        ("\u202eevil\u202c name", "evil name"),  # no bidi override to reorder the page
        ("שלום", "שלום"),  # right-to-left letters are fine
        ("x" * 500, "x" * 40),
        ("김\n민\t준", "김 민 준"),
    ],
)
def test_student_names_are_one_short_line_of_text(raw, kept):
    assert runs.student_name(raw) == kept


@pytest.mark.parametrize("raw", ["", "   ", "\u200b\u202e", None])
def test_an_empty_student_name_is_refused(raw):
    with pytest.raises(LabError, match="type your name"):
        runs.student_name(raw)


def test_delete_refuses_active_runs_and_removes_ended_ones(tmp_path):
    store = RunStore(tmp_path)
    active = store.create({"model": "mlp"})
    active.set_status("running", pid=os.getpid())  # a live process
    with pytest.raises(runs.RunActive, match="stop it first"):
        store.delete(active.run_id)
    assert active.path.is_dir()
    ended = store.create({"model": "mlp"})
    ended.set_status("done")
    store.delete(ended.run_id)
    assert [i.run_id for i in store.list()] == [active.run_id]
    assert sorted(p.name for p in tmp_path.iterdir()) == [active.run_id]  # nothing half-deleted left
    with pytest.raises(runs.BadRunId, match="invalid run id"):
        store.delete("../" + tmp_path.name)
    with pytest.raises(runs.RunNotFound):
        store.delete(ended.run_id)


def test_a_run_is_never_listed_without_its_status(tmp_path, monkeypatch):
    """Another session lists the runs while one is being created: it must not see 'interrupted'."""
    store, seen = RunStore(tmp_path), []
    real = files.atomic_write_json

    def listing_after_each_write(path, obj):
        real(path, obj)
        seen.extend((i.status, i.reason) for i in store.list())

    monkeypatch.setattr(runs, "atomic_write_json", listing_after_each_write)
    store.create({"model": "mlp"})
    assert seen == [("queued", None)]  # listed once, when config.json was written, already queued


def test_threads_writing_one_status_never_damage_it(tmp_path):
    """Sessions of one server (threads of one process) may write a run's status at the same moment."""
    import threading

    run = RunStore(tmp_path).create({"model": "mlp"})
    stop, damaged = threading.Event(), []

    def writer(k):
        for i in range(40):
            run.set_status("queued", note=f"{k}-{i}")

    def reader():
        while not stop.is_set():
            if run.status().get("reason") == "status.json is missing or damaged":
                damaged.append(1)

    r = threading.Thread(target=reader)
    r.start()
    writers = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    r.join()
    assert not damaged
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [run.run_id]
    assert sorted(p.name for p in run.path.iterdir()) == ["config.json", "status.json"]  # no temp files left


def test_a_session_may_start_only_so_many_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_RUNS_PER_SESSION", "2")
    store = RunStore(tmp_path)
    mine = [store.create({"model": "mlp"}) for _ in range(3)]
    for run, state in zip(mine, ("running", "done", "done")):
        run.set_status(state, pid=os.getpid())
    check_session([r.run_id for r in mine], tmp_path)  # one active: room for more
    mine[1].set_status("queued", pid=os.getpid())
    ids = [r.run_id for r in mine] + ["deleted-run", "../x"]
    with pytest.raises(LabError) as refused:
        check_session(ids, tmp_path)
    assert refused.value.params == {"n": 2, "runs": f"{mine[0].run_id}, {mine[1].run_id}"}


def _proc_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_process_is_alive_until_its_last_thread_has_gone():
    """A killed worker's main thread turns zombie while its other threads still hold its files (the
    training slot's lock): until they have gone it is not dead, so no one counts its slot as free."""
    code = (
        "import ctypes, threading, time; threading.Thread(target=time.sleep, args=(60,)).start(); "
        "time.sleep(0.2); ctypes.CDLL(None).pthread_exit(None)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        wait_until(lambda: _proc_state(proc.pid) == "Z", 30, 0.05, what="the main thread to end")
        assert len(os.listdir(f"/proc/{proc.pid}/task")) == 2
        assert runs.pid_alive(proc.pid)  # its main thread is a zombie, its other thread lives on
        proc.kill()
        wait_until(lambda: len(os.listdir(f"/proc/{proc.pid}/task")) == 1, 30, 0.05, what="the other thread to end")
        assert not runs.pid_alive(proc.pid)  # a zombie with nothing left: it has ended, its parent not yet told
    finally:
        proc.kill()
        proc.wait()
    assert not runs.pid_alive(proc.pid)


def test_a_run_claimed_while_it_is_reconciled_is_not_called_lost(tmp_path, monkeypatch):
    """The page lists the runs (reconciling each) at the moment a worker claims one: the worker marks
    it running, then removes its ticket. The listing must not overwrite that with 'interrupted'."""
    store = RunStore(tmp_path)
    run = store.create({"model": "mlp"}, "Ana")
    enqueue(run)
    st = run.status()
    files.atomic_write_json(run.status_path, {**st, "updated": st["updated"] - 60})  # queued for a minute
    real_ticket = runs.Run.ticket

    def ticket_after_a_claim(self):
        if self.run_id == run.run_id and real_ticket(self) is not None:
            assert claim_next(tmp_path, os.getpid()).run_id == run.run_id  # the worker, just then
        return real_ticket(self)

    monkeypatch.setattr(runs.Run, "ticket", ticket_after_a_claim)
    [info] = store.list()
    assert info.status == "running" and run.status()["pid"] == os.getpid()
    assert "ended" not in run.status() and run.status().get("reason_key") is None


def test_a_run_that_lost_its_ticket_long_ago_is_interrupted(tmp_path):
    store = RunStore(tmp_path)
    run = store.create({"model": "mlp"}, "Ana")  # never enqueued: its folder copied in by hand, say
    st = run.status()
    files.atomic_write_json(run.status_path, {**st, "updated": st["updated"] - 60})
    assert run.reconcile()["reason_key"] == "reason.not_in_queue"
    assert run.status()["state"] == "interrupted" and "ended" in run.status()


DEFAULT_IDLE = settings.Settings.from_env({}).worker_idle


@pytest.mark.parametrize(("value", "idle"), [("ten", DEFAULT_IDLE), ("", DEFAULT_IDLE), ("2.5", 2.5)])
def test_a_mistyped_worker_setting_falls_back_instead_of_stopping_every_worker(tmp_path, monkeypatch, value, idle):
    from mnist_lab.worker import Worker

    monkeypatch.setenv("MNIST_LAB_WORKER_IDLE", value)
    assert Worker(tmp_path).idle_s == idle


def test_a_stray_file_in_the_queue_folder_is_not_a_ticket(tmp_path):
    store = RunStore(tmp_path)
    run = store.create({"model": "mlp"}, "Ana")
    enqueue(run)
    (tmp_path / ".queue" / "README").write_text("put here by hand")
    assert queued(tmp_path) == [run.run_id]
    assert claim_next(tmp_path, os.getpid()).run_id == run.run_id
