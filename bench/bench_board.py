"""30 sessions keep the Class board open while a class trains (not a test).

One real Chromium session is recorded opening the board and staying on it, so the recording holds
the message its live part sends every 2 s (a fragment rerun). Then N light clients, each its own
server session over the app's WebSocket, open the board and send that message every 2 s for
--seconds, while --runs `class` runs train. Reported: the server's CPU over that time (share of one
core), each poll's server time, and whether every poll showed the board.

    python -m bench.bench_board --data ../shared/datasets --sessions 30 --runs 30 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from pathlib import Path

from bench.bench_app import TITLES, dist, go, new_page, open_app, run_bench, session_context
from bench.bench_class import ROOT, submit_all
from bench.bench_classroom import Client, clean
from mnist_lab import i18n
from tests.appdriver import CHROMIUM, CHROMIUM_ARGS, AppServer, cpu_seconds

BOARD = TITLES.index("board.title")


async def record(server: AppServer, wait_s: float = 15.0) -> dict:
    """Open the app, go to the board, stay until it polls (every 2 s while runs train, 10 s when
    nothing moves): (what opening sent, what going there sent, one poll)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = await session_context(browser)
        page = await new_page(ctx)
        sent: list[bytes] = []
        page.on(
            "websocket", lambda ws: ws.on("framesent", lambda p: sent.append(p if isinstance(p, bytes) else p.encode()))
        )
        await open_app(page, server.url)
        opened = len(sent)
        await go(page, BOARD)
        went = len(sent)
        deadline = time.perf_counter() + wait_s
        while len(sent) == went and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # the poll's whole message
        await browser.close()
    polls = clean(sent[went:])
    if not polls:
        raise SystemExit("the board sent nothing while it stayed open: is its live part still a fragment?")
    return {"open": clean(sent[:opened]), "go": clean(sent[opened:went]), "poll": polls[-1]}


async def viewer(url: str, rec: dict, seconds: float, period: float, timeout: float) -> dict:
    client, polls, problems = Client(url), [], []
    try:
        await client.connect()
        await client.send(rec["open"], timeout)
        r = await client.send(rec["go"], timeout)
        if i18n.t("board.title") not in r["headings"]:
            problems.append(f"board not shown: {r['headings'][:2]}")
        await asyncio.sleep(random.uniform(0, period))  # students did not open the board in the same instant
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            r = await client.send([rec["poll"]], timeout)
            polls.append(r["ms"])
            problems += r["errors"]
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - t0)))
    except Exception as e:  # noqa: BLE001 -- a session that fails is counted, the others go on
        problems.append(f"{type(e).__name__}: {str(e)[:200]}")
    finally:
        await client.close()
    return {"polls": polls, "problems": problems}


async def bench(args, tmp: Path) -> dict:
    data, runs = Path(args.data).resolve(), tmp / "runs"
    with AppServer(data, runs, tmp / "server.log") as server:
        rec = await record(server)
        if args.runs:
            submit_all(ROOT, runs, str(data), args.runs, os.environ.copy(), old=False)
        await asyncio.sleep(3)  # the workers start
        cpu0, t0 = cpu_seconds(server.proc.pid), time.perf_counter()
        results = await asyncio.gather(*(viewer(server.url, rec, args.seconds, 2.0, 120) for _ in range(args.sessions)))
        cpu = cpu_seconds(server.proc.pid) - cpu0
        wall = time.perf_counter() - t0
        states: dict[str, int] = {}
        for status in runs.glob("*/status.json"):
            state = status.read_text().split('"state": "', 1)[-1].split('"', 1)[0]
            states[state] = states.get(state, 0) + 1
    polls = [ms for r in results for ms in r["polls"]]
    return {
        "sessions": args.sessions,
        "runs_training": args.runs,
        "seconds": round(wall, 1),
        "server_cpu_share_of_one_core": round(cpu / wall, 3),
        "server_cpu_ms_per_poll": round(1000 * cpu / max(1, len(polls)), 1),
        "poll_ms": dist(polls),
        "polls": len(polls),
        "run_states_at_end": states,
        "problems": [p for r in results for p in r["problems"]][:5],
        "cpu_count": os.cpu_count(),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("MNIST_LAB_DATA", "../shared/datasets"))
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--runs", type=int, default=30, help="class runs training meanwhile (0: none)")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--json", help="also write the summary to this file")
    return run_bench(bench, p.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
