"""Screenshots of every page of the app against the real MNIST (not a test).

Starts `streamlit run app.py` with a temporary runs folder, opens the home page in headless
Chromium (1280x900) and follows the sidebar links in one session, so a model picked once is used
on every page. When the shipped default model is not installed, a LeNet-5 is trained for one
epoch first and picked in the sidebar. On the Draw page a digit is drawn before the picture.
Each page is saved as docs/screenshots/N_name.png, under --max-kb (palette PNG when needed).

Usage: python bench/screenshots.py [--data DIR] [--out DIR] [--lang en|ko]
"""
from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from PIL import Image  # noqa: E402

from appdriver import (CHROMIUM, CHROMIUM_ARGS, INIT_SCRIPT, NAV_LINKS, QUIET, RERUN_DONE, SETTLED,  # noqa: E402
                       VIEWPORT, AppServer, browser_available, drag, pad_points, train_cli)
from mnist_lab import runs  # noqa: E402

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
    pad = page.locator("canvas.upper-canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    wait_rerun(page, lambda: drag(page, pad_points(box, 2)))
    page.locator("[data-testid='stMetric']").wait_for(timeout=WAIT)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("[data-testid='stMain']").evaluate("el => el.scrollTo(0, 0)")


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
    args = p.parse_args()
    if browser_available():
        raise SystemExit(browser_available())
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mnist_lab_shots_") as tmp:
        tmp = Path(tmp)
        run_id = None
        if not runs.default_checkpoint().is_file():
            print("no shipped model: training LeNet-5 for one epoch ...", flush=True)
            run_id = train_cli(Path(args.data), tmp / "runs", "--model", "lenet5", "--epochs", "1")
        with AppServer(Path(args.data), tmp / "runs", tmp / "server.log") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(INIT_SCRIPT)
            page = context.new_page()
            page.set_default_timeout(WAIT)
            page.goto(f"{server.url}/?lang={args.lang}")
            page.wait_for_function(SETTLED, timeout=WAIT)
            links = page.evaluate(NAV_LINKS)
            picked = run_id is None
            for i, url in enumerate(links):
                t0 = time.perf_counter()
                if i:
                    wait_rerun(page, lambda: page.locator(
                        "[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']").nth(i).click())
                if not picked and page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count():
                    pick_run(page, run_id)
                    picked = True
                if url.split("?")[0].rstrip("/").endswith("/Draw"):
                    draw_digit(page)
                page.evaluate("document.activeElement && document.activeElement.blur()")
                page.wait_for_function(QUIET, arg=1500, timeout=WAIT)
                name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0].lower() if i else "home"
                path = out / f"{i}_{name}.png"
                size = save_png(page.screenshot(), path, args.max_kb)
                print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size / 1024:.0f} KB  "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
                for line in notes(page):
                    print("   ", line)
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
