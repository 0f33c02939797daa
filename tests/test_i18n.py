"""The catalogs: every language complete, the same placeholders, every key the app and the engine use exists."""

import re
from pathlib import Path

import pytest

from mnist_lab import config, filters, i18n, layers, models, preprocess, runs
from mnist_lab.charts import style
from mnist_lab.errors import LabError, Message
from mnist_lab.jobs.launchers import Launcher, RayLauncher
from mnist_lab.registry import MODELS

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]
ENGINE_FILES = sorted((ROOT / "mnist_lab").rglob("*.py"))  # subpackages (jobs, charts) too


def test_every_language_has_every_key_with_the_same_placeholders():
    """One list of every problem, so a translator sees all that is left to do in one run."""
    assert len(i18n.STRINGS) >= 2 and next(iter(i18n.LANGUAGES)) == "en"
    assert i18n.catalog_problems() == []


def test_catalog_problems_reports_everything_at_once(monkeypatch):
    broken = dict(i18n.STRINGS["ko"])
    del broken["nav.home"]
    broken["train.started"] = "{id} 시작"
    broken["train.stop"] = "  "
    broken["nav.extra"] = "x"
    monkeypatch.setitem(i18n.STRINGS, "ko", broken)
    problems = i18n.catalog_problems()
    assert "ko: missing nav.home" in problems and "ko: nav.extra is not in en" in problems
    assert "ko: train.stop: empty" in problems
    assert any(p.startswith("ko: train.started: placeholders ['id']") for p in problems)
    assert len(problems) == 4


