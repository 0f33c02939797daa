"""The server's settings: every `MNIST_LAB_*` environment variable, read here and nowhere else.

One parser per kind of value, so the same mistake means the same thing everywhere: a count that is
not a positive whole number is ignored, and a number that does not parse falls back to its default
(a typo in a setting must not stop every worker from starting). The environment is read on each
call of `settings()`: a test sets a variable and the next call sees it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path


def _count(value: str | None) -> int | None:
    """A positive whole number, else None (unset, zero, negative or not a number)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value and value.strip() else default
    except ValueError:
        return default


def _whole(value: str | None, default: int) -> int:
    try:
        return int(value) if value and value.strip() else default
    except ValueError:
        return default


def _path(value: str | None, default: Path) -> Path:
    return Path(value).expanduser() if value else default


def _text(value: str | None, default: str | None = None) -> str | None:
    return value if value else default


@dataclass(frozen=True)
class Settings:
    """One field per `MNIST_LAB_<FIELD IN CAPITALS>` variable; each comment says what it does and its default."""

    data: Path  # the dataset folder; default ~/.cache/mnist_lab ($XDG_CACHE_HOME/mnist_lab)
    runs: Path  # the runs folder: run folders, the queue, the slots, the class's caps; default ./runs
    cache: Path  # files computed from a model that cannot go beside it; default ~/.cache/mnist_lab/models
    teacher_password: str | None  # the Teacher page's password when secrets.toml has none; default none (page locked)
    max_runs: int | None  # runs training at once; default None: 4 on Ray, 2 per GPU, else one per core up to 8
    train_threads: int | None  # torch threads of one training process; default None: the cores shared by the slots
    runs_per_session: int  # runs one browser session (or one student at a terminal) may have queued or training; 2
    worker_idle: float  # seconds a worker waits on an empty queue before it exits; 30
    worker_nice: int  # how much a local worker lowers its CPU priority below the app's (os.nice); 10
    ray_address: str | None  # a Ray cluster's dashboard address: runs train there; default none (this machine)
    ray_token: str | None  # the Ray cluster's token, sent as a bearer token; default $RAY_AUTH_TOKEN, else none
    ray_python: str  # the python a Ray job runs on a node; default "python"
    ray_cpus_per_run: float  # CPUs Ray reserves for one run (also its torch threads); 1
    ray_gpus_per_run: float  # GPUs Ray reserves for one run (scheduling only, not a memory cap); 0
    ray_lost_after_s: float  # seconds the cluster may stay silent before its runs count as lost; 60

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(field: str) -> str | None:
            return env.get(f"MNIST_LAB_{field.upper()}")

        user_cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cls(
            data=_path(get("data"), user_cache / "mnist_lab"),
            runs=_path(get("runs"), Path("runs")),
            cache=_path(get("cache"), user_cache / "mnist_lab" / "models"),
            teacher_password=_text(get("teacher_password")),
            max_runs=_count(get("max_runs")),
            train_threads=_count(get("train_threads")),
            runs_per_session=_count(get("runs_per_session")) or 2,
            worker_idle=_number(get("worker_idle"), 30.0),
            worker_nice=_whole(get("worker_nice"), 10),
            ray_address=_text(get("ray_address")),
            ray_token=_text(get("ray_token"), env.get("RAY_AUTH_TOKEN") or None),
            ray_python=_text(get("ray_python"), "python"),
            ray_cpus_per_run=_number(get("ray_cpus_per_run"), 1.0),
            ray_gpus_per_run=_number(get("ray_gpus_per_run"), 0.0),
            ray_lost_after_s=_number(get("ray_lost_after_s"), 60.0),
        )


def settings() -> Settings:
    """The settings as the environment says now (made again only when a variable it reads has changed: a
    page asks many times per view, and making them was 3% of the server's time under a class)."""
    env = os.environ
    return _settings_for(tuple(env.get(name) for name in _READ))


_READ = ("HOME", "XDG_CACHE_HOME", "RAY_AUTH_TOKEN", *(f"MNIST_LAB_{f.name.upper()}" for f in fields(Settings)))


@functools.lru_cache(maxsize=8)
def _settings_for(values: tuple) -> Settings:
    return Settings.from_env({k: v for k, v in zip(_READ, values) if v is not None})


def variables() -> list[str]:
    """Every environment variable the app reads, by name."""
    return [f"MNIST_LAB_{f.name.upper()}" for f in fields(Settings)]
