"""Side-by-side benchmark, one run on one machine (not a test):

1. LeNet-5, one epoch, through seed 003's own pipeline (DataLoader + ToTensor + Normalize, 4 workers)
2. the same model, batch and optimizer through our `seed003` preset (`python -m mnist_lab train`)
3. our `fast` preset: the whole `train` process, start to exit, and its test accuracy
4. `predict`: time per image after start-up

Usage: python -m bench.bench_train [--data DIR] [--device cpu|cuda] [--repeats N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli_train(data: str, runs: str, device: str, *args: str) -> dict:
    """Run `mnist-lab train ... --json` (queue the run, a worker trains it, follow it to the end) as its
    own process, in a new runs folder, so that its worker starts cold; add the process's wall time."""
    runs = tempfile.mkdtemp(prefix="bench-runs-", dir=runs)
    cmd = [
        sys.executable,
        "-m",
        "mnist_lab",
        "train",
        "--model",
        "lenet5",
        "--data",
        data,
        "--runs-dir",
        runs,
        "--device",
        device,
        "--json",
        *args,
    ]
    env = {**os.environ, "MNIST_LAB_WORKER_IDLE": "0.5"}  # no warm worker is left for the next measurement
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"training failed: {p.stderr[-2000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["process_seconds"] = wall
    return out


def predict_latency(run_dir: Path, n: int = 200) -> dict:
    """Per-image time of the CLI's predict path (decode, preprocess, model) once the model is loaded."""
    import cv2

    from mnist_lab import cli
    from mnist_lab.data import load_dataset

    files = []
    tmp = Path(tempfile.mkdtemp())
    data = load_dataset("mnist", os.environ["BENCH_DATA"], download=False)
    for i in range(n):  # test digits drawn large, dark on light, like a photo of paper
        img = 255 - cv2.resize(data.test.images[i].numpy(), (280, 280), interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(str(tmp / f"{i}.png"), img)
        files.append(str(tmp / f"{i}.png"))
    args = ["predict", "--checkpoint", str(run_dir / "checkpoint.pt"), "--json"]
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(args + files[:1])  # start-up: imports, model load
        t0 = time.perf_counter()
        cli.main(args + files)
        per_image = (time.perf_counter() - t0) / n

    # the same through a fresh process: (time for n images - time for 1 image) / (n - 1)
    def proc(fs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mnist_lab", *args, *fs], capture_output=True, cwd=ROOT)
        return time.perf_counter() - t

    one, many = proc(files[:1]), proc(files)
    return {
        "in_process_ms_per_image": per_image * 1000,
        "cli_ms_per_image_after_startup": (many - one) / (n - 1) * 1000,
        "cli_startup_seconds": one,
        "images": n,
    }


def first_batch_seconds(checkout: Path, data: str, runs: str, device: str) -> float:
    """A training process from its start to its first batch: `train --run-dir` on a prepared run, timed
    until the first batch line reaches its metrics.jsonl."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNIST_LAB_")}
    env["MNIST_LAB_MAX_RUNS"] = "1"
    make = (
        "import sys; from mnist_lab.runs import RunStore; from mnist_lab.{} import make_config; "
        "print(RunStore(sys.argv[1]).create(make_config('lenet5', 'fast', device=sys.argv[2]).to_dict()).path)"
    )
    module = "config" if (checkout / "mnist_lab" / "config.py").exists() else "train"  # older checkouts
    folder = tempfile.mkdtemp(prefix="bench-first-", dir=runs)
    run_dir = Path(
        subprocess.run(
            [sys.executable, "-c", make.format(module), folder, device],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    metrics = run_dir / "metrics.jsonl"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mnist_lab", "train", "--run-dir", str(run_dir), "--data", data, "--json"],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - t0 < 120:
            if metrics.exists() and b'"type": "batch"' in metrics.read_bytes():
                return time.perf_counter() - t0
            time.sleep(0.005)
        raise SystemExit(f"no batch from {checkout} in 120 s")
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "../shared/datasets"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=1, help="alternate baseline and ours this many times")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--compare-with", metavar="CHECKOUT", help="also time another checkout's start-up, side by side")
    args = ap.parse_args()
    os.environ["BENCH_DATA"] = args.data
    import torch

    from bench.seed003_pipeline import run_seed003_epoch

    workers = 4
    runs = tempfile.mkdtemp(prefix="bench-runs-")
    res = {
        "machine": {
            "cpus": os.cpu_count(),
            "torch": torch.__version__,
            "device": args.device,
            "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None,
        },
        "baseline": [],
        "seed003": [],
        "fast": [],
    }
    for r in range(args.repeats):
        print(f"[{r + 1}/{args.repeats}] seed 003 pipeline (DataLoader, {workers} workers)...", flush=True)
        res["baseline"].append(run_seed003_epoch(args.data, args.device, workers))
        print(f"  {res['baseline'][-1]}", flush=True)
        print(f"[{r + 1}/{args.repeats}] our seed003 preset...", flush=True)
        res["seed003"].append(cli_train(args.data, runs, args.device, "--preset", "seed003"))
        print(f"  {res['seed003'][-1]}", flush=True)
        print(f"[{r + 1}/{args.repeats}] our fast preset...", flush=True)
        res["fast"].append(cli_train(args.data, runs, args.device, "--preset", "fast"))
        print(f"  {res['fast'][-1]}", flush=True)
    starts = {"this": [], "other": []}
    for _ in range(3):  # alternating, so that both see the same machine
        starts["this"].append(first_batch_seconds(ROOT, args.data, runs, args.device))
        if args.compare_with:
            starts["other"].append(first_batch_seconds(Path(args.compare_with).resolve(), args.data, runs, args.device))
    res["first_batch_seconds"] = starts
    med = lambda rows, k: statistics.median(x[k] for x in rows)  # noqa: E731
    base_ips, ours_ips = med(res["baseline"], "images_per_second"), med(res["seed003"], "train_images_per_second")
    res["predict"] = predict_latency(Path(res["fast"][-1]["run_dir"]))
    res["summary"] = {
        "baseline_images_per_second": base_ips,
        "seed003_preset_images_per_second": ours_ips,
        "throughput_ratio": ours_ips / base_ips,
        "baseline_accuracy": med(res["baseline"], "test_accuracy"),
        "seed003_preset_accuracy": med(res["seed003"], "test_accuracy"),
        "baseline_epoch_seconds": med(res["baseline"], "wall_seconds"),
        "fast_process_seconds": med(res["fast"], "process_seconds"),
        "fast_accuracy": med(res["fast"], "test_accuracy"),
        "predict_ms_per_image": res["predict"]["cli_ms_per_image_after_startup"],
        "fast_process_over_baseline_epoch": med(res["fast"], "process_seconds") / med(res["baseline"], "wall_seconds"),
        "first_batch_seconds_median": statistics.median(starts["this"]),
        **({"first_batch_seconds_median_other": statistics.median(starts["other"])} if starts["other"] else {}),
    }
    print(json.dumps(res["summary"], indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
