"""Screenshots of every page of the app against the real MNIST (not a test).

Starts `streamlit run app.py` with a temporary runs folder, opens the home page in headless
Chromium (1280x900) and follows the sidebar links in one session, so a model picked once is used
on every page. When the shipped default model is not installed, a LeNet-5 is trained for one
epoch first and picked in the sidebar (--with-run trains it anyway, so the Train page shows a run).
On the Draw page a digit is drawn before the picture. Each page is saved as
docs/screenshots/[LANG_]N_name.png, under --max-kb (palette PNG when needed). --class-digits N first
saves N redrawn test digits as the class's own (through Draw's Add path), for Our digits and Draw.

Usage: python -m bench.screenshots [--data DIR] [--out DIR] [--lang en|ko] [--pages train,draw] [--with-run]
       [--class-digits 30] [--height 720]
The pictures in docs/screenshots came from (and the same with --lang ko)
    python -m bench.screenshots --height 720 --with-run --class-digits 30 --teacher-password shots
"""

from __future__ import annotations

import argparse
import io
import os
import re
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from mnist_lab import checkpoints
from tests.appdriver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    INIT_SCRIPT,
    NAV_LINK,
    NAV_LINKS,
    QUIET,
    RERUN_DONE,
    SETTLED,
    VIEWPORT,
    AppServer,
    browser_available,
    drag,
    pad_points,
    train_cli,
)

ROOT = Path(__file__).resolve().parent.parent


WAIT = 180_000  # ms


def save_png(png: bytes, path: Path, max_kb: int) -> int:
    """Save a screenshot as an optimized PNG, as a 256-colour palette PNG if that is still too big."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    for candidate in (img, img.quantize(256, method=Image.Quantize.MEDIANCUT), img.quantize(64)):
        buf = io.BytesIO()
        candidate.save(buf, "PNG", optimize=True)
        if buf.tell() <= max_kb * 1024:
            break
    path.write_bytes(buf.getvalue())
    return buf.tell()


def wait_rerun(page, do) -> None:
    since = page.evaluate("performance.now()")
    do()
    page.wait_for_function(RERUN_DONE, arg=since, timeout=WAIT)


def pick_run(page, run_id: str) -> None:
    """Choose a run in the sidebar's model picker (it stays chosen on the other pages)."""
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    wait_rerun(page, lambda: page.get_by_role("option", name=re.compile(re.escape(run_id))).click())


