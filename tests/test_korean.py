"""Korean pages read in Korean, pages say little a student need not read, and no catalog text
surprises markdown.

Every page (ui.pages.PAGES) runs under AppTest in Korean with the tiny fixtures (no real MNIST), with
finished and failed runs, some of the class's digits and a signed-in teacher, so that tables, charts
and verdicts have something to show. Every text a student can read is collected: the elements' own
texts (markdown, captions, titles, labels, options, metrics, alerts, expanders, tabs, popovers, help
tooltips), the dataframes' column names and cells, and the plotly charts' titles, axis titles,
legend names, annotations and category labels.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata

import numpy as np
import pytest
from google.protobuf.message import Message as Proto

from mnist_lab import config, i18n, models, runs
from mnist_lab.errors import Message
from mnist_lab.registry import MODELS
from tests.helpers import goto, rerun_until, start, synthetic_digits

# ---------------------------------------------------------------- what may stay in Latin letters

# Words a Korean page may show in Latin letters, and why each group is kept. Words are matched as
# written (so "Done" or "adam" is not excused by "Adam"); a word of one letter is maths (x, N, Gx's
# parts), not a word, and is not checked.
ALLOWED = frozenset({
    # proper names: datasets, networks, methods, and the authors a tooltip cites; Korean texts on
    # machine learning write them so, and a student searching for them needs the name as it is
    "MNIST", "Fashion-MNIST", "LeNet-5", "CNN", "MLP", "ReLU", "PCA", "t-SNE", "UMAP", "Grad-CAM",
    "SmoothGrad", "Adebayo",
    # optimisers are named algorithms, like Sobel: Adam is a name, not a word to translate
    "SGD", "Adam", "AdamW", "Adadelta", "RMSprop",
    # software and file formats a teacher installs, opens or types: the name is what they look for
    "ONNX", "PyTorch", "OpenCV", "NumPy", "Keras", "Ray", "onnxruntime", "PNG", "JPEG", "GIF", "BMP", "WebP",
    "IDX", "idx", "npz", "zip",
    # hardware and keys, named as they are printed on them; ID, as Korean writes an identifier
    "CPU", "GPU", "CUDA", "Esc", "ID",
    # units and the symbols of a formula: megabytes, Sobel's two gradients, a logarithm's name
    "MB", "Gx", "Gy", "log10",
    # numbers as the computer prints them: a loss that is not a number (nan) or infinite (inf), and the
    # number types of PyTorch, as the Dataset page shows what the code holds
    "nan", "inf", "torch.uint8", "torch.int64", "torch.float32",
    # the language switch names each language in its own language
    "English",
})  # fmt: skip

# A layer's name in the model's code (c1, relu1, fc2): the name PyTorch prints and a student finds in
# models.py; the page says its kind in Korean beside it.
LAYER_NAMES = frozenset(name for m in MODELS for name, _ in models.build_model(m).named_children())

# PyTorch's class names (Conv2d, MaxPool2d...), as the English catalog keeps them: allowed only as a gloss
# in parentheses after the Korean name of the kind of layer, "합성곱 (Conv2d)", so a student can find it in
# the code.
GLOSSES = frozenset(text for key, text in i18n.EN.items() if key.startswith("layer."))

# A run's id (20261130-191133-lenet5-2c3e) is the run's name, like a student's: it is taken out of a
# text before the text is checked.
RUN_ID = re.compile(r"\b\d{8}-\d{6}-[a-z0-9_]+-[0-9a-f]{4}\b")
CODE_SPAN = re.compile(r"`[^`]*`")  # a file name or a command, quoted as it must be typed
ICON = re.compile(r":material/[a-z0-9_]+:")  # an icon in markdown, not a word
GLOSS = re.compile(r"\(\s*([A-Za-z0-9]+)\s*\)")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")


def stray_english(text: str) -> list[str]:
    """The Latin words of a text that a Korean page should not show."""
    text = ICON.sub(" ", CODE_SPAN.sub(" ", RUN_ID.sub(" ", text)))
    text = re.sub(r"<[^>]*>", " ", text)  # plotly's <b>, <br>
    text = GLOSS.sub(lambda m: " " if m[1] in GLOSSES else m[0], text)
    words = WORD.findall(text)
    return [w for w in words if sum(c.isascii() and c.isalpha() for c in w) > 1 and w not in ALLOWED | LAYER_NAMES]


@pytest.mark.parametrize(
    "text, stray",
    [
        ("프리셋 Seed 000 (SGD, one-cycle)", ["Seed", "one-cycle"]),
        ("상태: done · adam · 백엔드: local", ["done", "adam", "local"]),
        ("합성곱 (Conv2d) · c1 · relu1 · MNIST · t-SNE · 1e-4 · x / 255", []),
        ("Conv2d 뒤에", ["Conv2d"]),  # a class name without its Korean name is not a gloss
        ("실행 20261130-191133-lenet5-2c3e · `default_model.pt`", []),
        ("Language / 언어 · {run} 시작", ["Language", "run"]),  # a placeholder left unfilled is English too
    ],
)
def test_the_check_finds_english_words_and_lets_names_pass(text, stray):
    assert stray_english(text) == stray


def test_every_korean_catalog_text_is_korean():
    """All of it, the errors no page of the tests runs into too; a command, a file or a variable to type is
    quoted as code, which is not checked."""
    layer_kinds = {type(m).__name__ for name in MODELS for m in models.build_model(name).children()}
    assert layer_kinds <= GLOSSES  # every kind of layer of a model has its gloss
    stray = {k: stray_english(PLACEHOLDER.sub("0", v)) for k, v in i18n.STRINGS["ko"].items()}
    assert {k: words for k, words in stray.items() if words} == {}


# ---------------------------------------------------------------- markdown surprises in the catalogs

# Streamlit reads every catalog text as markdown (GitHub's flavour, plus its own): a character that means
# something there changes a text its writer meant plainly. "1 (-90°~-85°) → 2 (-80°~90°)" was struck
# through between its two tildes.
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}")
SHORTCODE = re.compile(r":[a-z][a-z0-9_+/-]*:|:[a-z]+(?:-background)?\[")  # :smile:, :material/x:, :red[...]
BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}(?:\s|$)|>|[-+*]\s|\d+[.)]\s|={3,}\s*$|-{3,}\s*$)")


def _space(c: str) -> bool:
    return c == "" or c.isspace()


def _punct(c: str) -> bool:
    return c != "" and unicodedata.category(c)[0] in "PS"  # CommonMark: Unicode punctuation and symbols


def _flanking(text: str, start: int, end: int) -> tuple[bool, bool]:
    """(left-flanking, right-flanking) for the delimiter run text[start:end] (CommonMark 6.2)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    left = not _space(after) and (not _punct(after) or _space(before) or _punct(before))
    right = not _space(before) and (not _punct(before) or _space(after) or _punct(after))
    return left, right


