"""`python -m mnist_lab`: exit codes, one-line errors, JSON output."""

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mnist_lab import cli


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def trained(tiny_mnist, runs_dir, capsys):
    code, out, _ = run_cli(
        capsys,
        "train",
        "--model",
        "lenet5",
        "--preset",
        "fast",
        "--epochs",
        "2",
        "--batch-size",
        "50",
        "--runs-dir",
        str(runs_dir),
        "--json",
    )
    assert code == 0
    return json.loads(out.strip().splitlines()[-1])


def test_train_json(trained):
    for key in (
        "run_id",
        "model",
        "preset",
        "device",
        "epochs",
        "test_accuracy",
        "train_images_per_second",
        "wall_seconds",
    ):
        assert key in trained
    assert trained["state"] == "done" and trained["epochs"] == 2 and 0 <= trained["test_accuracy"] <= 1


def test_eval_and_predict(trained, runs_dir, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "eval", "--run", trained["run_id"], "--runs-dir", str(runs_dir), "--json")
    res = json.loads(out)
    assert code == 0 and res["n"] == 100 and res["test_accuracy"] == pytest.approx(trained["test_accuracy"])

    good = tmp_path / "seven.png"
    canvas = np.full((300, 400), 255, np.uint8)
    cv2.line(canvas, (120, 60), (280, 60), 0, 18)
    cv2.line(canvas, (280, 60), (170, 250), 0, 18)
    cv2.imwrite(str(good), canvas)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    junk = tmp_path / "junk.jpg"
    junk.write_text("not an image")
    code, out, _ = run_cli(
        capsys,
        "predict",
        str(good),
        str(blank),
        str(junk),
        str(tmp_path / "missing.png"),
        "--run",
        trained["run_id"],
        "--runs-dir",
        str(runs_dir),
        "--json",
    )
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert code != 0 and len(lines) == 4
    assert lines[0]["path"] == str(good) and 0 <= lines[0]["label"] <= 9
    assert len(lines[0]["probabilities"]) == 10 and sum(lines[0]["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert all("error" in line and "label" not in line for line in lines[1:])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model", "resnet"], "unknown model"),
        (["train", "--preset", "turbo"], "unknown preset"),
        (["train", "--lr", "abc"], "expected a number"),
        (["train", "--epochs", "0"], "epochs must be between"),
        (["train", "--batch-size", "-3"], "batch size must be at least 1"),
        (["eval", "--checkpoint", "/nonexistent.pt"], "no such checkpoint"),
        (["eval", "--run", "../../etc"], "invalid run id"),
        (["predict"], "the following arguments are required"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, message, runs_dir, tiny_mnist):
    code, _out, err = run_cli(capsys, *argv)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_data_message(tmp_path, capsys, runs_dir):
    code, _, err = run_cli(capsys, "train", "--data", str(tmp_path / "nowhere"), "--runs-dir", str(runs_dir))
    assert code == 2 and "train-images-idx3-ubyte" in err and "MNIST_LAB_DATA" in err and "Traceback" not in err


def test_parser_and_queue_need_no_torch():
    """`--help` is instant and a queued run stays small: building the parser imports no torch."""
    code = (
        "import sys; from mnist_lab import cli; a = cli.build_parser().parse_args(['train', '--epochs', '3']); "
        "assert a.epochs == 3; import mnist_lab.jobs.submit, mnist_lab.runs; print(sorted(m for m in sys.modules "
        "if m == 'torch' or m.startswith('torch.')))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "[]"


@pytest.mark.slow
def test_console_command_is_installed(tmp_path):
    """`pip install -r requirements.txt` installs the package with its `mnist-lab` command."""
    exe = shutil.which("mnist-lab")
    if exe is None:
        pytest.fail("no mnist-lab command: install the project (pip install -r requirements.txt)")
    p = subprocess.run([exe, "runs", "--runs-dir", str(tmp_path), "--json"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == ""
    p = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and all(c in p.stdout for c in ("train", "eval", "predict", "runs"))


@pytest.mark.slow
def test_module_entry_point_exit_code():
    p = subprocess.run([sys.executable, "-m", "mnist_lab", "train", "--lr", "-1"], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.strip() == "error: learning rate must be greater than 0, got -1.0"


def test_runs_lists_and_deletes(trained, runs_dir, capsys, tmp_path):
    code, out, _ = run_cli(capsys, "runs", "--runs-dir", str(runs_dir), "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["run_id"] == trained["run_id"] and row["status"] == "done"
    outside = tmp_path / "keep.txt"
    outside.write_text("not a run")
    code, out, _ = run_cli(
        capsys, "runs", "--runs-dir", str(runs_dir), "--delete", trained["run_id"], "../keep.txt", "no-such-run"
    )
    lines = out.splitlines()
    assert code == 1 and lines[0] == f"{trained['run_id']}: deleted"
    assert lines[1].startswith("../keep.txt: error: invalid run id") and "no run named" in lines[2]
    assert outside.read_text() == "not a run"
    assert not (runs_dir / trained["run_id"]).exists()
    assert run_cli(capsys, "runs", "--runs-dir", str(runs_dir))[:2] == (0, "")


def test_predict_reads_a_pad_drawing_through_the_pad_path(tmp_path, capsys):
    """A bold 0 saved from a pad (white on black, touching its edges): --source pad reads the strokes
    as ink; the photo path is the default for files."""
    pad = np.zeros((280, 280), np.uint8)
    cv2.ellipse(pad, (140, 140), (108, 125), 0, 0, 360, 255, 44, cv2.LINE_AA)
    path = tmp_path / "pad.png"
    cv2.imwrite(str(path), pad)
    code, out, _ = run_cli(capsys, "predict", str(path), "--source", "pad", "--json")
    assert code == 0 and json.loads(out)["label"] == 0
    code, _, err = run_cli(capsys, "predict", str(path), "--source", "camera")
    assert code != 0 and "camera" in err
