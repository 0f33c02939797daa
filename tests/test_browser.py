"""End-to-end: the real app under `streamlit run`, driven in headless Chromium with Playwright.

One server for the module, on a free local port, with a tiny generated dataset and its own runs
folder; one run is trained beforehand with the CLI so the model pages have a model to use.
"""

from __future__ import annotations

import re

import pytest

import ui
from mnist_lab import i18n
from tests.appdriver import (
    CUT_SHORT,
    NAV_LINK,
    NAV_LINKS,
    QUIET,
    RERUN_DONE,
    SETTLED,
    VIEWPORT,
    AppServer,
    browser_available,
    browser_page,
    drag,
    pad_points,
    train_cli,
)
from tests.helpers import require, write_mnist

pytestmark = [pytest.mark.browser, pytest.mark.slow]
require("browser", browser_available(), module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

WAIT = 90_000  # ms: the machine may be small and shared
PAGES = len(ui.PAGES)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(server, id of a trained run); training processes and the server are killed at the end."""
    tmp = tmp_path_factory.mktemp("browser")
    data, runs = write_mnist(tmp / "data").parent.parent, tmp / "runs"
    run_id = train_cli(data, runs, "--model", "lenet5", "--epochs", "1", "--batch-size", "32")
    server = AppServer(data, runs, tmp / "server.log").start()
    yield server, run_id
    server.stop()


@pytest.fixture
def page(browser) -> Page:
    with browser_page(browser, VIEWPORT, WAIT) as p:
        yield p


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=WAIT)


def act(page: Page, do) -> None:
    """Do something that reruns the script, and wait for that rerun to finish."""
    since = page.evaluate("performance.now()")
    do()
    page.wait_for_function(RERUN_DONE, arg=since, timeout=WAIT)


def assert_rendered(page: Page) -> None:
    expect(page.locator("[data-testid='stApp']")).to_be_visible()
    expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def nav(page: Page, label: str):
    return page.locator(NAV_LINK).filter(has_text=label)


def test_every_page_renders(app, page):
    server, _ = app
    open_page(page, server.url)
    urls = page.evaluate(NAV_LINKS)
    assert len(urls) == PAGES and len(set(urls)) == PAGES, urls
    titles = []
    for url in urls:
        open_page(page, url)
        assert_rendered(page)
        titles.append(page.locator("[data-testid='stMain'] h1").first.inner_text())
    assert titles == [i18n.t(f"{p.texts}.title") for p in ui.PAGES]


PAD = ".st-key-pad canvas"
# a vertical stroke through the pad's middle, sent as a finger would: pointer events of type "touch"
TOUCH_STROKE = """(canvas) => {
  const r = canvas.getBoundingClientRect();
  const at = (f) => ({pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true, cancelable: true,
                      clientX: r.left + r.width / 2, clientY: r.top + r.height * f});
  const events = [new PointerEvent('pointerdown', at(0.15))];
  for (let f = 0.2; f <= 0.85; f += 0.05) events.push(new PointerEvent('pointermove', at(f)));
  events.push(new PointerEvent('pointerup', at(0.85)));
  // a page that scrolled or zoomed under the finger would have taken the stroke for itself
  return [events.map((e) => canvas.dispatchEvent(e)).every((kept) => !kept), getComputedStyle(canvas).touchAction];
}"""


def answer(page: Page) -> str:
    return page.locator("[data-testid='stMetricValue']").first.inner_text().strip()


def test_draw_a_digit_gets_a_prediction(app, page):
    server, run_id = app
    open_page(page, server.url + "/Draw")
    # the run trained for this test, picked in the sidebar (the shipped model may not be installed)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    act(page, lambda: page.get_by_role("option", name=re.compile(re.escape(run_id))).click())
    expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
    pad = page.locator(PAD)
    box = pad.bounding_box()
    assert box["y"] + box["height"] <= VIEWPORT["height"]  # the whole pad on the first screen
    act(page, lambda: drag(page, pad_points(box, 0)))
    answer_box = page.locator("[data-testid='stMetric']")
    expect(answer_box).to_contain_text(i18n.t("draw.prediction"))
    assert re.fullmatch(r"\d", answer(page))
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(1)  # the ten probabilities
    sent = page.evaluate("window.__st.sent.filter((t) => t >= window.__st.mouseUp).length")
    assert sent >= 1  # the stroke left when the pen lifted (no timer holds it)
    assert page.evaluate(CUT_SHORT) == []  # the buttons and the answer are never cut short
    assert_rendered(page)

    # undo takes the stroke back, and the answer goes; Esc empties the pad after a second stroke
    act(page, lambda: page.get_by_role("button", name=i18n.t("draw.pad.undo"), exact=True).click())
    expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
    act(page, lambda: drag(page, pad_points(box, 1)))
    expect(page.locator("[data-testid='stMetric']")).to_have_count(1)
    act(page, lambda: page.keyboard.press("Escape"))
    expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
    expect(page.get_by_role("button", name=i18n.t("draw.pad.clear"), exact=True)).to_be_disabled()

    # a finger draws too, and the page does not scroll under it
    since = page.evaluate("performance.now()")
    taken, touch_action = pad.evaluate(TOUCH_STROKE)
    page.wait_for_function(RERUN_DONE, arg=since, timeout=WAIT)
    assert taken and touch_action == "none"
    expect(page.locator("[data-testid='stMetric']")).to_have_count(1)
    assert answer(page) in "0123456789"

    # why: the drawn digit, one click away on Explain, then on Robustness and the Digit map
    act(page, lambda: page.get_by_role("button", name=i18n.t("draw.to_explain")).click())
    expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t("explain.title"))
    page.wait_for_function(SETTLED, timeout=WAIT)
    expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible()
    expect(page.get_by_text(i18n.t("explain.trained"), exact=True).first).to_be_visible()
    assert_rendered(page)
    for texts, nav_key in (("robust", "nav.robustness"), ("dmap", "nav.digit_map")):
        act(page, lambda nav_key=nav_key: nav(page, i18n.t(nav_key)).click())
        expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t(f"{texts}.title"))
        page.wait_for_function(SETTLED, timeout=WAIT)
        expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible()
        assert_rendered(page)


def test_train_start_watch_stop(app, page):
    server, _ = app
    open_page(page, server.url + "/Train?name=Tester")  # a run needs its student's name
    # long enough to stop while it trains: 200 one-image steps per epoch, many epochs
    page.get_by_label(i18n.t("train.batch_size"), exact=True).fill("1")
    page.get_by_label(i18n.t("train.epochs"), exact=True).fill("50")
    page.keyboard.press("Tab")
    page.get_by_role("button", name=i18n.t("train.start")).click()
    expect(page.locator("[data-testid='stProgress']")).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name=i18n.t("train.stop")).click()
    expect(
        page.locator("[data-testid='stAlertContentWarning']").filter(has_text=i18n.t("train.was_stopped"))
    ).to_be_visible(timeout=WAIT)
    page.wait_for_function(SETTLED, timeout=WAIT)
    table = page.locator("[data-testid='stDataFrame']").last
    expect(table).to_contain_text(i18n.t("state.stopped"), timeout=WAIT)
    expect(table).to_contain_text(i18n.t("state.done"))  # the run trained before the tests
    assert_rendered(page)


def test_korean_switch_carries_to_other_pages(app, page):
    server, _ = app
    open_page(page, server.url)
    page.locator("[data-testid='stSidebar'] [data-testid='stRadio'] label").filter(
        has_text=i18n.LANGUAGES["ko"]
    ).click()
    expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t("home.title", "ko"))
    nav(page, i18n.t("nav.train", "ko")).click()
    expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t("train.title", "ko"))
    page.wait_for_function(SETTLED, timeout=WAIT)
    expect(page.get_by_role("button", name=i18n.t("train.start", "ko"))).to_be_visible()
    assert "lang=ko" in page.url
    assert_rendered(page)


def test_a_link_to_a_page_works_on_a_fresh_server(tmp_path, browser):
    """A bookmarked page opened as the first visit of a new server: Streamlit matches the address
    against the app_pages/ files before app.py has run once, so a page named otherwise said 'Page not
    found' over an invisible layer that swallowed every stroke on the canvas."""
    data = write_mnist(tmp_path / "data").parent.parent
    with (
        AppServer(data, tmp_path / "runs", tmp_path / "server.log") as server,
        browser_page(browser, VIEWPORT, WAIT) as page,
    ):
        open_page(page, server.url + "/Draw")
        expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t("draw.title"))
        # the dialog, when there was one, came with the first run: once nothing on the page has changed
        # for a second, whatever that run brought has been drawn
        page.wait_for_function(QUIET, arg=1000, timeout=WAIT)
        expect(page.locator("[data-testid='stDialog']")).to_have_count(0)


def test_a_page_with_charts_opened_first_on_a_fresh_server(tmp_path, browser):
    """The first visit of a fresh server, in Korean, straight to a page that draws charts: the frame is in
    the chosen language, and the page waits for the background setup's imports instead of seeing a library
    half imported ("partially initialized module 'pandas'")."""
    data = write_mnist(tmp_path / "data").parent.parent
    with (
        AppServer(data, tmp_path / "runs", tmp_path / "server.log") as server,
        browser_page(browser, VIEWPORT, WAIT) as page,
    ):
        open_page(page, server.url + "/Feature_Maps?lang=ko")
        expect(page.locator("[data-testid='stMain'] h1").first).to_have_text(i18n.t("fm.title", "ko"))
        expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible()
        page.wait_for_function(QUIET, arg=1000, timeout=WAIT)
        assert_rendered(page)