def markdown_surprises(text: str) -> list[str]:
    """What markdown would make of a catalog text that its writer did not mean: struck-through or maths
    spans, bold that stays two literal stars (a CJK word glued to punctuation, say), italics from an
    underscore, a heading or a list from a line's first character, an emoji or a colour from :word:."""
    found = []
    text = PLACEHOLDER.sub("X", text)  # a filled-in value: a word or a number
    if text.count("`") % 2:
        found.append("an unpaired ` starts code that never ends")
    text = re.sub(r"`[^`]*`", "code", text)
    if "~" in text:
        found.append("~: two of them strike the text between through (write – or a word)")
    if text.count("$") > 1:
        found.append("$: the text between two of them is typeset as maths")
    if re.search(r"\\[!-/:-@\[-`{-~]", text):
        found.append("\\: a backslash before punctuation disappears")
    if re.search(r"<[A-Za-z/!]", text):
        found.append("<: read as an HTML tag")
    if SHORTCODE.search(text):
        found.append(f"{SHORTCODE.search(text)[0]}: read as an emoji, an icon or a colour")
    if "\n" not in text.strip() and BLOCK_START.match(text):
        found.append("the first characters make a heading, a quote or a list")
    stars = list(re.finditer(r"\*+", text))
    if any(len(m[0]) != 2 for m in stars):
        found.append("*: only ** (bold) is meant; one * makes italics")
    elif len(stars) % 2:
        found.append("**: bold opened and never closed")
    else:
        for n, m in enumerate(stars):
            left, right = _flanking(text, m.start(), m.end())
            if not (left if n % 2 == 0 else right):
                side = "open" if n % 2 == 0 else "close"
                found.append(f"**: cannot {side} bold at {text[max(0, m.start() - 8) : m.end() + 8]!r}: "
                             "put a space or no punctuation beside it")  # fmt: skip
    opened = None  # an underscore that may open italics, waiting for one that may close them
    for m in re.finditer(r"_+", text):
        left, right = _flanking(text, m.start(), m.end())
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if opened is not None and right and (not left or _punct(after)):
            found.append(f"_: italics from {text[max(0, opened - 8) : m.end() + 8]!r}")
            opened = None
        elif left and (not right or _punct(before)):
            opened = m.start()
    return found


