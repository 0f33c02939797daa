"""The translations: both languages complete, same placeholders, every key the app uses exists."""
import re
from pathlib import Path

import pytest

from mnist_lab import charts, filters, i18n, preprocess, runs, train

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "pages").glob("*.py"))]


def test_both_languages_have_the_same_keys():
    assert set(i18n.EN) == set(i18n.KO)
    assert set(i18n.STRINGS) == set(i18n.LANGUAGES)


@pytest.mark.parametrize("key", sorted(i18n.EN))
def test_same_placeholders_and_no_empty_text(key):
    assert i18n.EN[key].strip() and i18n.KO[key].strip()
    assert i18n.placeholders(i18n.EN[key]) == i18n.placeholders(i18n.KO[key])


def test_every_key_used_by_the_app_exists():
    source = "\n".join(p.read_text() for p in APP_FILES)
    literal = set(re.findall(r"""tr\(\s*["']([a-z0-9_.]+)["']""", source))
    prefixes = set(re.findall(r"""tr\(\s*f["']([a-z0-9_.]+)\{""", source))
    assert literal, "no tr('...') calls found: did the app change its translator name?"
    assert sorted(k for k in literal if k not in i18n.EN) == []
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in i18n.EN), prefix


@pytest.mark.parametrize("prefix, values", [
    ("chart.", charts.DEFAULT_LABELS),
    ("reason.", preprocess.REASONS),
    ("state.", runs.STATES),
    ("filters.kernel.", filters.KERNELS),
    ("filters.pic.", filters.builtin_pictures(32)),
    ("train.preset.", train.PRESETS),
    ("train.preset_help.", train.PRESETS),
    ("train.normalize.", train.NORMALIZE),
    ("train.schedule.", train.SCHEDULES),
    ("class.fashion.", range(10)),
])
def test_families_cover_what_the_engine_can_return(prefix, values):
    assert [v for v in values if f"{prefix}{v}" not in i18n.EN] == []


def test_chart_labels_translate_every_chart_label():
    ko = i18n.chart_labels("ko")
    assert set(ko) == set(charts.DEFAULT_LABELS)
    assert ko["accuracy"] == "정확도"
    assert i18n.chart_labels("en")["accuracy"] == charts.DEFAULT_LABELS["accuracy"]


def test_t_formats_and_falls_back():
    assert i18n.t("train.started", "ko", run="r1") == "실행 r1을(를) 시작했습니다"
    assert i18n.t("train.started", run="r1") == "Started run r1"
    assert i18n.t("no.such.key", "ko") == "no.such.key"
    tr = i18n.translator("ko-KR")
    assert tr.lang == "ko" and tr("nav.home") == "홈"


@pytest.mark.parametrize("raw, code", [("ko", "ko"), ("KO", "ko"), ("ko_KR", "ko"), ("한국어", "ko"),
                                       ("en", "en"), ("fr", "en"), (None, "en"), ("", "en")])
def test_normalize_language(raw, code):
    assert i18n.normalize(raw) == code
