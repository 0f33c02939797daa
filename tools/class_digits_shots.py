"""Screenshots of the class's digits (not a test): the Our digits page and Draw's Add control, at 1280x720
in English and Korean, against the real MNIST.

A temporary runs folder is filled with 30 digits from four students (and a few without a name): MNIST
test digits redrawn the way the pad or a phone sends them (mnist_lab.redraw), prepared and saved through
the same path as Draw's Add, with the shipped model's answers. Saved as docs/screenshots/our_digits_LANG.png
and draw_add_LANG.png, each under --max-kb.

Usage: python -m tools.class_digits_shots [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from bench.screenshots import WAIT, draw_digit, save_png
from tests.appdriver import CHROMIUM, CHROMIUM_ARGS, INIT_SCRIPT, QUIET, SETTLED, AppServer, browser_available

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1280, "height": 720}
STUDENTS = ["Ana", "Ben", "지우", "민준", "Ana", "Ben", "지우", None]


def fill(data: Path, runs: Path, n: int = 30, seed: int = 7) -> None:
    """n redrawn test digits in the class's set; some of those the shipped model finds hard, so the
    confusion matrix and the wrong answers have something to show."""
    from mnist_lab import checkpoints, evaluate, preprocess, redraw
    from mnist_lab.classdigits import collect
    from mnist_lab.classdigits.store import DigitStore, default_path
    from mnist_lab.data import load_dataset

    rng = np.random.default_rng(seed)
    test = load_dataset("mnist", data).test
    model, meta = checkpoints.load_model(checkpoints.default_checkpoint())
    store = DigitStore(default_path(runs))
    picks = rng.choice(len(test), 400, replace=False)
    added = wrong = 0
    for i in picks:
        digit, label = test.images[i].numpy(), int(test.labels[i])
        source = "photo" if rng.random() < 0.2 else "pad"
        if source == "pad":
            picture = redraw.pad_drawing(digit, rng, str(rng.choice(["pad", "pad", "pad_small", "pad_bold"])))
        else:
            picture = cv2.cvtColor(redraw.photo(digit, rng), cv2.COLOR_BGR2RGB)
        prepared = preprocess.prepare_digit(picture, source)
        if prepared.image is None:
            continue
        probs = evaluate.predict_proba(model, prepared.image[None], meta.normalize, meta.pad)[0]
        is_wrong = int(probs.argmax()) != label
        if not is_wrong and added - wrong >= n - 6:  # room kept for a few misread ones
            continue
        collect.add_drawing(store, picture=picture, prepared=prepared, source=source, label=label, probs=probs,
                            student=STUDENTS[added % len(STUDENTS)], model="default")  # fmt: skip
        added, wrong = added + 1, wrong + is_wrong
        if added == n:
            break
    store.close()
    print(f"{added} digits, {wrong} misread by the shipped model", flush=True)


def settle(page) -> None:
    page.wait_for_function(SETTLED, timeout=WAIT)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_function(QUIET, arg=1500, timeout=WAIT)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "/work/shared/datasets"))
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--max-kb", type=int, default=480)
    args = p.parse_args()
    if browser_available():
        raise SystemExit(browser_available())
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mnist_lab_class_shots_") as tmp:
        tmp = Path(tmp)
        fill(Path(args.data), tmp / "runs")
        with AppServer(Path(args.data), tmp / "runs", tmp / "server.log") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for lang in ("en", "ko"):
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(INIT_SCRIPT)
                page = context.new_page()
                page.set_default_timeout(WAIT)
                page.goto(f"{server.url}/Our_Digits?lang={lang}&name=Ana")
                settle(page)
                size = save_png(page.screenshot(), out / f"our_digits_{lang}.png", args.max_kb)
                print(f"our_digits_{lang}.png  {size / 1024:.0f} KB", flush=True)

                page.goto(f"{server.url}/Draw?lang={lang}&name=Ana")
                settle(page)
                draw_digit(page)
                settle(page)
                size = save_png(page.screenshot(), out / f"draw_add_{lang}.png", args.max_kb)
                print(f"draw_add_{lang}.png  {size / 1024:.0f} KB", flush=True)
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