@pytest.mark.parametrize(
    "text, surprise",
    [
        ("{cls} ({start}~{end})", "~"),
        ("약 1~2분", "~"),
        ("costs $5 or $6", "$"),
        ("**숫자(3)**를 보세요", "**: cannot close"),  # punctuation inside, a letter outside: two stars stay
        ("합성곱**(CNN)** 층", "**: cannot open"),
        ("**bold** and *italic*", "*: only **"),
        ("**never closed", "**: bold opened"),
        ("read _this_ now", "_: italics"),
        ("# Heading", "the first characters"),
        ("- 90° is a turn", "the first characters"),
        ("5. epoch", "the first characters"),
        ("done :tada: now", ":tada:"),
        ("see :material/home: here", ":material/home:"),
        ("a `path", "an unpaired `"),
    ],
)
def test_the_markdown_check_finds_surprises(text, surprise):
    assert any(s.startswith(surprise) for s in markdown_surprises(text)), markdown_surprises(text)


@pytest.mark.parametrize(
    "text",
    [
        "**{name}을(를) 찾지 못했습니다.** 파일을 넣으세요",
        "**합성곱 신경망**(CNN)이 배웁니다",
        "`MNIST_LAB_DATA` or MNIST_LAB_TEACHER_PASSWORD 변수 · '-', '_' and '.' only",
        "#{id}번 숫자",
        "1 (-90° to -85°) → 2 (-80°부터 90°까지)",
        "1. **Dataset** — a grid\n2. **Filters** — a kernel",
        "x² · N × 1 × 28 × 28 · 0…1 · 7→1 · 12:30",
    ],
)
def test_the_markdown_check_lets_plain_text_pass(text):
    assert markdown_surprises(text) == []


@pytest.mark.parametrize("lang", list(i18n.STRINGS))
def test_no_catalog_text_holds_a_markdown_surprise(lang):
    found = [f"{k}: {s}" for k, v in i18n.STRINGS[lang].items() for s in markdown_surprises(v)]
    assert len(i18n.STRINGS[lang]) > 500 and found == []


def test_a_robustness_summary_has_no_tilde_and_a_one_step_stretch_is_one_value():
    """The case that was struck through: a chain of stretches, one of them a single step."""
    from mnist_lab import robustness

    values = np.array([-90.0, -85.0, -80.0, -75.0])
    probs = np.eye(10)[[1, 2, 2, 7]]
    for lang in i18n.STRINGS:
        tr = i18n.translator(lang)
        said = robustness.summary(values, probs, "rotate", i18n.class_names("mnist", lang), tr)
        assert markdown_surprises(said) == [] and "~" not in said
        assert said.startswith(tr("robust.flipped", n=2, chain="").split("{")[0])
        assert tr("robust.segment_one", cls="1", at="-90°") in said  # one step: one value
        assert tr("robust.segment", cls="2", start="-85°", end="-80°") in said
        assert "-90°" in said and said.count("-90°") == 1


