"""A classroom on one `streamlit run` server: 30 sessions browse every page, draw and predict.

Thirty real browsers do not fit on a 2-core machine beside the server: in `bench_app.py`'s load
part Chromium took 1.7 of the 2 cores and the server 0.1, so it timed the browsers. Here a real
Chromium session records what the app's frontend sends over its WebSocket (opening the app,
each sidebar link, strokes on the drawing pad: the pad's own message, a PNG of the ink), and then N
lightweight clients replay those messages, each over its own WebSocket, so each is its own
server session running the real pages with the real pad value. A client waits for the
server's "script finished" message and reads the answer (the prediction metric, the page title,
any exception) from the elements the server sends back.

Measured: the server's memory (VmRSS) with 1 and with N sessions connected; the time from a
message sent to its script finished, for page visits and for strokes (prediction latency), with
1 session and with N at once.

`smallest()` is the bench's smallest form (2 sessions, 2 strokes each), run by tests/test_benches.py so
that the bench cannot silently break again.

`--processes 1,2` runs the same class on one `streamlit run` and then on two Streamlit processes behind
nginx (`mnist-lab serve`), side by side; memory and CPU are then every process's together.

Usage: python -m bench.bench_classroom [--data DIR] [--sessions 30] [--strokes 10] [--think 1.0]
       [--browser] [--burst] [--processes 1,2] [--compare-with OTHER_CHECKOUT] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from pathlib import Path

from bench.bench_app import (
    TITLES,
    clear_pad,
    dist,
    draw,
    go,
    new_page,
    open_app,
    run_bench,
    session_context,
    titles_of,
)
from mnist_lab import i18n
from tests.appdriver import CHROMIUM, CHROMIUM_ARGS, AppServer, cpu_seconds, process_tree, rss_kb

ROOT = Path(__file__).resolve().parent.parent

STROKES = (2, 7, 0, 1)  # stroke shapes recorded (bench_app / appdriver.stroke kinds)


# ---------------------------------------------------------------- recording (one real browser)


async def record(server: AppServer, shapes: tuple[int, ...] = STROKES) -> dict:
    """What the frontend sends: opening the app, each sidebar link in turn, and strokes on Draw.

    Each stroke is recorded in a fresh session (open, go to Draw, one stroke), so every replayed
    stroke is a single digit on an empty canvas.
    """
    from playwright.async_api import async_playwright

    titles = titles_of(server.root)

    async def session(browser, steps):
        ctx = await session_context(browser)
        page = await new_page(ctx)
        sent: list[bytes] = []
        page.on(
            "websocket", lambda ws: ws.on("framesent", lambda p: sent.append(p if isinstance(p, bytes) else p.encode()))
        )
        marks = []
        await open_app(page, server.url)
        marks.append(("open", len(sent)))
        for kind, arg in steps:
            if kind == "go":
                await go(page, arg, titles=titles)
                marks.append((f"page:{titles[arg]}", len(sent)))
            else:
                r = await draw(page, arg)
                marks.append((f"stroke:{r['answer']}", len(sent)))
        await ctx.close()
        out, start = [], 0
        for name, end in marks:
            out.append((name, sent[start:end]))
            start = end
        return out

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        browse = await session(browser, [("go", i) for i in range(1, len(titles))])
        strokes = []
        for kind in shapes:
            # Draw found by its title, not its place in the sidebar
            steps = await session(browser, [("go", titles.index("draw.title")), ("draw", kind)])
            strokes.append(steps[-1])
        await browser.close()
    return {"browse": browse, "strokes": strokes}


def clean(frames: list[bytes]) -> list[bytes]:
    """The recorded messages without the browser's list of cached messages (a new client has none)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    out = []
    for raw in frames:
        msg = BackMsg()
        msg.ParseFromString(raw)
        if msg.WhichOneof("type") == "rerun_script":
            msg.rerun_script.ClearField("cached_message_hashes")
        out.append(msg.SerializeToString())
    return out


