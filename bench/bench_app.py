"""The app under load, on one `streamlit run` server with the real MNIST (not a test).

1. draw latency: mouse-up of a stroke on the Draw page to the new probabilities in the browser,
   and the server's share (prepare_digit + predict_proba) measured in this process
2. page switch time once warm (sidebar link to the new page rendered)
3. server memory (VmRSS of the server and its children) with 1 and with N sessions that browse
   every page and draw on the Draw page; prediction latency under that load
4. M sessions press Start on the Train page at the same moment: the runs queue, all finish, and
   every session lists the same runs

Usage: python -m bench.bench_app [--data DIR] [--sessions 30] [--trainers 10] [--json OUT]
Prints a JSON summary. Every part has a time limit; the server and its training processes are
killed at the end. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from mnist_lab import checkpoints, i18n, runs
from tests.appdriver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    INIT_SCRIPT,
    NAV_LINK,
    NAV_LINKS,
    QUIET,
    SETTLED,
    VIEWPORT,
    AppServer,
    browser_available,
    cpu_seconds,
    pad_points,
    process_tree,
    stroke,
    train_cli,
)
from ui import PAGES

WAIT = 240_000  # ms, one browser step
ROOT = Path(__file__).resolve().parent.parent
TITLES = [f"{p.texts}.title" for p in PAGES]  # the sidebar's pages, in its order
# the pages of a checkout from before the class board (for --compare-with runs against one)
OLD_TITLES = ["home.title", "dataset.title", "filters.title", "train.title", "mistakes.title", "fm.title", "draw.title"]


def titles_of(root: Path) -> list[str]:
    return TITLES if any((Path(root) / d / "0_Home.py").exists() for d in ("app_pages", "pages")) else OLD_TITLES


RUN_ID = re.compile(r"\d{8}-\d{6}-[a-z0-9_]+-[0-9a-f]{4}")
DONE = ("done", "stopped", "failed", "interrupted")
# the drawing pad: ours (a canvas inside the component keyed "pad"), or streamlit-drawable-canvas's top layer
# in a checkout from before it (for --compare-with)
PAD = ".st-key-pad canvas, canvas.upper-canvas"

# New probabilities are on screen: a chart changed after the last mouse-up, the script is over
# and nothing has moved for 300 ms.
PROBS_SHOWN = (
    """() => { const s = window.__st;
  return s.chartMut > s.mouseUp && ("""
    + SETTLED
    + """)() && performance.now() - s.mut > 300; }"""
)
PROBS_TIMES = """() => { const s = window.__st;
  const end = s.log.filter(([st, t]) => st === 'notRunning' && t > s.mouseUp).pop();
  const sent = s.sent.filter((t) => t > s.mouseUp)[0];
  return {shown_ms: s.chartMut - s.mouseUp, script_done_ms: end ? end[1] - s.mouseUp : null,
          sent_ms: sent ? sent - s.mouseUp : null, after_send_ms: sent ? s.chartMut - sent : null}; }"""


def pct(xs: list[float], q: float) -> float | None:
    """Percentile by nearest rank (None for no data)."""
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, max(0, int(np.ceil(q / 100 * len(xs))) - 1))], 1)


def dist(xs: list[float]) -> dict:
    return {"n": len(xs), "p50": pct(xs, 50), "p90": pct(xs, 90), "p95": pct(xs, 95), "max": pct(xs, 100)}


# ---------------------------------------------------------------- server-side compute, in process


def server_compute(repeats: int = 50) -> dict:
    """What the server does with a stroke: read the pad's message (a PNG of the cropped ink), prepare_digit and
    predict_proba, with one torch thread like the app."""
    import cv2
    import torch

    from mnist_lab import evaluate, models, padink, preprocess

    torch.set_num_threads(1)
    if checkpoints.default_checkpoint().is_file():
        model, meta = checkpoints.load_model(checkpoints.default_checkpoint())
        source = "default checkpoint"
    else:
        model, meta = models.build_model("lenet5").eval(), checkpoints.ModelMeta("lenet5", "standardize")
        source = "fresh lenet5 (no default checkpoint installed)"
    canvas = np.zeros((400, 400, 4), np.uint8)
    canvas[..., 3] = 255
    pts = np.array([(x * 400 / 280, y * 400 / 280) for x, y in stroke(2)], np.int32)
    cv2.polylines(canvas, [pts], False, (255, 255, 255, 255), 26, cv2.LINE_AA)
    message = padink.message_for(canvas)
    prep_ms, pred_ms = [], []
    for i in range(repeats + 5):
        t0 = time.perf_counter()
        prepared = preprocess.prepare_digit(padink.read_ink(message).picture, "pad")
        t1 = time.perf_counter()
        evaluate.predict_proba(model, prepared.image[None], meta.normalize, meta.pad)
        t2 = time.perf_counter()
        if i >= 5:
            prep_ms.append(1000 * (t1 - t0))
            pred_ms.append(1000 * (t2 - t1))
    total = [a + b for a, b in zip(prep_ms, pred_ms)]
    return {
        "model": meta.model,
        "source": source,
        "torch_threads": 1,
        "prepare_ms": dist(prep_ms),
        "predict_ms": dist(pred_ms),
        "total_ms": dist(total),
    }


# ---------------------------------------------------------------- browser steps


async def open_app(page, url: str) -> None:
    await page.goto(url)
    await page.wait_for_function(SETTLED, timeout=WAIT)


async def go(page, index: int, timeout: float = WAIT, titles: list[str] = TITLES) -> float:
    """Click the index-th sidebar link; seconds until that page is rendered."""
    title = i18n.t(titles[index])
    link = page.locator(NAV_LINK).nth(index)
    t0 = time.perf_counter()
    await link.click()
    await page.wait_for_function(
        """(title) => { const h = document.querySelector("[data-testid='stMain'] h1");
           return !!h && h.innerText.trim() === title && ("""
        + SETTLED
        + """)(); }""",
        arg=title,
        timeout=timeout,
    )
    return time.perf_counter() - t0


async def pick_run(page, run_id: str) -> None:
    """Choose a run in the sidebar model picker; it stays chosen for the session."""
    await page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    await page.get_by_role("option", name=re.compile(re.escape(run_id))).click()
    await page.wait_for_function(
        """(id) => { const s = document.querySelector("[data-testid='stSidebar'] [data-testid='stSelectbox']");
           return s && s.innerText.includes(id); }""",
        arg=run_id,
        timeout=WAIT,
    )
    await page.wait_for_timeout(300)
    await page.wait_for_function(SETTLED, timeout=WAIT)


async def draw(page, kind: int) -> dict:
    """One stroke on the pad; times (ms, in the page's clock) from mouse-up to new probabilities."""
    pad = page.locator(PAD).first
    await pad.scroll_into_view_if_needed(timeout=WAIT)
    box = await pad.bounding_box()
    pts = pad_points(box, kind)
    await page.mouse.move(*pts[0])
    await page.mouse.down()
    for x, y in pts[1:]:
        await page.mouse.move(x, y, steps=2)
    await page.mouse.up()
    await page.wait_for_function(PROBS_SHOWN, timeout=WAIT)
    times = await page.evaluate(PROBS_TIMES)
    value = await page.locator("[data-testid='stMetricValue']").first.inner_text(timeout=WAIT)
    return {**times, "answer": value.strip()}


async def clear_pad(page) -> None:
    await page.get_by_role("button", name=i18n.t("draw.pad.clear"), exact=True).first.click()
    await page.locator("[data-testid='stMetric']").wait_for(state="detached", timeout=WAIT)
    await page.locator(PAD).first.wait_for(timeout=WAIT)
    await page.wait_for_function(SETTLED, timeout=WAIT)


async def session_context(browser):
    """A browser context (its own window) for one session.

    One window per session, as with real users: Chromium delivers input to a tab that is not
    the front one of its window about once a second, which would time the browser, not the app.
    """
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(INIT_SCRIPT)
    return context


async def new_page(context):
    page = await context.new_page()
    page.set_default_timeout(WAIT)
    return page


# ---------------------------------------------------------------- parts


async def part_single(browser, server: AppServer, run_id: str | None, strokes: int, rounds: int) -> dict:
    """One session: draw latency (strokes) and warm page switches (rounds over all pages)."""
    context = await session_context(browser)
    page = await new_page(context)
    await open_app(page, server.url)
    n = len(await page.evaluate(NAV_LINKS))
    assert n == len(TITLES), f"{n} sidebar links, expected {len(TITLES)}"
    for i in range(1, n):  # warm every page once (datasets, models, evaluations get cached)
        await go(page, i)
    await go(page, TITLES.index("draw.title"))  # Draw, found by its title (it is no longer the last page)
    if run_id:
        await pick_run(page, run_id)
    shown, done, answers = [], [], []
    cpu0 = cpu_seconds(server.proc.pid)
    for k in range(strokes):
        if k and k % 5 == 0:
            await clear_pad(page)
        r = await draw(page, k)
        shown.append(r["shown_ms"])
        if r["script_done_ms"] is not None:
            done.append(r["script_done_ms"])
        answers.append(r["answer"])
    cpu1 = cpu_seconds(server.proc.pid)
    switches = []
    for _ in range(rounds):
        for i in list(range(n - 2, -1, -1)) + list(range(1, n)):  # Draw -> ... -> Home -> ... -> Draw
            switches.append(1000 * await go(page, i))
    cpu2 = cpu_seconds(server.proc.pid)
    rss_one = server.rss_kb()
    await context.close()
    return {
        "draw_latency_ms": dist(shown),
        "draw_script_done_ms": dist(done),
        "answers": answers,
        "page_switch_ms": dist(switches),
        "server_cpu_ms_per_stroke": round(1000 * (cpu1 - cpu0) / max(1, strokes)),
        "server_cpu_ms_per_page_switch": round(1000 * (cpu2 - cpu1) / max(1, len(switches))),
        "rss_1_session_mb": round(rss_one / 1024, 1),
    }


async def part_draw(browser, server: AppServer, draw_path: str, strokes: int) -> dict:
    """One student on the Draw page (opened by its address): mouse-up to new probabilities on screen."""
    context = await session_context(browser)
    page = await new_page(context)
    await open_app(page, server.url + draw_path)
    await page.wait_for_function(QUIET, arg=1000, timeout=WAIT)  # the canvas takes strokes once it is drawn
    await draw(page, 0)  # warm: model loaded, charts created
    shown, done, sent, after = [], [], [], []
    cpu0 = cpu_seconds(server.proc.pid)
    for k in range(strokes):
        if k % 5 == 0:
            await clear_pad(page)
        r = await draw(page, k + 1)
        shown.append(r["shown_ms"])
        if r["sent_ms"] is not None:  # the pad's own delay, then ours: its message to the answer on screen
            sent.append(r["sent_ms"])
            after.append(r["after_send_ms"])
        if r["script_done_ms"] is not None:
            done.append(r["script_done_ms"])
    cpu = cpu_seconds(server.proc.pid) - cpu0
    await context.close()
    return {
        "draw_latency_ms": dist(shown),
        "pad_sends_after_ms": dist(sent),
        "send_to_answer_ms": dist(after),
        "draw_script_done_ms": dist(done),
        "server_cpu_ms_per_stroke": round(1000 * cpu / max(1, strokes)),
    }


async def part_cold(browser, args, tmp: Path, root: Path, path: str, first: str | None = None) -> dict:
    """The first visit of a fresh server to one page (Mistakes, say): seconds from the address to the
    first chart on screen, with the server started just before (nothing cached, nothing evaluated).
    first="/": another session has opened the home page first (what a lesson does: the server has
    imported its libraries, but this page has computed and cached nothing); first=path: another
    session has opened this very page (the server has it all cached: what is left is the browser's
    own work, loading Streamlit's and plotly's scripts into a fresh profile and drawing). first="click":
    one session opens Home and clicks the page's link in the sidebar (the time from the click)."""
    name = f"{root.name}_{(first or 'bare').strip('/') or 'home'}"
    with AppServer(Path(args.data), tmp / f"cold_runs_{name}", tmp / f"cold_{name}.log", root=root) as server:
        if first == "click":  # a student on Home clicks the page in the sidebar: the case
            context = await session_context(browser)
            page = await new_page(context)
            await open_app(page, server.url)
            await page.wait_for_function(QUIET, arg=500, timeout=WAIT)
            title = next(f"{p.texts}.title" for p in PAGES if p.url == path.strip("/"))
            t0 = time.perf_counter()
            await page.locator(NAV_LINK).nth(TITLES.index(title)).click()
            await page.locator("[data-testid='stMain'] [data-testid='stPlotlyChart']").first.wait_for(timeout=WAIT)
            first_chart = time.perf_counter() - t0
            await page.wait_for_function(SETTLED, timeout=WAIT)
            settled = time.perf_counter() - t0
            await context.close()
            return {"checkout": str(root), "page": path, "visited_first": "clicked from Home",
                    "first_chart_s": round(first_chart, 2), "settled_s": round(settled, 2)}  # fmt: skip
        if first is not None:
            context = await session_context(browser)
            page = await new_page(context)
            await page.goto(server.url + first)
            await page.wait_for_function(SETTLED, timeout=WAIT)
            await context.close()
        context = await session_context(browser)
        page = await new_page(context)
        t0 = time.perf_counter()
        await page.goto(server.url + path)
        await page.locator("[data-testid='stMain'] h1").first.wait_for(timeout=WAIT)
        title = time.perf_counter() - t0  # the frame: is the page blank until everything has loaded?
        await page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=WAIT)
        first_chart = time.perf_counter() - t0
        await page.wait_for_function(SETTLED, timeout=WAIT)
        settled = time.perf_counter() - t0
        await context.close()
    return {
        "checkout": str(root),
        "page": path,
        "visited_first": first,
        "title_s": round(title, 2),
        "first_chart_s": round(first_chart, 2),
        "settled_s": round(settled, 2),
    }


