"""A whole class presses Start at once (not a test): N `mnist-lab submit` started at the same moment.

Measures, from the first submit: how long until every run has ended, each run's test accuracy, how
long a submit takes to return, and the workers' memory. The goal on a 2-core machine: 30 runs of
`--model lenet5 --preset class`, all "done" within 180 s, each at 98.5% or more.

    python -m bench.bench_class --data ../shared/datasets                      # 30 runs, this checkout
    python -m bench.bench_class --data ../shared/datasets --slots 1 --threads 2  # slots x threads
    python -m bench.bench_class --data ../shared/datasets --compare-with /tmp/old-checkout

--compare-with runs the same recipe through another checkout of the project that predates `submit`
and the class preset (its app started one process per run, with `jobs.start_run`, and one slot on a
CPU), right after this one, on the same machine, so the two figures are side by side.
--recipes instead trains candidate recipes for the preset one after another and prints their
accuracy and time (one worker thread, as a slot trains).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_app import dist

ROOT = Path(__file__).resolve().parent.parent
# the class preset's recipe, spelled out so that an older checkout (without the preset) trains the same
RECIPE = dict(optimizer="adam", lr=0.01, batch_size=128, epochs=1, normalize="standardize", schedule="onecycle")
OLD_START = """
import json, sys
from mnist_lab import jobs
from mnist_lab.config import make_config
cfg = make_config("lenet5", "fast", **json.loads(sys.argv[3])).to_dict()
print(jobs.start_run(cfg, sys.argv[1], sys.argv[2]).run_id)
"""


def submit_all(checkout: Path, runs: Path, data: str, n: int, env: dict, old: bool) -> tuple[float, list, list]:
    """Start n submits at the same moment; (t0, run ids, seconds each submit took to return)."""
    if old:
        cmd = [sys.executable, "-c", OLD_START, str(runs), data, json.dumps(RECIPE)]
    else:
        cmd = [
            sys.executable,
            "-m",
            "mnist_lab",
            "submit",
            "--model",
            "lenet5",
            "--preset",
            "class",
            "--runs-dir",
            str(runs),
            "--data",
            data,
            "--json",
        ]
    t0 = time.time()
    procs = [
        subprocess.Popen(
            [*cmd, *([] if old else ["--student", f"student {i + 1:02d}"])],
            cwd=checkout,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    ids, took = [], []
    for p in procs:
        out, err = p.communicate(timeout=300)
        took.append(time.time() - t0)
        if p.returncode != 0:
            raise SystemExit(f"submit failed: {err[-1500:]}")
        line = out.strip().splitlines()[-1]
        ids.append(line if old else json.loads(line)["run_id"])
    return t0, ids, took


def wait_all(runs: Path, ids: list[str], t0: float, timeout: float) -> dict:
    """Poll the run folders until every run has ended; the end time, state and accuracy of each."""
    ended: dict[str, dict] = {}
    peak_rss = 0
    while len(ended) < len(ids) and time.time() - t0 < timeout:
        for run_id in ids:
            if run_id in ended:
                continue
            try:
                st = json.loads((runs / run_id / "status.json").read_text())
            except (OSError, ValueError):
                continue
            if st.get("state") in ("done", "stopped", "failed", "interrupted"):
                ended[run_id] = {
                    "state": st["state"],
                    "acc": st.get("test_accuracy"),
                    "at": time.time() - t0,
                    "reason": st.get("reason"),
                }
        peak_rss = max(peak_rss, training_rss_mb(runs))
        time.sleep(0.5)
    return {"ended": ended, "peak_training_rss_mb": round(peak_rss)}


def training_rss_mb(runs: Path) -> float:
    """Resident memory of every process training or waiting for this runs folder (workers, or the old
    one-process-per-run children)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if "mnist_lab" not in cmdline or str(runs) not in cmdline:
                continue
            status = (proc / "status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


def one_class(checkout: Path, data: str, n: int, env: dict, old: bool, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="mnist_lab_class_") as tmp:
        runs = Path(tmp) / "runs"
        t0, ids, took = submit_all(checkout, runs, data, n, env, old)
        res = wait_all(runs, ids, t0, timeout)
        kill_workers(runs)
    ends = res["ended"]
    accs = [e["acc"] for e in ends.values() if e["acc"] is not None]
    done = [e for e in ends.values() if e["state"] == "done"]
    return {
        "checkout": str(checkout),
        "launcher": "one process per run (before)" if old else "workers (submit)",
        "runs": n,
        "ended": len(ends),
        "done": len(done),
        "all_done_s": round(max(e["at"] for e in ends.values()), 1) if len(ends) == n else None,
        "first_done_s": round(min(e["at"] for e in ends.values()), 1) if ends else None,
        "accuracy_min": min(accs) if accs else None,
        "accuracy_mean": round(sum(accs) / len(accs), 4) if accs else None,
        "below_98_5": sum(a < 0.985 for a in accs),
        "submit_return_s": dist(took),
        "peak_training_rss_mb": res["peak_training_rss_mb"],
        "not_done": [e for e in ends.values() if e["state"] != "done"][:3],
        "slots": env.get("MNIST_LAB_MAX_RUNS", "default"),
        "threads": env.get("MNIST_LAB_TRAIN_THREADS", "default"),
    }


def kill_workers(runs: Path) -> None:
    import signal

    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(runs) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue


def recipes(data: str) -> list[dict]:
    """Candidate recipes for the class preset, trained one by one on one thread (as a worker slot does)."""
    import torch

    from mnist_lab.config import make_config
    from mnist_lab.data import load_dataset
    from mnist_lab.train import train

    torch.set_num_threads(1)
    ds = load_dataset("mnist", data, download=False)
    out = []
    for batch, lr, opt in (
        (64, 0.005, "adam"),
        (128, 0.01, "adam"),
        (128, 0.005, "adam"),
        (256, 0.01, "adam"),
        (128, 0.05, "sgd"),
    ):
        t = time.perf_counter()
        end = train(make_config("lenet5", "class", batch_size=batch, lr=lr, optimizer=opt), ds)
        out.append(
            {
                "batch_size": batch,
                "lr": lr,
                "optimizer": opt,
                "test_accuracy": end["test_accuracy"],
                "seconds": round(time.perf_counter() - t, 1),
                "images_per_s": round(end["images_per_second"]),
            }
        )
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "../shared/datasets"))
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--slots", type=int, help="MNIST_LAB_MAX_RUNS for this checkout (default: its own default)")
    p.add_argument("--threads", type=int, help="MNIST_LAB_TRAIN_THREADS for this checkout")
    p.add_argument("--compare-with", metavar="CHECKOUT", help="also run the same class through an older checkout")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--recipes", action="store_true", help="compare candidate recipes for the class preset instead")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args()
    data = str(Path(args.data).resolve())
    if args.recipes:
        results = recipes(data)
    else:
        env = {**os.environ}
        env.pop("MNIST_LAB_RAY_ADDRESS", None)
        if args.slots:
            env["MNIST_LAB_MAX_RUNS"] = str(args.slots)
        if args.threads:
            env["MNIST_LAB_TRAIN_THREADS"] = str(args.threads)
        results = [one_class(ROOT, data, args.runs, env, old=False, timeout=args.timeout)]
        print(json.dumps(results[-1]), flush=True)
        if args.compare_with:
            old_env = {k: v for k, v in os.environ.items() if not k.startswith("MNIST_LAB_")}
            results.append(
                one_class(Path(args.compare_with).resolve(), data, args.runs, old_env, old=True, timeout=args.timeout)
            )
            print(json.dumps(results[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
