"""Run store, checkpoints and the job queue."""
import json
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest
import torch

from mnist_lab import jobs, runs
from mnist_lab.models import build_model
from mnist_lab.runs import CheckpointError, RunStore


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


@pytest.mark.parametrize("bad", ["../etc", "/etc/passwd", "a/b", "..", ".hidden", "", "x" * 200])
def test_run_ids_cannot_leave_the_runs_folder(tmp_path, bad):
    with pytest.raises(ValueError):
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
    runs.save_checkpoint(path, model, {"model": "lenet5", "normalize": "standardize", "pad": 0})
    loaded, meta = runs.load_model(path)
    x = torch.randn(2, 1, 28, 28)
    model.eval()
    assert torch.allclose(loaded(x), model(x)) and meta["normalize"] == "standardize"


def test_checkpoint_write_failure_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    runs.save_checkpoint(path, build_model("lenet5"), {"model": "lenet5", "normalize": "minmax", "pad": 0})
    before = path.read_bytes()

    def broken_save(obj, fh):
        fh.write(b"half a checkpoint")
        raise OSError("No space left on device")
    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        runs.save_checkpoint(path, build_model("lenet5"), {"model": "lenet5"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    runs.load_model(path)


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
        runs.load_model(path)
    assert not target.exists()


def test_other_architecture_and_truncated(tmp_path):
    path = tmp_path / "c.pt"
    runs.save_checkpoint(path, build_model("mlp"), {"model": "lenet5", "normalize": "minmax", "pad": 0})
    with pytest.raises(CheckpointError, match="do not fit the lenet5"):
        runs.load_model(path)
    runs.save_checkpoint(path, build_model("lenet5"), {"model": "lenet5"})
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="damaged"):
        runs.load_model(path)
    with pytest.raises(CheckpointError, match="no such"):
        runs.load_model(tmp_path / "missing.pt")


def test_slots_limit_concurrency(tmp_path):
    a, b = jobs.Slot(tmp_path, 1), jobs.Slot(tmp_path, 1)
    assert a.try_acquire() and not b.try_acquire()
    a.release()
    assert b.try_acquire()
    b.release()


def _wait(run, states, timeout=60):
    t = time.time()
    while time.time() - t < timeout:
        st = run.status()
        if st["state"] in states:
            return st
        time.sleep(0.2)
    raise AssertionError(f"run stayed {run.status()} (log: {run.log_path.read_text() if run.log_path.exists() else ''})")


def test_jobs_train_queue_and_stop(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    from mnist_lab.train import make_config
    quick = make_config("lenet5", "fast", epochs=2, batch_size=50).to_dict()
    done = jobs.start_run(quick, runs_dir, tiny_mnist)
    st = _wait(done, ("done", "failed"))
    assert st["state"] == "done" and st["test_accuracy"] is not None, done.log_path.read_text()
    assert done.checkpoint_path().exists()
    events, _ = done.metrics()
    assert [e["type"] for e in events].count("epoch") == 2 and events[-1]["type"] == "end"

    long = jobs.start_run(make_config("lenet5", "seed003", epochs=200, batch_size=1).to_dict(), runs_dir, tiny_mnist)
    _wait(long, ("running",))
    queued = jobs.start_run(quick, runs_dir, tiny_mnist)
    time.sleep(3)
    assert queued.status()["state"] == "queued"  # one slot, and it is taken
    jobs.stop_run(queued)
    st = _wait(queued, ("stopped", "failed", "done"))
    assert st["state"] == "stopped" and "before it started" in st["reason"]
    jobs.stop_run(long)
    st = _wait(long, ("stopped", "failed"))
    assert st["state"] == "stopped"
    runs.load_model(long.checkpoint_path())
    assert {i.status for i in RunStore(runs_dir).list()} == {"done", "stopped"}


def test_killed_training_is_reported_and_checkpoint_survives(tiny_mnist, runs_dir):
    from mnist_lab.train import make_config
    run = jobs.start_run(make_config("lenet5", "seed003", epochs=200, batch_size=4).to_dict(), runs_dir, tiny_mnist)
    t = time.time()
    while not run.checkpoint_path().exists() and time.time() - t < 60:
        time.sleep(0.2)
    os.kill(run.status()["pid"], signal.SIGKILL)
    time.sleep(0.5)
    info = RunStore(runs_dir).list()[0]
    assert info.status == "interrupted" and "ended unexpectedly" in info.reason
    runs.load_model(run.checkpoint_path())


def test_queue_is_first_come_first_served(tmp_path):
    """Runs get the slot in the order they were created, whatever order their processes ask in."""
    import threading
    store = RunStore(tmp_path)
    a, b, c = (store.create({"model": "mlp"}) for _ in range(3))
    busy = jobs.Slot(tmp_path, 1)
    assert busy.try_acquire()   # a run is training
    order, threads = [], []

    def waiter(run):
        slot = jobs.wait_for_slot(run, 1, lambda: False, poll=0.05)
        order.append(run.run_id)
        time.sleep(0.2)
        slot.release()

    for run in (c, b, a):   # the newest asks first
        threads.append(threading.Thread(target=waiter, args=(run,)))
        threads[-1].start()
        time.sleep(0.1)
    assert [jobs.runs_ahead(r) for r in (a, b, c)] == [0, 1, 2]
    # a ticket left by a waiter that was killed blocks nobody
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / ".queue" / f"{0:020d}-gone").write_text(str(dead.pid))
    assert jobs.runs_ahead(a) == 0 and not (tmp_path / ".queue" / f"{0:020d}-gone").exists()
    # so does one whose waiter died before writing its pid (an empty file, once it is not new)
    empty = tmp_path / ".queue" / f"{1:020d}-empty"
    empty.touch()
    assert jobs.runs_ahead(a) == 1   # just written: it may be a waiter writing its pid right now
    os.utime(empty, (time.time() - 60, time.time() - 60))
    assert jobs.runs_ahead(a) == 0 and not empty.exists()
    busy.release()
    for t in threads:
        t.join(10)
    assert order == [a.run_id, b.run_id, c.run_id]
    assert list((tmp_path / ".queue").iterdir()) == []   # no tickets left behind


def test_cancelled_while_queued_leaves_no_ticket(tmp_path):
    run = RunStore(tmp_path).create({"model": "mlp"})
    busy = jobs.Slot(tmp_path, 1)
    assert busy.try_acquire()
    calls = []
    assert jobs.wait_for_slot(run, 1, lambda: len(calls) > 2 or calls.append(1), poll=0.01) is None
    assert list((tmp_path / ".queue").iterdir()) == []


def test_delete_refuses_active_runs_and_removes_ended_ones(tmp_path):
    store = RunStore(tmp_path)
    active = store.create({"model": "mlp"})
    active.set_status("running", pid=os.getpid())   # a live process
    with pytest.raises(runs.RunActive, match="stop it first"):
        store.delete(active.run_id)
    assert active.path.is_dir()
    ended = store.create({"model": "mlp"})
    ended.set_status("done")
    store.delete(ended.run_id)
    assert [i.run_id for i in store.list()] == [active.run_id]
    assert sorted(p.name for p in tmp_path.iterdir()) == [active.run_id]   # nothing half-deleted left
    with pytest.raises(ValueError, match="invalid run id"):
        store.delete("../" + tmp_path.name)
    with pytest.raises(runs.RunNotFound):
        store.delete(ended.run_id)


def test_a_run_is_never_listed_without_its_status(tmp_path, monkeypatch):
    """Another session lists the runs while one is being created: it must not see 'interrupted'."""
    store, seen = RunStore(tmp_path), []
    real = runs.atomic_write_json

    def listing_after_each_write(path, obj):
        real(path, obj)
        seen.extend((i.status, i.reason) for i in store.list())
    monkeypatch.setattr(runs, "atomic_write_json", listing_after_each_write)
    store.create({"model": "mlp"})
    assert seen == [("queued", None)]   # listed once, when config.json was written, already queued


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
