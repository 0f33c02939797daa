"""What every command's parser shares: one-line usage errors, number types and the common options."""

from __future__ import annotations

import argparse

from .. import config, registry


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message}")


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def train_settings(t: Parser) -> None:
    t.add_argument("--model", default="lenet5", help=f"one of {', '.join(registry.MODELS)} (default lenet5)")
    t.add_argument("--preset", default="fast", help=f"one of {', '.join(config.PRESETS)} (default fast)")
    t.add_argument("--optimizer", help=f"one of {', '.join(config.OPTIMIZERS)}")
    t.add_argument("--lr", type=number, help="learning rate")
    t.add_argument("--momentum", type=number, help="SGD / RMSprop momentum")
    t.add_argument("--weight-decay", type=number, help="L2 weight decay")
    t.add_argument("--batch-size", type=whole, help="images per step")
    t.add_argument("--epochs", type=whole, help="passes over the training set")
    t.add_argument("--seed", type=whole, help="random seed (same seed, same device: same numbers)")
    t.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    t.add_argument("--normalize", help="minmax (x/255) or standardize (mean 0.1307, std 0.3081)")
    t.add_argument("--schedule", help=f"learning-rate schedule: {', '.join(config.SCHEDULES)}")
    t.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random shifts, scales, rotations and stroke widths while training",
    )
    t.add_argument("--dataset", choices=config.DATASETS, help="mnist (default) or fashion")
    t.add_argument("--train-limit", type=whole, help="use only the first N training images")
    t.add_argument(
        "--start-from",
        metavar="RUN_ID|default",
        help="fine-tune from a run's model, or the shipped one (the class_digits preset starts from default)",
    )


def launch_options(p: Parser) -> None:
    p.add_argument("--student", help="the name shown with the run on the class board (submit needs one)")
    p.add_argument(
        "--backend",
        choices=("local", "ray"),
        help="local processes (default), or a Ray cluster ($MNIST_LAB_RAY_ADDRESS selects it too)",
    )
    p.add_argument("--ray-address", help="the Ray dashboard's address, e.g. http://HEAD:8265")


def common(p: Parser, runs: bool, data: bool = True) -> None:
    if data:
        p.add_argument("--data", help="dataset folder (default $MNIST_LAB_DATA or ~/.cache/mnist_lab)")
    if runs:
        p.add_argument("--runs-dir", help="runs folder (default $MNIST_LAB_RUNS or ./runs)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")


def model_source(p: Parser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--run", help="a run id from the runs folder")
    g.add_argument("--checkpoint", help="a checkpoint file (.pt)")