# ---------------------------------------------------------------- collecting what a page shows

# the fields of Streamlit's element messages that hold text a student reads (ids, keys, icons, formats
# and a user's own input are left out)
SHOWN_FIELDS = {"body", "label", "options", "help", "placeholder", "text", "content", "caption", "delta"}
NOT_TEXT = {"code", "latex", "html"}  # code is typed as it is; html is the page's style, not text
TUCKED_BLOCKS = {"expander", "popover"}  # opened by a click: where a teacher's details may wait

# a plotly figure's texts shown without hovering: titles, axis titles, tick and category labels,
# annotations, the legend, the dimensions of parallel coordinates, text drawn on the chart. What shows only
# on hover is not read, nor the theme, the shapes, templates or the data behind a click.
CHART_KEYS = {"text", "title", "label", "ticktext", "x", "y"}
CHART_SKIPPED = {"template", "shapes", "hovertemplate", "texttemplate", "hovertext", "customdata", "meta"}
NO_LEGEND = {"heatmap", "image", "parcoords", "table", "contour", "histogram2d", "surface"}
TEXT_SHOWN = {"bar", "pie", "funnel", "waterfall", "histogram"}  # they draw their text unless told not to


def _proto_texts(msg: Proto, out: list[tuple[str, str]]) -> None:
    for fd, value in msg.ListFields():
        values = value if fd.is_repeated else [value]
        for v in values:
            if isinstance(v, Proto):
                _proto_texts(v, out)
            elif isinstance(v, str) and fd.name in SHOWN_FIELDS and v.strip():
                out.append((fd.name, v))


def _walk(node, out: list[str], key: str = "") -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in CHART_SKIPPED:
                _walk(v, out, k)
    elif isinstance(node, list):
        for v in node:
            _walk(v, out, key)
    elif isinstance(node, str) and key in CHART_KEYS:
        out.append(node)


def _in_legend(trace: dict, layout: dict) -> bool:
    """Whether plotly shows a trace's name in the legend: when asked to, else by its defaults (never for
    a heatmap or an image, whose colours say their values)."""
    if not isinstance(trace.get("name"), str) or layout.get("showlegend") is False:
        return False
    return trace.get("showlegend", trace.get("type", "scatter") not in NO_LEGEND) is not False


def _text_drawn(trace: dict) -> bool:
    """Whether a trace draws its text on the chart (else its text is for the hover, or unused)."""
    if trace.get("texttemplate"):
        return True
    if "mode" in trace:
        return "text" in trace["mode"]
    return trace.get("type") in TEXT_SHOWN and trace.get("textposition") != "none"


def chart_texts(spec: dict) -> list[str]:
    layout, out = spec.get("layout", {}), []
    _walk(layout, out)
    for trace in spec.get("data", []):
        if _in_legend(trace, layout):
            out.append(trace["name"])
        _walk({k: v for k, v in trace.items() if k != "name" and (k != "text" or _text_drawn(trace))}, out)
    return out


def page_texts(at) -> list[tuple[str, bool]]:
    """(text, tucked) for every text on the page; tucked: in a help tooltip, an expander or a popover."""
    found: list[tuple[str, bool]] = []

    def visit(node, tucked: bool) -> None:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "plotly_chart":
            found.extend((t, tucked) for t in chart_texts(json.loads(proto.spec)))
        elif kind in ("dataframe", "table"):
            frame = node.value
            found.extend((str(c), tucked) for c in frame.columns)
            found.extend((v, tucked) for col in frame.columns for v in frame[col].tolist() if isinstance(v, str))
        elif isinstance(proto, Proto) and kind not in NOT_TEXT:
            fields: list[tuple[str, str]] = []
            _proto_texts(proto, fields)
            found.extend((t, tucked or name == "help") for name, t in fields)
        inner = tucked or kind in TUCKED_BLOCKS
        for child in getattr(node, "children", {}).values():
            visit(child, inner)

    visit(at._tree, False)
    return found