def draw_digit(page) -> None:
    pad = page.locator(".st-key-pad canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    wait_rerun(page, lambda: drag(page, pad_points(box, 2)))
    page.locator("[data-testid='stMetric']").wait_for(timeout=WAIT)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("[data-testid='stMain']").evaluate("el => el.scrollTo(0, 0)")


# students and settings for a board worth looking at: three models, three learning rates
CLASS = [
    ("Ana", "lenet5", 0.01),
    ("Ben", "lenet5", 0.003),
    ("지우", "mlp", 0.01),
    ("Dana", "simple_cnn", 0.01),
    ("Eli", "lenet5", 0.03),
    ("민준", "mlp", 0.003),
    ("Fatima", "simple_cnn", 0.003),
    ("Gus", "lenet5", 0.1),
]


def class_runs(data: Path, runs: Path, n: int, timeout: float = 900) -> None:
    """Submit n class runs (CLASS's students and settings, round and round) and wait until all end."""
    import json
    import subprocess
    import sys

    ids = []
    for k in range(n):
        student, model, lr = CLASS[k % len(CLASS)]
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "mnist_lab",
                "submit",
                "--model",
                model,
                "--preset",
                "class",
                "--lr",
                str(lr),
                "--student",
                student,
                "--runs-dir",
                str(runs),
                "--data",
                str(data),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        ids.append(json.loads(out)["run_id"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [json.loads((runs / r / "status.json").read_text())["state"] for r in ids]
        if all(s not in ("queued", "running") for s in states):
            return
        time.sleep(1)
    raise SystemExit("the class runs did not end in time")


STUDENTS = ["Ana", "Ben", "지우", "민준", "Ana", "Ben", "지우", None]


def class_digits(data: Path, runs: Path, n: int = 30, seed: int = 7) -> None:
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


def notes(page) -> list[str]:
    """Exceptions, errors and warnings shown on the page (one line each)."""
    out = []
    for kind in ("stException", "stAlertContentError", "stAlertContentWarning"):
        for el in page.locator(f"[data-testid='{kind}']").all():
            out.append(f"{kind}: {el.inner_text().strip().splitlines()[0][:160]}")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "/work/shared/datasets"))
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--lang", default="en", choices=("en", "ko"))
    p.add_argument("--max-kb", type=int, default=300)
    p.add_argument("--pages", help="comma-separated page names to capture (default: every page)")
    p.add_argument("--with-run", action="store_true", help="train a short LeNet-5 run first, so Train shows one")
    p.add_argument("--class-runs", type=int, default=0, help="submit this many class runs first, for the board")
    p.add_argument("--teacher-password", help="start the server with it and sign in on the Teacher page")
    p.add_argument("--name", default="Ana", help="the student name typed in the sidebar")
    p.add_argument("--class-digits", type=int, default=0, help="save this many redrawn digits as the class's first")
    p.add_argument("--height", type=int, default=VIEWPORT["height"], help="the window's height (720: a projector)")
    args = p.parse_args()
    wanted = set(args.pages.split(",")) if args.pages else None
    prefix = "" if args.lang == "en" else f"{args.lang}_"
    if browser_available():
        raise SystemExit(browser_available())
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mnist_lab_shots_") as tmp:
        tmp = Path(tmp)
        run_id = None
        if args.with_run or not checkpoints.default_checkpoint().is_file():
            print("training LeNet-5 for one epoch ...", flush=True)
            run_id = train_cli(Path(args.data), tmp / "runs", "--model", "lenet5", "--epochs", "1")
        if args.class_runs:
            print(f"training {args.class_runs} class runs ...", flush=True)
            class_runs(Path(args.data), tmp / "runs", args.class_runs)
        if args.class_digits:
            class_digits(Path(args.data), tmp / "runs", args.class_digits)
        env = {"MNIST_LAB_TEACHER_PASSWORD": args.teacher_password} if args.teacher_password else {}
        with AppServer(Path(args.data), tmp / "runs", tmp / "server.log", env=env) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={**VIEWPORT, "height": args.height})
            context.add_init_script(INIT_SCRIPT)
            page = context.new_page()
            page.set_default_timeout(WAIT)
            page.goto(f"{server.url}/?lang={args.lang}&name={args.name}")
            page.wait_for_function(SETTLED, timeout=WAIT)
            links = page.evaluate(NAV_LINKS)
            # the run is picked only when there is no shipped model to show instead
            picked = run_id is None or checkpoints.default_checkpoint().is_file()
            for i, url in enumerate(links):
                name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0].lower() if i else "home"
                if wanted is not None and name not in wanted:
                    continue
                t0 = time.perf_counter()
                if i:
                    wait_rerun(page, lambda i=i: page.locator(NAV_LINK).nth(i).click())
                if not picked and page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count():
                    pick_run(page, run_id)
                    picked = True
                if url.split("?")[0].rstrip("/").endswith("/Draw"):
                    draw_digit(page)
                if name == "teacher" and args.teacher_password:
                    page.locator("input[type='password']").fill(args.teacher_password)
                    wait_rerun(page, lambda: page.locator("[data-testid='stFormSubmitButton'] button").click())
                page.evaluate("document.activeElement && document.activeElement.blur()")
                page.wait_for_function(QUIET, arg=1500, timeout=WAIT)
                path = out / f"{prefix}{i}_{name}.png"
                size = save_png(page.screenshot(), path, args.max_kb)
                print(
                    f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size / 1024:.0f} KB  "
                    f"{time.perf_counter() - t0:.1f} s",
                    flush=True,
                )
                for line in notes(page):
                    print("   ", line)
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
