"""The picture first, on a projector: at 1280x720, in English and in Korean, each page's main picture is
in the first screen, before any scrolling, and large enough to see (Draw has its own test).

The real app under `streamlit run` in headless Chromium, with the tiny generated dataset, the shipped
model, one trained run (for Train and the class board), a few of the class's digits (for Our digits)
and a teacher's password (the Teacher page signed in).
"""

from __future__ import annotations

import time

import pytest

import ui
from mnist_lab import config, i18n
from mnist_lab.runs import RunStore
from tests.appdriver import (
    CUT_SHORT,
    QUIET,
    RERUN_DONE,
    SETTLED,
    AppServer,
    browser_available,
    browser_page,
    train_cli,
)
from tests.helpers import require, synthetic_digits, write_mnist

pytestmark = [pytest.mark.browser, pytest.mark.slow]
require("browser", browser_available(), module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

PROJECTOR = {"width": 1280, "height": 720}
SEEN = 150  # px of the picture that must be on the first screen, and its least height
WAIT = 120_000  # ms: pages that evaluate the model or place the digits in the background take a while
PASSWORD = "first-screen"

# each page's main picture (a chart's key is its element's class, st-key-<key>); Draw: the lead's test
PICTURES = {
    "home": ".st-key-home_cards",
    "dataset": "[class*='st-key-ds_grid_']",
    "filters": ".st-key-f_sobel_maps",
    "our_digits": "[class*='st-key-o_gallery_']",
    "train": "[class*='st-key-live_batch_']",
    "board": ".st-key-board_curves",
    "teacher": "[data-testid='stMain'] [data-testid='stDataFrame']",
    "mistakes": ".st-key-m_confusion",
    "feature_maps": ".st-key-fm_strip",
    "explain": ".st-key-ex_digit",
    "digit_map": "[class*='st-key-dmap_pca']",
    "robustness": ".st-key-robust_chart",
}
# what must be on the first screen beside it: Start, and the digit's three maps in the digit's row
ALSO = {
    "train": ["[data-testid='stFormSubmitButton'] button"],
    "explain": [f".st-key-ex_{method}" for method in ("occlusion", "smoothgrad", "gradcam")],
}
PAGES = [p for p in ui.PAGES if p.nav != "draw"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("first_screen")
    data, runs = write_mnist(tmp / "data").parent.parent, tmp / "runs"
    # the rest of a class: finished runs as their folders say (no curves), for the board and the teacher
    for k, (student, model) in enumerate([("Ben", "mlp"), ("지우", "lenet5"), ("Dana", "simple_cnn"), ("Eli", "mlp")]):
        run = RunStore(runs).create(config.make_config(model, "fast", epochs=1).to_dict(), student=student)
        run.set_status("done", started=time.time() - 60, ended=time.time() - 30, test_accuracy=0.9 + k / 50)
    # trained last, so the newest run, the one Train follows, has curves
    train_cli(data, runs, "--model", "lenet5", "--epochs", "2", "--batch-size", "32")
    from mnist_lab.classdigits.store import DigitStore, default_path

    store = DigitStore(default_path(runs))
    images, labels = synthetic_digits(40, seed=3)  # five rows of the gallery, as a class soon has
    for img, label in zip(images, labels):
        store.add(label=int(label), image=img, student="Ana", model="default", answer=int(label), confidence=0.9)
    store.close()
    env = {"MNIST_LAB_TEACHER_PASSWORD": PASSWORD}
    with AppServer(data, runs, tmp / "server.log", env=env) as server:
        yield server


@pytest.fixture
def page(browser) -> Page:
    with browser_page(browser, PROJECTOR, WAIT) as p:
        yield p


def first_screen(page: Page, selector: str) -> dict:
    """The element's box as the page opens (never scrolled), after checking that it is there."""
    found = page.locator(selector).first
    expect(found).to_be_visible(timeout=WAIT)
    page.wait_for_function(SETTLED, timeout=WAIT)
    page.wait_for_function(QUIET, arg=1000, timeout=WAIT)  # the last chart drawn, the layout still
    assert page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollTop") == 0
    assert page.evaluate("window.scrollY") == 0
    return found.bounding_box()


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("info", PAGES, ids=[p.nav for p in PAGES])
def test_the_main_picture_is_on_the_first_screen(app, page, info, lang):
    address = f"{app.url}/{'' if info is ui.PAGES[0] else info.url}?lang={lang}"
    page.goto(address)
    page.wait_for_function(SETTLED, timeout=WAIT)
    expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t(f"{info.texts}.title", lang))
    if info.nav == "teacher":
        page.locator("input[type='password']").fill(PASSWORD)
        since = page.evaluate("performance.now()")
        page.locator("[data-testid='stFormSubmitButton'] button").click()
        page.wait_for_function(RERUN_DONE, arg=since, timeout=WAIT)
    box = first_screen(page, PICTURES[info.nav])
    height = PROJECTOR["height"]
    assert box["height"] >= SEEN, f"{info.nav} ({lang}): its picture is {box['height']:.0f} px high"
    assert box["y"] <= height - SEEN, (
        f"{info.nav} ({lang}): its picture starts at {box['y']:.0f} px, less than {SEEN} px of it on a "
        f"{height} px screen"
    )
    for selector in ALSO.get(info.nav, []):
        other = first_screen(page, selector)
        assert other["y"] + min(other["height"], SEEN) <= height, f"{info.nav} ({lang}): {selector} at {other}"
    if info.nav == "home":  # a row of cards, pictures and names, before any scrolling
        cards = page.locator(".st-key-home_cards [data-testid='stImage']").all()
        shown = [card.bounding_box() for card in cards]
        assert len(shown) == len(ui.PAGES) - 1
        assert sum(b["y"] + b["height"] <= height for b in shown) >= 4
    assert cut_short(page) == [], f"{info.nav} ({lang}): text cut short"
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def cut_short(page: Page) -> list[str]:
    """Every text on the page (sidebar included) that is too long for its box and ends in an ellipsis."""
    return page.evaluate(CUT_SHORT)


def test_a_click_on_the_strip_opens_that_layer_large(app, page):
    """Feature maps: the strip's last column is the network's output layer; a click there opens it."""
    from mnist_lab import checkpoints, models

    last = models.summary(checkpoints.read_card()["model"])[-1]["layer"]
    page.goto(f"{app.url}/{next(p.url for p in PAGES if p.nav == 'feature_maps')}")
    box = first_screen(page, PICTURES["feature_maps"])
    opened = page.locator("[data-testid='stMain'] h3").first
    expect(opened).not_to_contain_text(last)  # a convolution is open first
    since = page.evaluate("performance.now()")
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + box["height"] * 0.4)
    page.wait_for_function(RERUN_DONE, arg=since, timeout=WAIT)
    expect(opened).to_contain_text(f"{last} · ")