# ---------------------------------------------------------------- a class in the middle of a lesson

TEACHER_PASSWORD = "korean-test"
RUN_SECONDS = 60  # how long the finished run of the lesson took


def _write_metrics(run: runs.Run, epochs: int = 2, steps: int = 4) -> None:
    events = []
    for e in range(1, epochs + 1):
        for s in range(1, steps + 1):
            step = (e - 1) * steps + s
            events.append({"type": "batch", "epoch": e, "step": step, "total_steps": epochs * steps,
                           "loss": 2.3 / step, "acc": 0.1 + 0.05 * step, "seen": 50 * step,
                           "images_per_s": 500.0, "elapsed": 0.1 * step, "eta": 0.0})  # fmt: skip
        events.append({"type": "epoch", "epoch": e, "train_loss": 1.0 / e, "train_acc": 0.5 + 0.1 * e,
                       "test_loss": 1.1 / e, "test_acc": 0.45 + 0.1 * e, "elapsed": 0.4 * e,
                       "partial": False})  # fmt: skip
    run.metrics_path.write_text("".join(json.dumps(ev) + "\n" for ev in events))


@pytest.fixture
def lesson(tiny_mnist, runs_dir, model_run, monkeypatch):
    """The runs folder as a lesson leaves it: a finished run with curves (model_run), a run that failed,
    and digits the class drew, two students named in Korean."""
    from mnist_lab.classdigits.store import DigitStore, default_path

    monkeypatch.setenv("MNIST_LAB_TEACHER_PASSWORD", TEACHER_PASSWORD)
    store = runs.RunStore(runs_dir)
    done = store.get(model_run)
    _write_metrics(done)
    ended = time.time() - 5
    done.set_status("done", started=ended - RUN_SECONDS, ended=ended, test_accuracy=0.65, student="하나")
    failed = store.create(config.make_config("mlp", "seed000", epochs=1).to_dict())
    failed.set_status("failed", reason=Message("reason.diverged", loss="nan", epoch=1, step=3, lr=10.0),
                      started=time.time() - 30, ended=time.time() - 20, student="두리")  # fmt: skip
    images, labels = synthetic_digits(12, seed=5)
    digits = DigitStore(default_path(runs_dir))
    for i in range(len(images)):
        digits.add(label=int(labels[i]), image=images[i], student=("하나", "두리")[i % 2], model="default",
                   answer=int(labels[(i + 1) % len(labels)]), confidence=0.8)  # fmt: skip
    digits.close()
    return model_run


def tr_ko(key: str, **fmt) -> str:
    return i18n.t(key, "ko", **fmt)


def _settled(at):
    """The page once its background work (an evaluation, a digit map, look-alikes) is shown: no progress
    bar short of its end (a finished run's own bar on Train is full)."""
    working = lambda a: any(p.proto.value < 100 for p in a.get("progress"))  # noqa: E731
    return rerun_until(at, lambda a: not working(a), what="the page's background work to finish")


def _choose(at, control, content: str):
    """Run the page as after a click on one option of a segmented control (the browser sends the
    option's text, which Streamlit maps back to its value)."""
    states = at._tree.get_widget_states()
    kept = [w for w in states.widgets if w.id != control.id]
    del states.widgets[:]
    states.widgets.extend(kept)
    chosen = states.widgets.add()
    chosen.id = control.id
    chosen.string_array_value.data[:] = [content]
    return at._run(states)


