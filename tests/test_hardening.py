"""Faults and misuse: out of memory, many runs at once, and what the code must never do."""
import json
import re
import time
from pathlib import Path

import pytest
import torch

from mnist_lab import cli, jobs
from mnist_lab.runs import RunStore

ROOT = Path(__file__).resolve().parent.parent


def test_out_of_memory_fails_the_run_with_a_plain_reason(tiny_mnist, runs_dir, monkeypatch, capsys):
    import mnist_lab.train as train_mod

    def no_memory(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    monkeypatch.setattr(train_mod.F, "cross_entropy", no_memory)
    code = cli.main(["train", "--epochs", "1", "--batch-size", "50", "--runs-dir", str(runs_dir), "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and out["state"] == "failed"
    assert out["reason"].startswith("out of memory on") and "smaller batch size" in out["reason"]
    info = RunStore(runs_dir).list()[0]
    assert info.status == "failed" and info.reason == out["reason"]
    assert "Traceback" in (Path(out["run_dir"]) / "log.txt").read_text()  # details kept for the teacher


def test_many_runs_started_at_once_queue_and_all_finish(tiny_mnist, runs_dir, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "1")
    from mnist_lab.train import make_config
    cfg = make_config("mlp", "fast", epochs=1, batch_size=100).to_dict()
    started = [jobs.start_run(cfg, runs_dir, tiny_mnist) for _ in range(4)]
    t0 = time.time()
    while time.time() - t0 < 240:
        states = [r.status()["state"] for r in started]
        assert states.count("running") <= 1, states  # never more than the limit at once
        if all(s == "done" for s in states):
            break
        assert not {"failed", "interrupted"} & set(states), states
        time.sleep(0.1)
    assert [i.status for i in RunStore(runs_dir).list()] == ["done"] * 4
    spans = sorted((r.status()["started"], r.status()["ended"]) for r in started)
    assert all(a[1] <= b[0] + 0.5 for a, b in zip(spans, spans[1:]))  # one after another


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
    files = [*ROOT.glob("mnist_lab/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("*.py")]
    hits = [f"{f.relative_to(ROOT)}:{i + 1}" for f in files
            for i, line in enumerate(f.read_text().splitlines()) if re.search(pattern, line)]
    assert not hits, f"{what} in {hits}"


def test_streamlit_config_caps_uploads_and_serves_locally():
    import tomllib
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert 0 < cfg["server"]["maxUploadSize"] <= 50
    assert cfg["server"]["address"] in ("localhost", "127.0.0.1")


def test_run_outlives_the_process_that_started_it(tiny_mnist, runs_dir):
    """The app server stops right after starting a run: the run trains on and is found again."""
    import subprocess
    import sys
    code = ("import sys; from mnist_lab import jobs; from mnist_lab.train import make_config; "
            "r = jobs.start_run(make_config('mlp', 'fast', epochs=2, batch_size=50).to_dict(), sys.argv[1], sys.argv[2]); "
            "print(r.run_id)")
    server = subprocess.run([sys.executable, "-c", code, str(runs_dir), str(tiny_mnist)],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    run_id = server.stdout.strip()
    t0 = time.time()
    while time.time() - t0 < 120:  # a "restarted server" reads the same folder
        info = {i.run_id: i for i in RunStore(runs_dir).list()}[run_id]
        if info.status not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert info.status == "done" and info.test_accuracy is not None