def test_a_new_language_is_a_new_file(tmp_path, monkeypatch):
    """A teacher adds a language by adding a file: it is found, named and used with English fallback."""
    for f in i18n.LOCALES.glob("*.toml"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "de.toml").write_text('"language.name" = "Deutsch"\n"nav.home" = "Start"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    catalogs = i18n._load()
    assert next(iter(catalogs)) == "en" and catalogs["de"]["nav.home"] == "Start"
    monkeypatch.setattr(i18n, "STRINGS", catalogs)
    monkeypatch.setattr(i18n, "LANGUAGES", {c: t.get("language.name", c) for c, t in catalogs.items()})
    assert i18n.LANGUAGES["de"] == "Deutsch" and i18n.normalize("de-AT") == "de"
    assert i18n.t("nav.home", "de") == "Start" and i18n.t("nav.train", "de") == "Train"  # English fallback
    assert "de: missing nav.train" in i18n.catalog_problems()


def test_every_key_used_by_the_app_exists():
    source = "\n".join(p.read_text() for p in APP_FILES)
    literal = set(re.findall(r"""(?:tr|ui\.error\(tr,)\(?\s*["']([a-z0-9_.]+)["']""", source))
    prefixes = set(re.findall(r"""tr\(\s*f["']([a-z0-9_.]+)\{""", source))
    assert len(literal) > 100, "few tr('...') calls found: did the app change its translator name?"
    assert sorted(k for k in literal if k not in i18n.EN) == []
    assert [p for p in prefixes if not any(k.startswith(p) for k in i18n.EN)] == []


def test_every_message_key_the_engine_raises_exists():
    source = "\n".join(p.read_text() for p in ENGINE_FILES)
    keys = set(re.findall(r"""(?:Error|Message)\(\s*["']((?:error|reason)\.[a-z0-9_.]+)["']""", source))
    prefixes = set(re.findall(r"""(?:Error|Message)\(\s*f["']((?:error|reason)\.[a-z0-9_.]+)\{""", source))
    assert len(keys) > 30, keys  # the pattern still finds the raises
    assert sorted(k for k in keys if k not in i18n.EN) == []
    assert [p for p in prefixes if not any(k.startswith(p) for k in i18n.EN)] == []


@pytest.mark.parametrize(
    "prefix, values",
    [
        ("chart.", style.DEFAULT_LABELS),
        ("reason.", preprocess.REASONS),
        ("state.", runs.STATES),
        ("filters.kernel.", filters.KERNELS),
        ("filters.pic.", filters.builtin_pictures(32)),
        ("train.preset.", config.PRESETS),
        ("train.preset_help.", config.PRESETS),
        ("train.normalize.", config.NORMALIZE),
        ("train.schedule.", config.SCHEDULES),
        ("model.title.", MODELS),
        ("model.desc.", MODELS),
        ("class.fashion.", range(10)),
        ("train.optimizer.", config.OPTIMIZERS),
        ("teacher.backend.", [Launcher.backend, RayLauncher.backend]),
        ("layer.", {type(m).__name__.lower() for name in MODELS for m in models.build_model(name).children()}),
        ("layer.", [k.lower() for k in layers.FIRST_SHOWN]),
    ],
)
def test_families_cover_what_the_engine_can_return(prefix, values):
    assert [v for v in values if f"{prefix}{v}" not in i18n.EN] == []


def test_engine_errors_read_in_every_language():
    e = config.ConfigError("error.config.lr", value=-1.0)
    assert str(e) == "learning rate must be greater than 0, got -1.0"  # the CLI's English
    assert i18n.message(e, "ko") == "학습률은 0보다 커야 합니다. 받은 값: -1.0"
    assert i18n.translator("ko").error(ValueError("plain")) == "plain"  # not ours: as it is
    status = {"reason": "stopped by the user", **Message("reason.stopped_by_user").status_fields()}
    assert i18n.reason(status, "ko") == "사용자가 중지했습니다"
    assert i18n.reason({"reason": "an old run's words"}, "ko") == "an old run's words"
    assert isinstance(e, ValueError) and isinstance(e, LabError)


def test_chart_labels_and_class_names_translate():
    ko = i18n.chart_labels("ko")
    assert set(ko) == set(style.DEFAULT_LABELS) and ko["accuracy"] == "정확도"
    assert i18n.chart_labels("en")["accuracy"] == style.DEFAULT_LABELS["accuracy"] == "Accuracy"
    assert i18n.class_names("mnist", "ko") == [str(k) for k in range(10)]
    assert i18n.class_names("fashion", "ko")[0] != i18n.class_names("fashion", "en")[0] == "T-shirt/top"


def test_states_read_as_labels():
    """A run's state stands alone in a table cell or a metric: a capital, like the other labels."""
    assert [i18n.t(f"state.{s}")[0].isupper() for s in runs.STATES] == [True] * len(runs.STATES)


def test_a_layer_kind_is_said_in_words_with_its_pytorch_name():
    assert i18n.layer_kind("Conv2d", "en") == "Conv2d"
    ko = i18n.translator("ko").layer("Conv2d")
    assert ko != "Conv2d" and ko.endswith("(Conv2d)")  # the Korean words, the class name to find in the code
    assert i18n.layer_kind("GRU", "ko") == "GRU"  # a kind no catalog names yet stays as PyTorch calls it


def test_t_formats_and_falls_back():
    assert i18n.t("train.started", "ko", run="r1") == "실행 r1을(를) 시작했습니다"
    assert i18n.t("train.started", run="r1") == "Started run r1"
    assert i18n.t("no.such.key", "ko") == "no.such.key"
    assert i18n.t("train.started", "ko") == "실행 {run}을(를) 시작했습니다"  # a missing value stays visible
    tr = i18n.translator("ko-KR")
    assert tr.lang == "ko" and tr("nav.home") == "홈"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("ko", "ko"),
        ("KO", "ko"),
        ("ko_KR", "ko"),
        ("한국어", "ko"),
        ("en", "en"),
        ("fr", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_normalize_language(raw, code):
    assert i18n.normalize(raw) == code


@pytest.mark.parametrize(
    "seconds, text", [(None, "–"), (float("nan"), "–"), (0, "0:00"), (65.4, "1:05"), (3723, "1:02:03")]
)
def test_duration(seconds, text):
    assert i18n.duration(seconds) == text


@pytest.mark.parametrize(
    ("recorded", "ko"),
    [("CPU (2 threads)", "CPU (2개 스레드)"), ("CPU (16 cores)", "CPU (16개 코어)"),
     ("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"), (None, "")],
)  # fmt: skip
def test_device_names_translate_and_gpu_names_stay(recorded, ko):
    """What the trainer records reads in the user's language; a GPU's own name is never altered."""
    assert i18n.device(recorded, "ko") == ko
    assert i18n.device(recorded, "en") == (recorded or "")


def test_a_class_is_named_with_its_number_only_where_the_name_is_not_one():
    assert i18n.class_label("mnist", 3, "ko") == "3"
    assert i18n.class_label("fashion", 3) == "3 · Dress"
    probs = [0.01, 0.05, 0, 0, 0, 0, 0, 0.912, 0, 0.028]
    assert i18n.top_answers(probs, i18n.class_names("mnist")) == "7 (91.2%) · 1 (5.0%) · 9 (2.8%)"
    assert i18n.top_answers(probs, i18n.class_names("fashion"), k=1) == "Sneaker (91.2%)"