def korean_pages(run_id: str, model_choice: str):
    """Every page in Korean, signed in as the teacher, following the finished run on Train, with this
    model in use: (page file, AppTest). The class board and Robustness come once more for each option of
    their segmented control: each draws its chart with other axes and words."""
    import ui

    at = start(lang="ko")
    at.session_state["model_choice"] = model_choice
    at.session_state["_teacher"] = True
    at.session_state["watch_run"] = run_id
    at.session_state["drawn_digit"] = synthetic_digits(1, seed=9)[0][0]
    for page in ui.PAGES:
        at = _settled(goto(at, page.file))
        assert not at.exception, f"{page.file}: {at.exception[0].message}"
        yield page.file, at
        if page.nav not in ("board", "robustness"):
            continue
        labels = (tr_ko("board.view"), tr_ko("robust.kind"))
        for content in next(c for c in at.get("button_group") if c.label in labels).options[1:]:
            at = goto(at, page.file)  # each choice from the page as it opens: one click each
            control = next(c for c in at.get("button_group") if c.label in labels)
            at = _settled(_choose(at, control, content))
            assert not at.exception, f"{page.file}, {content}: {at.exception[0].message}"
            control = next(c for c in at.get("button_group") if c.label == control.label)
            assert control.formatted_values == [content], (content, control.formatted_values)
            yield page.file, at


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("model", ["run", "default"])
def test_korean_pages_show_no_stray_english(lesson, model):
    """A trained LeNet-5 run and the shipped model (a modern CNN, other kinds of layers) on every page."""
    seen, stray = 0, {}
    for page, at in korean_pages(lesson, lesson if model == "run" else "default"):
        texts = page_texts(at)
        assert any(re.search("[가-힣]", t) for t, _ in texts), f"{page}: no Korean text found"
        seen += len(texts)
        for text, _ in texts:
            words = stray_english(text)
            if words:
                stray.setdefault(page, []).append(f"{words} in {text[:160]!r}")
    assert seen > 500, seen  # the collection still finds the pages' texts
    assert stray == {}, "\n".join(f"{p}:\n  " + "\n  ".join(lines) for p, lines in stray.items())


def _fixed(tr: i18n.Translator, key: str) -> str:
    """The longest part of a text that its values do not change."""
    return max(re.split(r"\{[a-z_]+\}", tr(key)), key=len).strip()


def test_student_pages_keep_paths_timings_and_numbers_behind_a_click(lesson, tmp_path):
    """No file path, no measured time and no rank correlation on a student's page until they ask (a help
    tooltip, an expander, a popover); verdicts are said with a mark; a run's time is said once."""
    import ui

    tr = i18n.translator("ko")
    asked = {_fixed(tr, k) for k in ("explain.timing", "dmap.made_in", "explain.check_help", "mistakes.model_file")}
    marks = {tr(f"explain.check.{v}")[0] for v in ("same", "partly", "differs")}
    assert len(marks) == 3 and not any(re.match("[가-힣]", m) for m in marks)
    teacher = ui.page("teacher")
    found_tucked, checked = set(), 0
    for page, at in korean_pages(lesson, lesson):
        texts = page_texts(at)
        found_tucked |= {a for a in asked for t, tucked in texts if tucked and a in t}
        shown = [t for t, tucked in texts if not tucked]
        if page == teacher:  # the teacher's page may name folders
            continue
        checked += len(shown)
        for text in shown:
            assert str(tmp_path) not in text, f"{page}: a path in {text!r}"
            assert not re.search(r"\b[\w-]+\.(?:pt|npz|onnx|jsonl?|py)\b", text), f"{page}: a file name in {text!r}"
            assert not [a for a in asked if a in text], f"{page}: {text!r} is for whoever asks"
        if page == ui.page("explain"):
            assert any(m in t for t in shown for m in marks), "Explain gives its verdict with a mark"
        if page == ui.page("train"):
            said = {m.label: m.value for m in at.metric}
            table = next(d.value for d in at.dataframe if tr("train.col.run") in d.value.columns)
            [row] = table[table[tr("train.col.run")] == lesson].to_dict("records")
            took = i18n.duration(RUN_SECONDS)
            assert said[tr("train.col.duration")] == row[tr("train.col.duration")] == took
            assert list(said.values()).count(took) == 1  # not a second time beside it under another name
    assert checked > 300 and found_tucked == asked  # what was taken off the page is still there, a click away
