"""Every text the app shows, in every language: one catalog file per language in `locales/`.

A catalog is a flat TOML table, `"page.what" = "text with {placeholders}"`. Adding a language is
adding a file (`locales/ja.toml`) with the same keys and placeholders as `en.toml`; its
`language.name` is what the language switch shows. `t(key, lang, **fmt)` looks a key up; a key a
catalog lacks falls back to English, then to the key itself, and an unknown placeholder is left
as written, so a page never crashes on a translation.
"""

from __future__ import annotations

import functools
import math
import re
import string
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"


def _load() -> dict[str, dict[str, str]]:
    catalogs = {}
    for path in sorted(LOCALES.glob("*.toml")):
        with open(path, "rb") as fh:
            catalogs[path.stem] = {k: str(v) for k, v in tomllib.load(fh).items()}
    return dict(sorted(catalogs.items(), key=lambda kv: kv[0] != DEFAULT))  # English first


STRINGS: dict[str, dict[str, str]] = _load()
EN = STRINGS[DEFAULT]
LANGUAGES: dict[str, str] = {code: table.get("language.name", code) for code, table in STRINGS.items()}


class _Keep(dict):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def _fill(text: str, fmt: dict) -> str:
    return string.Formatter().vformat(text, (), _Keep(fmt)) if fmt else text


def normalize(lang: str | None) -> str:
    """A supported language code from 'ko', 'ko-KR', 'KO', '한국어' ...; English otherwise."""
    if not lang:
        return DEFAULT
    code = str(lang).strip().lower().replace("_", "-").split("-")[0]
    if code in STRINGS:
        return code
    return next((c for c, name in LANGUAGES.items() if name == str(lang).strip()), DEFAULT)


def t(key: str, lang: str = DEFAULT, **fmt) -> str:
    """The text for key in lang, with {placeholders} filled from fmt."""
    text = STRINGS.get(lang, EN).get(key) or EN.get(key) or key
    return _fill(text, fmt)


def message(error: BaseException, lang: str = DEFAULT) -> str:
    """An exception as one text in lang: a LabError through its key, anything else as str(e)."""
    key = getattr(error, "key", None)
    return t(key, lang, **error.params) if key else str(error)


def reason(status: dict, lang: str = DEFAULT) -> str | None:
    """A run's reason (why it failed or stopped) in lang; status.json keeps its key and parameters."""
    key = status.get("reason_key")
    if isinstance(key, str) and key in EN:
        params = status.get("reason_params")
        return t(key, lang, **(params if isinstance(params, dict) else {}))
    return status.get("reason")


_CPU = re.compile(r"CPU \((\d+) (threads|cores)\)")


def device(text: str | None, lang: str = DEFAULT) -> str:
    """A device as the trainer records it ('CPU (2 threads)', or a GPU's own name) in lang."""
    m = _CPU.fullmatch(text or "")
    return t(f"common.cpu_{m[2]}", lang, n=int(m[1])) if m else (text or "")


def layer_kind(kind: str, lang: str = DEFAULT) -> str:
    """A PyTorch layer's kind (its class name, 'Conv2d') in lang: '합성곱 (Conv2d)' in Korean, the name kept
    beside the words so it can be found in the code; a kind the catalog lacks as it is."""
    key = f"layer.{kind.lower()}"
    return t(key, lang) if key in EN else kind


class Translator:
    """t() bound to one language: tr('key', n=3); tr.lang is the language code."""

    def __init__(self, lang: str | None):
        self.lang = normalize(lang)

    def __call__(self, key: str, **fmt) -> str:
        return t(key, self.lang, **fmt)

    def error(self, e: BaseException) -> str:
        return message(e, self.lang)

    def reason(self, status: dict) -> str | None:
        return reason(status, self.lang)

    def device(self, text: str | None) -> str:
        return device(text, self.lang)

    def layer(self, kind: str) -> str:
        return layer_kind(kind, self.lang)


def translator(lang: str | None) -> Translator:
    return Translator(lang)


class ChartLabels(dict):
    """A language's chart labels, which say which language they are: a cache can key a figure by that word
    instead of reading thirty labels (0.5 ms a figure, at every page view of every student)."""

    def __init__(self, lang: str, labels: dict[str, str]):
        super().__init__(labels)
        self.lang = lang


def chart_labels(lang: str = DEFAULT) -> ChartLabels:
    """Axis and legend labels for mnist_lab.charts builders (the catalog's chart.* keys)."""
    lang = normalize(lang)
    return ChartLabels(lang, _chart_labels(lang))


@functools.lru_cache(maxsize=8)
def _chart_labels(lang: str) -> dict[str, str]:
    table = STRINGS.get(lang, EN)
    return {k[len("chart.") :]: table.get(k) or v for k, v in EN.items() if k.startswith("chart.")}


def class_names(dataset: str, lang: str = DEFAULT) -> list[str]:
    """The ten class names of a dataset in lang (digits stay digits)."""
    if dataset == "fashion":
        return [t(f"class.fashion.{k}", lang) for k in range(10)]
    return [str(k) for k in range(10)]


def class_label(dataset: str, k: int, lang: str = DEFAULT) -> str:
    """A class with its number where the name is not one: '3' for MNIST, '3 · Dress' for Fashion-MNIST."""
    name = class_names(dataset, lang)[k]
    return name if name == str(k) else f"{k} · {name}"


def top_answers(probs, names: list[str], k: int = 3) -> str:
    """The k likeliest classes (names: class_names()), likeliest first: '7 (91.2%) · 1 (5.0%) · 9 (1.1%)'."""
    probs = [float(p) for p in probs]
    ranked = sorted(range(len(probs)), key=lambda c: -probs[c])[:k]
    return " · ".join(f"{names[c]} ({probs[c]:.1%})" for c in ranked)


def placeholders(text: str) -> set[str]:
    """The {names} a string expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def catalog_problems(reference: str = DEFAULT) -> list[str]:
    """Every way the catalogs differ from the reference: missing or extra keys, other placeholders,
    empty texts. One list, so a translator sees all that is left to do at once."""
    ref = STRINGS[reference]
    problems = [f"{reference}: {k}: empty" for k, v in ref.items() if not v.strip()]
    for code, table in STRINGS.items():
        if code == reference:
            continue
        problems += [f"{code}: missing {k}" for k in ref if k not in table]
        problems += [f"{code}: {k} is not in {reference}" for k in table if k not in ref]
        for k in ref.keys() & table.keys():
            if not table[k].strip():
                problems.append(f"{code}: {k}: empty")
            elif placeholders(table[k]) != placeholders(ref[k]):
                problems.append(
                    f"{code}: {k}: placeholders {sorted(placeholders(table[k]))}, "
                    f"{reference} has {sorted(placeholders(ref[k]))}"
                )
    return problems


def duration(seconds: float | None) -> str:
    """'1:05' or '1:02:03'; '–' when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
