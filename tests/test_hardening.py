"""Faults and misuse: out of memory, many runs at once, and what the code must never do."""

import itertools
import json
import re
from pathlib import Path

import pytest
import torch

from mnist_lab import cli
from mnist_lab.config import make_config
from mnist_lab.jobs.queue import runs_ahead, stop
from mnist_lab.jobs.slots import workers
from mnist_lab.jobs.submit import submit
from mnist_lab.runs import RunStore
from tests.helpers import wait_for_state, wait_until

ROOT = Path(__file__).resolve().parent.parent


def test_out_of_memory_fails_the_run_with_a_plain_reason(tiny_mnist, runs_dir, monkeypatch, capsys):
    """What a worker (or a cluster job) does with a run, in this process, with the loss out of memory."""
    import mnist_lab.train as train_mod

    def no_memory(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(train_mod.F, "cross_entropy", no_memory)
    run = RunStore(runs_dir).create(make_config("lenet5", "fast", epochs=1, batch_size=50).to_dict())
    code = cli.main(["train", "--run-dir", str(run.path), "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and out["state"] == "failed"
    assert out["reason"].startswith("out of memory on") and "smaller batch size" in out["reason"]
    info = RunStore(runs_dir).list()[0]
    assert info.status == "failed" and info.reason == out["reason"]
    assert RunStore(runs_dir).get(info.run_id).status()["reason_key"] == "reason.out_of_memory"
    assert "Traceback" in run.log_path.read_text()  # details kept for the teacher


@pytest.mark.slow
def test_many_runs_started_at_once_queue_and_all_finish(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    quick = {"epochs": 1, "batch_size": 100}
    started = [submit("mlp", "fast", quick, runs_dir=runs_dir, data_root=tiny_mnist) for _ in range(4)]

    def all_done() -> bool:
        # newest first, because the reads are not one snapshot: read oldest first, a run seen running just
        # before it ended and the next one, claimed a moment later, looked like two at once. An older run
        # has ended before a newer one starts, so read after it, it can no longer be seen running.
        states = [r.status()["state"] for r in reversed(started)]
        assert states.count("running") <= 1, states  # never more than the limit at once
        assert not {"failed", "interrupted"} & set(states), states
        return all(s == "done" for s in states)

    wait_until(all_done, 240, 0.1, what=lambda: f"all four runs to be done: {[r.status() for r in started]}")
    assert [i.status for i in RunStore(runs_dir).list()] == ["done"] * 4
    spans = sorted((r.status()["started"], r.status()["ended"]) for r in started)
    assert all(a[1] <= b[0] + 0.5 for a, b in itertools.pairwise(spans))  # one after another


FORBIDDEN = [
    (r"torch\.load\((?![^)]*weights_only=True)", "torch.load without weights_only=True"),
    (r"\bpickle\.loads?\(", "pickle.load"),
    (r"(?<![\w.])eval\(|(?<![\w.])exec\(", "eval/exec"),
    (r"shell\s*=\s*True", "subprocess with a shell string"),
    (r"os\.system\(|os\.popen\(", "os.system / os.popen"),
    (r"allow_pickle\s*=\s*True", "numpy allow_pickle"),
]


@pytest.mark.parametrize("pattern, what", FORBIDDEN)
def test_no_unsafe_calls_in_the_product(pattern, what):
    files = [*ROOT.glob("mnist_lab/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("app_pages/*.py"), *ROOT.glob("*.py")]
    hits = [
        f"{f.relative_to(ROOT)}:{i + 1}"
        for f in files
        for i, line in enumerate(f.read_text().splitlines())
        if re.search(pattern, line)
    ]
    assert not hits, f"{what} in {hits}"


def test_streamlit_config_caps_uploads_and_serves_locally():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert 0 < cfg["server"]["maxUploadSize"] <= 50
    assert cfg["server"]["address"] in ("localhost", "127.0.0.1")


def test_server_does_not_walk_every_object_after_every_rerun():
    """Streamlit's full GC after each rerun cost ~150 ms of a core per stroke (80% of a Draw rerun);
    with 30 students it was the server's main work. It is off, and import-time objects are frozen."""
    import gc

    import tomllib
    from streamlit import config

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["runner"]["postScriptGC"] is False
    assert config.get_option("runner.postScriptGC") in (True, False)  # the option exists in this Streamlit
    import ui
    from mnist_lab import tasks

    ui.server_setup.clear()
    tasks.forget("server setup")
    task = ui.server_setup()  # what app.py starts once per server process, in the background
    assert task.wait(300) and task.error is None
    assert gc.get_freeze_count() > 50_000


@pytest.mark.slow
def test_run_outlives_the_process_that_started_it(tiny_mnist, runs_dir):
    """The app server stops right after starting a run: the run trains on and is found again."""
    import subprocess
    import sys

    code = (
        "import sys; from mnist_lab.jobs.submit import submit; "
        "r = submit('mlp', 'fast', {'epochs': 2, 'batch_size': 50}, runs_dir=sys.argv[1], data_root=sys.argv[2]); "
        "print(r.run_id)"
    )
    server = subprocess.run(
        [sys.executable, "-c", code, str(runs_dir), str(tiny_mnist)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    run_id = server.stdout.strip()

    def ended():  # as a "restarted server" reads the same folder
        info = {i.run_id: i for i in RunStore(runs_dir).list()}[run_id]
        return info if info.status not in ("queued", "running") else None

    info = wait_until(ended, 120, 0.3, what=f"run {run_id} to end")
    assert info.status == "done" and info.test_accuracy is not None


def _rss_mb_and_torch(pid: int) -> tuple[float, bool]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return rss_kb / 1024, "libtorch" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.slow
def test_queued_runs_cost_no_process_and_workers_load_torch_once(tiny_mnist, runs_dir, monkeypatch):
    """A class presses Start together: waiting runs are files, each slot's worker imports torch once
    and trains the runs in the order they were started."""
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    long = submit("lenet5", "seed003", {"epochs": 200, "batch_size": 1}, runs_dir=runs_dir, data_root=tiny_mnist)
    wait_for_state(long, ("running",))
    # the worker names its run on its card just after claiming it, and imports torch only then: its
    # memory is measured once the run trains (on a busy machine the import takes seconds)
    [worker] = wait_until(lambda: [w for w in workers(runs_dir) if w.run_id == long.run_id], what="its card")
    wait_until(lambda: any(e["type"] == "batch" for e in long.metrics()[0]), what="the long run's first batch")
    quick = {"epochs": 1, "batch_size": 50}
    waiting = [submit("mlp", "fast", quick, runs_dir=runs_dir, data_root=tiny_mnist) for _ in range(3)]
    try:
        assert [r.status()["state"] for r in waiting] == ["queued"] * 3
        assert all(r.status().get("pid") is None for r in waiting)  # no process of their own
        assert workers(runs_dir) == [worker] and worker.pid == long.status()["pid"]
        mb, has_torch = _rss_mb_and_torch(worker.pid)
        assert has_torch and mb > 150
        assert [runs_ahead(r) for r in waiting] == [0, 1, 2]  # first come, first served
    finally:
        stop(long)

    def all_ended() -> list[str] | None:
        states = [r.status()["state"] for r in [long, *waiting]]
        return None if {"queued", "running"} & set(states) else states

    states = wait_until(all_ended, 180, 0.3, what="every run to end")
    assert states == ["stopped", "done", "done", "done"], states
    assert {r.status()["pid"] for r in [long, *waiting]} == {worker.pid}  # one worker, one torch import
    started = [r.status()["started"] for r in waiting]
    assert started == sorted(started)  # they trained in the order they were started
