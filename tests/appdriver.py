"""Run the app with `streamlit run` and drive it in headless Chromium (browser test, screenshots, bench).

Waiting follows Streamlit's own browser tests: the app element carries
`data-test-connection-state` and `data-test-script-state`; a page is rendered when it is connected,
the script is not running and no skeleton is left. A script installed in every page logs the
script-state changes with their times, so after a click or a stroke we wait for a rerun that
started after it, not for one that was already over.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}

# Installed before any page script: logs script-state changes with their times, the last mouse-up,
# the last DOM change anywhere and the last one inside a chart or metric (new probabilities shown).
INIT_SCRIPT = """
window.__st = {log: [], mouseUp: 0, mut: 0, chartMut: 0, sent: []};
// when the page sent each message to the server (a stroke leaves the canvas some time after mouse-up)
const __send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  window.__st.sent.push(performance.now());
  return __send.call(this, data);
};
new MutationObserver((muts) => {
  const now = performance.now();
  for (const m of muts) {
    const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
    if (m.type === 'attributes' && m.attributeName === 'data-test-script-state' && el.dataset.testid === 'stApp') {
      window.__st.log.push([el.dataset.testScriptState, now]);
      continue;
    }
    window.__st.mut = now;
    if (el && el.closest && el.closest("[data-testid='stPlotlyChart'], [data-testid='stMetric']")) {
      window.__st.chartMut = now;
    }
  }
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
// the pen lifting: pointerup (a pad that keeps the page from scrolling under a finger cancels the mouse
// events that would follow it), and mouseup for anything that still listens only to the mouse
for (const kind of ['pointerup', 'mouseup']) {
  window.addEventListener(kind, () => { window.__st.mouseUp = performance.now(); }, true);
}
"""

# True once the page is connected, its script has finished and nothing is left loading.
SETTLED = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.dataset.testConnectionState === 'CONNECTED'
    && app.dataset.testScriptState === 'notRunning'
    && !!document.querySelector("[data-testid='stMain'] h1")
    && !document.querySelector("[data-testid='stSkeleton']");
}"""

# True once the rerun caused by something done at `since` (a performance.now() time) is over: the
# page is settled and a 'running' state was seen after `since` -- or, when the run was so quick
# that React never painted 'running', nothing has changed for a second, two seconds on.
RERUN_DONE = (
    """(since) => {
  const st = window.__st, now = performance.now();
  const ran = st.log.some(([s, t]) => s === 'running' && t >= since);
  return ("""
    + SETTLED
    + """)() && (ran || (now - since > 2000 && now - st.mut > 1000));
}"""
)

# Text the browser cuts with an ellipsis: a button, a select box's value, a metric ("99.6…", "Why this answ…")
CUT_SHORT = """() => Array.from(document.querySelectorAll("[data-testid='stAppViewContainer'] *")).filter((el) => {
  if (!el.offsetParent || !el.clientWidth || !el.innerText || !el.innerText.trim()) return false;
  return getComputedStyle(el).textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1;
}).map((el) => el.innerText.trim().slice(0, 60))"""

# True once nothing on the page has changed for `ms` milliseconds (charts drawn, fades over).
QUIET = """(ms) => performance.now() - window.__st.mut > ms"""

# the links of st.navigation's menu in the sidebar, in page order
NAV_LINK = (
    "[data-testid='stSidebarNav'] a[data-testid='stSidebarNavLink'], "
    "[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink']"  # the hand-made sidebar before st.navigation
)
NAV_LINKS = f"""() => Array.from(document.querySelectorAll("{NAV_LINK.replace(chr(10), "")}")).map(a => a.href)"""


@contextlib.contextmanager
def chromium():
    """Headless Chromium (Playwright, sync), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def browser_page(browser, viewport: dict = VIEWPORT, timeout_ms: float = 90_000):
    """A page in a window of its own with the timing script installed (INIT_SCRIPT), closed after."""
    context = browser.new_context(viewport=viewport)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        context.close()


def browser_available() -> str | None:
    """Why the browser tests cannot run here (None when they can): for tests.helpers.require("browser", ...)."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stroke(kind: int, size: float = 280) -> list[tuple[float, float]]:
    """Points of a digit-like stroke inside a size x size pad: a 1, 0, 7 or 2 by `kind`, shifted a little."""
    u = size / 20  # the pad in 20 x 20 units
    dx = (kind // 4 % 3 - 1) * u  # later strokes move sideways, so every stroke changes the picture
    shape = kind % 4
    if shape == 0:
        pts = [(10, 3 + 0.7 * i) for i in range(21)]
    elif shape == 1:
        pts = [(10 + 4 * math.sin(a * math.pi / 10), 10 - 6 * math.cos(a * math.pi / 10)) for a in range(21)]
    elif shape == 2:
        pts = [(5 + i, 4) for i in range(11)] + [(15 - 0.6 * i, 4 + 1.2 * i) for i in range(1, 11)]
    else:
        pts = (
            [(6 + 8 * math.sin(a * math.pi / 10), 8 - 4 * math.cos(a * math.pi / 10)) for a in range(8)]
            + [(13 - 0.8 * i, 9 + 0.7 * i) for i in range(1, 11)]
            + [(5 + i, 16) for i in range(1, 11)]
        )
    return [(x * u + dx, y * u) for x, y in pts]


def pad_points(box: dict, kind: int) -> list[tuple[float, float]]:
    """stroke(kind) in page coordinates over a 280x280 canvas whose bounding box is `box`."""
    return [(box["x"] + x * box["width"] / 280, box["y"] + y * box["height"] / 280) for x, y in stroke(kind)]


def drag(page, points: list[tuple[float, float]]) -> None:
    """Press the mouse at the first point, move through the others, release (Playwright, sync)."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=2)
    page.mouse.up()


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kb(pid: int) -> int:
    """VmRSS of one process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(runs: Path) -> list[int]:
    """The `mnist_lab worker` processes serving one runs folder, found by their command lines (from /proc)."""
    folder, found = str(Path(runs).resolve()), []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if "worker" in argv and "--runs-dir" in argv and folder in argv[argv.index("--runs-dir") + 1 :][:1]:
            found.append(int(entry.name))
    return found


def train_cli(data: Path, runs: Path, *args: str, timeout: float = 300) -> str:
    """Train a run with `python -m mnist_lab train` (for pages that need a model); returns its id."""
    import json

    cmd = [sys.executable, "-m", "mnist_lab", "train", "--data", str(data), "--runs-dir", str(runs), "--json", *args]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"training failed: {p.stderr[-1500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])["run_id"]


class AppServer:
    """`streamlit run app.py` on a free local port with its own data and runs folders."""

    def __init__(self, data: Path, runs: Path, log: Path, env: dict | None = None, root: Path = ROOT):
        self.data, self.runs, self.log, self.root = Path(data), Path(runs), Path(log), Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MNIST_LAB_DATA": str(self.data), "MNIST_LAB_RUNS": str(self.runs), **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> AppServer:
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def healthy() -> bool:
            from mnist_lab.serve import healthy as answers

            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            return answers(self.url)

        try:
            wait_until(healthy, timeout, 0.3, what=f"streamlit to answer {self.url}/_stcore/health")
        except AssertionError:
            self.stop()
            raise
        return self

    def rss_kb(self) -> int:
        """Resident memory of the server and every process below it (training children too)."""
        return sum(rss_kb(p) for p in process_tree(self.proc.pid)) if self.proc else 0

    def training_pids(self) -> list[int]:
        """The workers training this server's runs folder (they run in their own sessions)."""
        from mnist_lab.jobs.slots import workers

        return [w.pid for w in workers(self.runs)]

    def stop(self) -> None:
        """Stop the server (TERM, then KILL after 10 s), then kill the workers it or anyone else started
        for its runs folder, and wait until they are gone (the server can no longer start new ones)."""
        from mnist_lab.runs import pid_alive

        if self.proc is None:
            return
        children = process_tree(self.proc.pid)[1:]
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # a worker started just before the server died has no card yet and is no longer the server's
        # child: its command line still names this runs folder
        doomed = set(children) | set(self.training_pids()) | set(worker_pids(self.runs))
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not [p for p in doomed if pid_alive(p)], 30, what=f"the server's processes {doomed} to end")
        self.proc = None

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
