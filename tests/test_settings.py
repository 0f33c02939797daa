"""The settings: every MNIST_LAB_* variable is a Settings field, read in settings.py alone, one parser per kind."""

from __future__ import annotations

import inspect
import re
from dataclasses import fields
from pathlib import Path

import pytest

from mnist_lab import settings
from mnist_lab.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [
    ROOT / "app.py",
    *sorted((ROOT / "mnist_lab").rglob("*.py")),
    *sorted((ROOT / "mnist_lab" / "locales").glob("*.toml")),
    *sorted((ROOT / "ui").glob("*.py")),
    *sorted((ROOT / "pages").glob("*.py")),
]


def test_every_variable_the_product_names_is_a_setting():
    named = {m for f in PRODUCT for m in re.findall(r"MNIST_LAB_[A-Z0-9_]*[A-Z0-9]", f.read_text())}
    assert len(named) > 5, named  # the pattern still finds them
    assert sorted(named - set(settings.variables())) == []


def test_only_settings_reads_the_variables():
    read = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*f?["']MNIST_LAB_""")
    hits = [
        f"{f.relative_to(ROOT)}:{n + 1}"
        for f in PRODUCT
        if f.name != "settings.py"
        for n, line in enumerate(f.read_text().splitlines())
        if read.search(line)
    ]
    assert hits == []


def test_every_field_says_what_it_does_and_its_default():
    source = inspect.getsource(Settings)
    for f in fields(Settings):
        [line] = [s for s in source.splitlines() if s.strip().startswith(f"{f.name}:")]
        assert "#" in line and len(line.split("#", 1)[1].strip()) > 20, f"{f.name} has no comment"


def test_defaults_with_nothing_set(monkeypatch):
    s = Settings.from_env({"XDG_CACHE_HOME": "/cache"})
    assert (s.data, s.runs, s.cache) == (Path("/cache/mnist_lab"), Path("runs"), Path("/cache/mnist_lab/models"))
    assert (s.max_runs, s.train_threads, s.runs_per_session) == (None, None, 2)
    assert (s.worker_idle, s.worker_nice) == (30.0, 10)
    assert (s.ray_address, s.ray_token, s.ray_python, s.teacher_password) == (None, None, "python", None)
    assert (s.ray_cpus_per_run, s.ray_gpus_per_run, s.ray_lost_after_s) == (1.0, 0.0, 60.0)
    monkeypatch.setenv("MNIST_LAB_MAX_RUNS", "3")
    assert settings.settings().max_runs == 3  # read again on each call: a test's setenv is seen


@pytest.mark.parametrize(
    ("value", "count"), [("4", 4), (" 4 ", 4), ("0", None), ("-2", None), ("2.5", None), ("x", None)]
)
def test_a_count_that_is_not_a_positive_whole_number_is_ignored(value, count):
    counts = ("MAX_RUNS", "TRAIN_THREADS", "RUNS_PER_SESSION")
    s = Settings.from_env({f"MNIST_LAB_{name}": value for name in counts})
    assert s.max_runs == count and s.train_threads == count and s.runs_per_session == (count or 2)


@pytest.mark.parametrize(("value", "number"), [("2.5", 2.5), ("0", 0.0), ("ten", None), ("", None)])
def test_a_number_that_does_not_parse_falls_back_to_its_default(value, number):
    names = ("worker_idle", "ray_cpus_per_run", "ray_gpus_per_run", "ray_lost_after_s")
    s = Settings.from_env({f"MNIST_LAB_{n.upper()}": value for n in names})
    defaults = Settings.from_env({})
    assert [getattr(s, n) for n in names] == [number if number is not None else getattr(defaults, n) for n in names]


def test_nice_paths_and_texts():
    s = Settings.from_env(
        {
            "HOME": "/home/ana",
            "MNIST_LAB_WORKER_NICE": "0",  # 0 is a choice (do not lower the priority), not a typo
            "MNIST_LAB_DATA": "~/digits",
            "MNIST_LAB_RUNS": "/srv/runs",
            "MNIST_LAB_RAY_PYTHON": "/opt/py/bin/python",
            "RAY_AUTH_TOKEN": "ray's",
        }
    )
    assert s.worker_nice == 0 and s.data == Path("~/digits").expanduser() and s.runs == Path("/srv/runs")
    assert s.ray_python == "/opt/py/bin/python" and s.ray_token == "ray's"  # Ray's own variable, when ours is unset
    assert Settings.from_env({"RAY_AUTH_TOKEN": "ray's", "MNIST_LAB_RAY_TOKEN": "ours"}).ray_token == "ours"
    assert Settings.from_env({"MNIST_LAB_WORKER_NICE": "very"}).worker_nice == 10
    with pytest.raises(AttributeError):
        s.runs = Path("elsewhere")  # frozen: one reading of the environment, handed around


def test_the_settings_are_made_again_only_when_a_variable_they_read_changes(monkeypatch, tmp_path):
    from mnist_lab import settings as s

    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "a"))
    first = s.settings()
    assert s.settings() is first and first.runs == tmp_path / "a"
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "b"))
    assert s.settings().runs == tmp_path / "b"
    monkeypatch.delenv("MNIST_LAB_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # read too, though not one of ours
    assert s.settings().cache == tmp_path / "cache" / "mnist_lab" / "models"
    monkeypatch.setenv("SOMETHING_ELSE", "x")
    assert s.settings() is s.settings()