async def sample_rss(server: AppServer, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], server.rss_kb())
        await asyncio.sleep(0.5)


def browser_cpu_seconds(server: AppServer) -> float:
    """CPU time of this bench's other children: the Playwright driver and Chromium."""
    server_tree = set(process_tree(server.proc.pid))
    return sum(cpu_seconds(p) for p in process_tree(os.getpid())[1:] if p not in server_tree)


async def part_load(
    browser, server: AppServer, run_id: str | None, sessions: int, ramp_s: float, limit_s: float
) -> dict:
    """N sessions, one starting every ramp_s: each opens the app, visits every page, draws two digits."""
    contexts = [await session_context(browser) for _ in range(sessions)]
    reached = {"home": 0, "draw": 0, "answered": 0}

    async def one(i: int) -> dict:
        await asyncio.sleep(i * ramp_s)
        page = await new_page(contexts[i])
        t0 = time.perf_counter()
        await open_app(page, server.url)
        opened = time.perf_counter() - t0
        reached["home"] += 1
        switches = [(TITLES[j], 1000 * await go(page, j)) for j in range(1, len(TITLES))]
        reached["draw"] += 1
        if run_id:
            await pick_run(page, run_id)
        strokes = [await draw(page, i + k) for k in range(2)]
        if all(re.fullmatch(r"\d", s["answer"]) for s in strokes):
            reached["answered"] += 1
        return {
            "open_ms": round(1000 * opened),
            "switch_ms": switches,
            "draw_ms": [s["shown_ms"] for s in strokes],
            "seconds": round(time.perf_counter() - t0, 1),
        }

    peak, stop = [server.rss_kb()], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, peak, stop))
    cpu0, bcpu0, t0 = cpu_seconds(server.proc.pid), browser_cpu_seconds(server), time.perf_counter()
    tasks = [asyncio.create_task(one(i)) for i in range(sessions)]
    finished, pending = await asyncio.wait(tasks, timeout=limit_s)
    elapsed = time.perf_counter() - t0
    cores = {
        "server": round((cpu_seconds(server.proc.pid) - cpu0) / elapsed, 2),
        "browser": round((browser_cpu_seconds(server) - bcpu0) / elapsed, 2),
    }
    for t in pending:
        t.cancel()
    rss_after = server.rss_kb()
    stop.set()
    await sampler
    results = [t.result() for t in finished if not t.exception()]
    errors = [
        f"{type(t.exception()).__name__}: {str(t.exception()).splitlines()[0][:200]}" for t in finished if t.exception()
    ]
    for ctx in contexts:
        await ctx.close()
    return {
        "sessions": sessions,
        "ramp_s": ramp_s,
        "reached": reached,
        "unfinished": len(pending),
        "errors": errors[:5],
        "cpu_cores_used": cores,
        "draw_latency_ms": dist([ms for r in results for ms in r["draw_ms"]]),
        "session_seconds": dist([r["seconds"] for r in results]),
        "home_open_ms": dist([r["open_ms"] for r in results]),
        "first_visit_ms": dist([ms for r in results for _, ms in r["switch_ms"]]),
        "first_visit_p50_by_page_ms": {
            k.split(".")[0]: pct([ms for r in results for t, ms in r["switch_ms"] if t == k], 50) for k in TITLES[1:]
        },
        "rss_peak_mb": round(peak[0] / 1024, 1),
        "rss_after_mb": round(rss_after / 1024, 1),
    }