# ---------------------------------------------------------------- replaying clients


class Client:
    """One server session over its own WebSocket, replaying recorded messages."""

    def __init__(self, url: str):
        self.uri = url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            self.uri, subprotocols=["streamlit"], max_size=None, open_timeout=120, ping_interval=None
        )

    async def send(self, frames: list[bytes], timeout: float) -> dict:
        """Send the messages; wait for the script to finish. Returns time, texts, metric, errors."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        t0 = time.perf_counter()
        for raw in frames:
            await self.ws.send(raw)
        out = {"headings": [], "metrics": [], "texts": [], "errors": []}
        deadline = t0 + timeout
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.perf_counter()))
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                what = el.WhichOneof("type")
                if what == "heading":
                    out["headings"].append(el.heading.body)
                elif what == "metric":
                    out["metrics"].append(el.metric.body)
                elif what == "markdown":
                    out["texts"].append(el.markdown.body)
                elif what == "exception":
                    out["errors"].append(f"{el.exception.type}: {el.exception.message[:200]}")
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                break
        out["ms"] = 1000 * (time.perf_counter() - t0)
        return out

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def page_title(step: str) -> str:
    return i18n.t(step.split(":", 1)[1])


async def one_session(url: str, rec: dict, strokes: int, think: float, timeout: float, seed: int) -> dict:
    """Open the app, visit every page, then draw `strokes` digits (think seconds apart).

    The session's WebSocket is left open (the caller closes it), so sessions that finish early
    still count while the others work.
    """
    rng = random.Random(seed)
    client = Client(url)
    pages, draws, problems = [], [], []
    answers = []
    try:
        await client.connect()
        for step, frames in rec["browse"]:
            r = await client.send(frames, timeout)
            if step.startswith("page:"):
                pages.append((step[5:], r["ms"]))
                if page_title(step) not in r["headings"]:
                    problems.append(f"{step}: title not shown ({r['headings'][:2]})")
            problems += [f"{step}: {e}" for e in r["errors"]]
        # back to Draw: a stroke reruns Draw's pad fragment, which a session has only while it is on Draw
        await client.send(next(frames for step, frames in rec["browse"] if step == "page:draw.title"), timeout)
        for k in range(strokes):
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            step, frames = rec["strokes"][(seed + k) % len(rec["strokes"])]
            r = await client.send(frames, timeout)
            draws.append(r["ms"])
            answers.append((step[7:], r["metrics"][0] if r["metrics"] else None))
            problems += [f"{step}: {e}" for e in r["errors"]]
    except Exception as e:  # noqa: BLE001 -- a session that fails is counted, the others go on
        problems.append(f"{type(e).__name__}: {str(e)[:200]}")
    return {
        "client": client,
        "pages": pages,
        "draw_ms": draws,
        "answers": answers,
        "problems": problems,
    }


class Proxied:
    """`mnist-lab serve`'s setup as the bench's server: n Streamlit processes behind nginx (mnist_lab.serve).
    Its memory and CPU are those of every process together; a session is whichever process nginx gives it."""

    def __init__(self, data: Path, runs: Path, logs: Path, processes: int):
        from mnist_lab.serve import Classroom
        from tests.appdriver import free_port

        env = {"MNIST_LAB_DATA": str(data), "MNIST_LAB_RUNS": str(runs)}
        self.room = Classroom(ROOT / "app.py", processes, free_port(), "127.0.0.1", logs, env=env)
        self.url, self.log, self.root = self.room.url, logs, ROOT

    def pids(self) -> list[int]:
        return [p.pid for _, p in self.room.children]

    def rss_kb(self) -> int:
        return sum(rss_kb(q) for p in self.pids() for q in process_tree(p))

    def __enter__(self) -> Proxied:
        self.room.start()
        return self

    def __exit__(self, *exc) -> None:
        self.room.stop()


def server_pids(server) -> list[int]:
    """The server's process, or each of them behind a proxy."""
    return server.pids() if isinstance(server, Proxied) else [server.proc.pid]