def run_states(root: Path, ids: set[str]) -> dict[str, str]:
    """State of each new run, read from status.json without touching it."""
    out = {}
    for p in root.iterdir() if root.is_dir() else []:
        if (p / "config.json").is_file() and p.name not in ids:
            out[p.name] = runs.Run(p).status()["state"]
    return out


async def part_trainers(
    browser, server: AppServer, sessions: int, limit_s: float, drain_s: float, shots: Path | None, report: dict
) -> dict:
    """N sessions press Start together (1 epoch on 1,000 images): queue, finish, same run list.

    Fills `report` as it goes, so a part cut short by its time limit still says how far it got.
    """
    before = set(run_states(server.runs, set()))
    contexts = [await session_context(browser) for _ in range(sessions)]
    pages = [await new_page(c) for c in contexts]
    await asyncio.gather(*(open_app(p, server.url + "/Train") for p in pages))
    for p in pages:
        await p.get_by_label(i18n.t("train.epochs"), exact=True).fill("1")
        await p.get_by_text(i18n.t("train.more"), exact=True).click()
        await p.get_by_label(i18n.t("train.limit"), exact=True).fill("1000")
        await p.keyboard.press("Tab")
    peak, stop = [server.rss_kb()], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, peak, stop))
    report.update(
        sessions=sessions, timeline=[], slots=int(os.environ.get("MNIST_LAB_MAX_RUNS") or 0) or "default (1 on CPU)"
    )
    t0 = time.perf_counter()
    await asyncio.gather(*(p.get_by_role("button", name=i18n.t("train.start")).click() for p in pages))
    report["clicked_s"] = round(time.perf_counter() - t0, 1)
    most_running = most_queued = 0
    states: dict[str, str] = {}
    last = None
    while time.perf_counter() - t0 < limit_s:
        states = run_states(server.runs, before)
        counts = {k: sum(s == k for s in states.values()) for k in sorted(set(states.values()))}
        most_running = max(most_running, counts.get("running", 0))
        most_queued = max(most_queued, counts.get("queued", 0))
        if counts != last:
            report["timeline"].append([round(time.perf_counter() - t0, 1), counts])
            last = counts
        report.update(
            runs_created=len(states),
            states=counts,
            max_running_at_once=most_running,
            max_queued_at_once=most_queued,
            rss_peak_with_training_children_mb=round(peak[0] / 1024, 1),
        )
        if len(states) >= sessions and all(s in DONE for s in states.values()):
            break
        await asyncio.sleep(0.25)
    report["all_finished_s"] = round(time.perf_counter() - t0, 1)
    stop.set()
    await sampler
    # how long the server stays busy once every run has ended (share of one core, per 5 s)
    busy = report["server_cpu_after_runs"] = []
    while len(busy) < drain_s / 5 and (not busy or busy[-1] > 0.2):
        c0 = cpu_seconds(server.proc.pid)
        await asyncio.sleep(5)
        busy.append(round((cpu_seconds(server.proc.pid) - c0) / 5, 2))
    # every session goes Home and back to Train, and lists the runs its table shows (all at once)
    expected = set(states) | before
    report.update(runs_expected=len(expected))

    async def listed(i: int, p) -> set[str]:
        try:
            await go(p, 0, 60_000)
            await go(p, TITLES.index("train.title"), 60_000)
            table = p.locator("[data-testid='stDataFrame']").last
            for _ in range(60):  # the grid fills its text a moment after the page has rendered
                ids = set(RUN_ID.findall(await table.text_content(timeout=WAIT) or ""))
                if len(ids) >= len(expected):
                    break
                await asyncio.sleep(0.5)
            return ids
        except Exception as e:  # noqa: BLE001 -- a browser step that fails is reported, the bench goes on
            where = await p.evaluate("""() => { const app = document.querySelector('[data-testid=stApp]');
                return [location.pathname, app && app.dataset.testConnectionState, app && app.dataset.testScriptState,
                        Array.from(document.querySelectorAll('[data-testid=stMain] h1'))
                             .map(h => h.innerText.trim())]; }""")
            if shots:
                await p.screenshot(path=str(shots / f"trainer_{i}.png"))
            raise RuntimeError(f"session {i}: {type(e).__name__} at {where}") from None

    seen = await asyncio.gather(*(listed(i, p) for i, p in enumerate(pages)), return_exceptions=True)
    report.update(
        sessions_listing_every_run=sum(s == expected for s in seen),
        runs_listed_per_session=sorted(len(s) for s in seen if isinstance(s, set)),
        errors=[str(e) for e in seen if isinstance(e, Exception)],
    )
    for c in contexts:
        await c.close()
    await asyncio.sleep(5)
    c0 = cpu_seconds(server.proc.pid)
    await asyncio.sleep(5)
    report["server_cpu_after_sessions_closed"] = round((cpu_seconds(server.proc.pid) - c0) / 5, 2)
    return report


async def guarded(part, limit_s: float, report: dict | None = None) -> dict:
    """A part's result with its wall time, or the error that ended it and what it had reported so far."""
    t0 = time.perf_counter()
    try:
        out = await asyncio.wait_for(part, limit_s)
    except Exception as e:  # noqa: BLE001 -- reported in the summary, never a traceback
        out = {**(report or {}), "error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


async def bench(args, tmp: Path) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}
    out["server_compute"] = server_compute()
    run_id = None
    if not checkpoints.default_checkpoint().is_file():
        t0 = time.perf_counter()
        run_id = train_cli(
            Path(args.data), tmp / "runs", "--model", "lenet5", "--epochs", "1", "--train-limit", "10000"
        )
        out["model_for_pages"] = {"run": run_id, "train_s": round(time.perf_counter() - t0, 1)}
    with AppServer(Path(args.data), tmp / "runs", tmp / "server.log") as server:
        out["rss_0_sessions_mb"] = round(server.rss_kb() / 1024, 1)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if "draw" in args.parts:
                out["draw"] = await guarded(part_draw(browser, server, "/Draw", args.strokes), 600)
            if "single" in args.parts:
                out["single_session"] = await guarded(
                    part_single(browser, server, run_id, args.strokes, args.rounds), 600
                )
            if "load" in args.parts:
                out["load"] = await guarded(
                    part_load(browser, server, run_id, args.sessions, args.ramp, args.load_limit), args.load_limit + 120
                )
                out["rss_after_load_closed_mb"] = round(server.rss_kb() / 1024, 1)
            if "train" in args.parts:
                report: dict = {}
                out["trainers"] = await guarded(
                    part_trainers(browser, server, args.trainers, args.train_limit, 60, args.shots, report),
                    args.train_limit + 400,
                    report,
                )
            await browser.close()
    if "cold" in args.parts:  # fresh servers: this checkout, then the other one if asked
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            checkouts = [ROOT] + ([Path(args.compare_with).resolve()] if args.compare_with else [])
            out["cold"] = [
                await guarded(part_cold(browser, args, tmp, root, "/Mistakes", first), 300)
                for first in ("click", None, "/", "/Mistakes")
                for root in checkouts
            ]
            await browser.close()
    if args.compare_with and "draw" in args.parts:  # the same student on another checkout's server, right after
        old = Path(args.compare_with).resolve()
        with AppServer(Path(args.data), tmp / "old_runs", tmp / "old_server.log", root=old) as server:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                out["draw_compare"] = {
                    "checkout": str(old),
                    **await guarded(part_draw(browser, server, args.compare_draw_path, args.strokes), 600),
                }
                await browser.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "/work/shared/datasets"))
    p.add_argument("--strokes", type=int, default=20, help="strokes for the draw latency")
    p.add_argument("--rounds", type=int, default=2, help="rounds over all pages for the switch time")
    p.add_argument("--sessions", type=int, default=30, help="concurrent sessions for the load part")
    p.add_argument("--ramp", type=float, default=2.0, help="seconds between the load sessions' starts")
    p.add_argument("--load-limit", type=float, default=480, help="seconds allowed for the load part")
    p.add_argument("--trainers", type=int, default=10, help="sessions that start a run together")
    p.add_argument("--train-limit", type=float, default=420, help="seconds allowed for their runs to end")
    p.add_argument(
        "--parts",
        default="single,load,train",
        help="which parts to run (comma-separated): single, load, train, draw (the Draw page alone)",
    )
    p.add_argument("--compare-with", metavar="CHECKOUT", help="also: the draw part on another checkout's server")
    p.add_argument("--compare-draw-path", default="/Draw", help="the Draw page's address in that checkout")
    p.add_argument("--shots", type=Path, help="save screenshots of sessions that fail here")
    p.add_argument("--json", help="write the summary here too")
    return run_bench(bench, p.parse_args())


def run_bench(bench_fn, args) -> int:
    """Run an async bench(args, tmp) in a temporary folder; print its JSON summary (and write --json)."""
    if browser_available():
        raise SystemExit(browser_available())
    with tempfile.TemporaryDirectory(prefix="mnist_lab_bench_") as tmp:
        summary = asyncio.run(bench_fn(args, Path(tmp)))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