async def sample_rss(server: AppServer, out: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        out.append(server.rss_kb())
        await asyncio.sleep(0.25)


async def browser_session(url: str, strokes: int, think: float) -> dict:
    """One real Chromium student on the Draw page: mouse-up to new probabilities on screen."""
    from playwright.async_api import async_playwright

    shown, answers, problems = [], [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await new_page(await session_context(browser))
            await open_app(page, url)
            await go(page, TITLES.index("draw.title"))
            for k in range(strokes):
                if k and k % 4 == 0:
                    await clear_pad(page)
                if think:
                    await asyncio.sleep(think)
                r = await draw(page, STROKES[k % len(STROKES)])
                shown.append(r["shown_ms"])
                answers.append(r["answer"])
        except Exception as e:  # noqa: BLE001 -- a session that fails is counted, the others go on
            problems.append(f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
        await browser.close()
    return {"stroke_to_probabilities_on_screen_ms": dist(shown), "answers": answers, "problems": problems}


# the frames every script-thread sample sits in: a thread, Streamlit's script runner, a page's exec
WRAPPERS = ("threading.py", "script_runner.py", "exec_code.py", "fragment.py", "<module>", "app.py", "navigation.py")
# the event loop's own frames, under every sample of the thread that serves the WebSockets
LOOP = ("runpy", "__main__.py", "core.py", "cli.py", "bootstrap.py", "runners.py", "base_events.py", "events.py")


def profile_summary(raw: Path, top: int = 12) -> dict:
    """py-spy's raw samples of the server while it held the GIL (py-spy --gil: one process runs one thread of
    Python at a time, so this is what a class waits on): the share spent in scripts and in the event loop
    that serves the WebSockets, and where the time went in each (inclusive, by function)."""
    from collections import Counter

    where = {"scripts": Counter(), "event loop": Counter(), "other threads": Counter()}
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        frames = stack.split(";")
        part = "scripts" if "_run_script" in stack else "event loop" if "MainThread" in frames[0] else "other threads"
        where[part]["(all)"] += int(count)
        for frame in set(frames[1:]):
            name = frame.split(" (")[0]
            at = frame.rsplit("/", 1)[-1].rstrip(")")
            where[part][f"{name} ({at.split(':')[0]})"] += int(count)
    skip = WRAPPERS + LOOP
    return {
        "samples_holding_the_gil": total,
        **{
            part: {
                "share": round(c["(all)"] / max(1, total), 3),
                "top_inclusive_share_of_all": [
                    (k, round(v / max(1, total), 3))
                    for k, v in c.most_common()
                    if k != "(all)" and not any(f"({f}" in k for f in skip)
                ][:top],
            }
            for part, c in where.items()
        },
    }


async def run_sessions(
    server: AppServer,
    rec: dict,
    n: int,
    strokes: int,
    think: float,
    ramp: float,
    timeout: float,
    browser: bool = False,
    profile: Path | None = None,
) -> dict:
    """n sessions at once (started ramp seconds apart); all stay connected until every one is done.

    With browser=True one of the n is a real Chromium window drawing on the canvas.
    """
    samples: list[int] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, samples, stop))
    cpu0, t0 = sum(map(cpu_seconds, server_pids(server))), time.perf_counter()

    async def later(i):
        await asyncio.sleep(i * ramp)
        return await one_session(server.url, rec, strokes, think, timeout, i)

    spy = None
    if profile is not None:  # py-spy samples the live server (pip install py-spy)
        import subprocess

        first = str(server_pids(server)[0])  # behind a proxy, the first process: each has its share of the class
        spy = subprocess.Popen(
            ["py-spy", "record", "--gil", "-p", first, "-f", "raw", "-r", "100", "-o", str(profile)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    student = asyncio.create_task(browser_session(server.url, strokes, max(think, 1.0))) if browser else None
    results = await asyncio.gather(*(later(i) for i in range(n - 1 if browser else n)))
    in_browser = await student if student else None
    elapsed = time.perf_counter() - t0
    if spy is not None:
        import signal

        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    server_cores = (sum(map(cpu_seconds, server_pids(server))) - cpu0) / elapsed
    await asyncio.sleep(1)
    rss_connected = server.rss_kb()  # every session still open, all idle
    for r in results:
        await r["client"].close()
    stop.set()
    await sampler
    pages = [ms for r in results for _, ms in r["pages"]]
    by_page = {}
    for r in results:
        for name, ms in r["pages"]:
            by_page.setdefault(name.split(".")[0], []).append(ms)
    answers = [a for r in results for a in r["answers"]]
    recorded_answer_kept = sum(a == b for a, b in answers)
    return {
        "sessions": n,
        "strokes_each": strokes,
        "think_s": think,
        "ramp_s": ramp,
        "sessions_all_answered": sum(
            len(r["draw_ms"]) == strokes and all(b for _, b in r["answers"]) and not r["problems"] for r in results
        ),
        "problems": [p for r in results for p in r["problems"]][:10],
        "prediction_ms": dist([ms for r in results for ms in r["draw_ms"]]),
        "answers_same_as_recorded": f"{recorded_answer_kept}/{len(answers)}",
        "page_visit_ms": dist(pages),
        "page_visit_p50_by_page_ms": {k: dist(v)["p50"] for k, v in by_page.items()},
        "wall_s": round(elapsed, 1),
        "server_cpu_cores": round(server_cores, 2),
        "rss_peak_mb": round(max(samples) / 1024, 1),
        "rss_all_connected_idle_mb": round(rss_connected / 1024, 1),
        "rss_after_disconnect_mb": round(server.rss_kb() / 1024, 1),
        **({"browser_session": in_browser} if in_browser else {}),
        **({"profile": profile_summary(profile)} if profile is not None and profile.is_file() else {}),
    }


async def compare(args, tmp: Path) -> dict:
    """This checkout and another (e.g. an older commit) side by side: the same sessions on each server,
    run one after the other, twice in alternating order (A B B A)."""
    out: dict = {
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "this": [],
        "other": [],
    }
    checkouts = [
        ("this", ROOT),
        ("other", Path(args.compare_with).resolve()),
        ("other", Path(args.compare_with).resolve()),
        ("this", ROOT),
    ]
    for i, (name, root) in enumerate(checkouts):
        with AppServer(Path(args.data), tmp / f"runs{i}", tmp / f"server{i}.log", root=root) as server:
            rec = await record(server)  # page ids are made from the checkout's paths: record on each
            rec = {k: [(s, clean(f)) for s, f in v] for k, v in rec.items()}
            one = await run_sessions(server, rec, 1, args.strokes, 0, 0, args.timeout)
            spy = tmp / f"profile{i}.txt" if args.profile else None
            many = await run_sessions(
                server, rec, args.sessions, args.strokes, args.think, args.ramp, args.timeout, profile=spy
            )
            out[name].append(
                {
                    "one_session_prediction_ms": one["prediction_ms"],
                    "one_session_page_visit_ms": one["page_visit_ms"],
                    **{
                        f"classroom_{k}": many[k]
                        for k in (
                            "sessions_all_answered",
                            "prediction_ms",
                            "page_visit_ms",
                            "page_visit_p50_by_page_ms",
                            "wall_s",
                            "server_cpu_cores",
                            "rss_all_connected_idle_mb",
                            "rss_peak_mb",
                        )
                    },
                    **({"profile": many["profile"]} if "profile" in many else {}),
                }
            )
    p50 = {k: [r["classroom_prediction_ms"]["p50"] for r in out[k]] for k in ("this", "other")}
    out["classroom_prediction_p50_ratio_other_over_this"] = [round(o / t, 2) for o, t in zip(p50["other"], p50["this"])]
    return out


async def bench(args, tmp: Path) -> dict:
    if args.compare_with:
        return await compare(args, tmp)
    out: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}}
    counts = [int(n) for n in str(args.processes).split(",")]
    for n in counts:  # side by side: the same class on one process, then on n behind nginx
        out[f"processes_{n}" if len(counts) > 1 else "server"] = await one_setup(args, tmp / f"p{n}", n)
    return out


async def one_setup(args, tmp: Path, processes: int) -> dict:
    out: dict = {"processes": processes}
    tmp.mkdir(parents=True, exist_ok=True)
    if processes == 1:
        server = AppServer(Path(args.data), tmp / "runs", tmp / "server.log")
    else:
        server = Proxied(Path(args.data), tmp / "runs", tmp / "logs", processes)
    with server:
        out["rss_server_started_mb"] = round(server.rss_kb() / 1024, 1)
        t0 = time.perf_counter()
        rec = await record(server)  # also warms the caches: dataset, model, evaluations
        out["recorded"] = {
            "steps": [s for s, _ in rec["browse"]] + [s for s, _ in rec["strokes"]],
            "bytes_per_stroke": [sum(map(len, f)) for _, f in rec["strokes"]],
            "seconds": round(time.perf_counter() - t0, 1),
        }
        rec = {k: [(s, clean(f)) for s, f in v] for k, v in rec.items()}
        await asyncio.sleep(3)
        out["rss_warm_no_session_mb"] = round(server.rss_kb() / 1024, 1)
        out["one_session"] = await run_sessions(server, rec, 1, args.strokes, args.think, 0, args.timeout)
        out["classroom"] = await run_sessions(
            server,
            rec,
            args.sessions,
            args.strokes,
            args.think,
            args.ramp,
            args.timeout,
            browser=args.browser,
            profile=tmp / "profile.txt" if args.profile else None,
        )
        if args.burst:
            out["burst_no_think"] = await run_sessions(server, rec, args.sessions, args.strokes, 0, 0, args.timeout)
        logs = [server.log] if processes == 1 else sorted(server.log.glob("streamlit-*.log"))
        out["server_log_tracebacks"] = sum(f.read_text(errors="replace").count("Traceback") for f in logs)
    return out


async def smallest(data: Path, tmp: Path, sessions: int = 2, strokes: int = 2) -> dict:
    """The smallest classroom: a recording, then `sessions` replaying clients drawing `strokes` digits each."""
    with AppServer(Path(data), tmp / "runs", tmp / "server.log") as server:
        rec = await record(server, STROKES[:2])
        rec = {k: [(s, clean(f)) for s, f in v] for k, v in rec.items()}
        return await run_sessions(server, rec, sessions, strokes, 0, 0, 180)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "/work/shared/datasets"))
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--strokes", type=int, default=10, help="digits each session draws")
    p.add_argument("--think", type=float, default=1.0, help="mean seconds between a session's strokes")
    p.add_argument("--ramp", type=float, default=0.2, help="seconds between the sessions' starts")
    p.add_argument("--burst", action="store_true", help="also: every session at once, no pauses")
    p.add_argument(
        "--browser",
        action="store_true",
        help="make one of the classroom's sessions a real Chromium window drawing on the canvas",
    )
    p.add_argument("--timeout", type=float, default=180, help="seconds one message may take")
    p.add_argument(
        "--compare-with",
        metavar="CHECKOUT",
        help="instead: the same load on this checkout and on another one, side by side",
    )
    p.add_argument(
        "--processes",
        default="1",
        help="Streamlit processes behind nginx (mnist-lab serve); 1: `streamlit run` alone; "
        "'1,2': both, one after the other",
    )
    p.add_argument("--profile", action="store_true", help="sample the server with py-spy during the classroom")
    p.add_argument("--json", help="write the summary here too")
    return run_bench(bench, p.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
