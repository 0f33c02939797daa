"""`mnist-lab serve`: the app for a whole class, as several `streamlit run app.py` processes behind nginx.

One Streamlit process runs one thread of Python at a time (the GIL), so on a 2-core machine a class of
30 waits on one core while the other idles. `bench/bench_classroom.py --processes 1,2` measured strokes
at p95 about 45 ms with two processes against 75-225 ms with one; page views at p95 0.35 s with two
processes that a browser had warmed, but about 1.2 s when the second one meets its pages first with
the class (see README). Each process keeps its own sessions, caches and models
in memory (about 0.9 GB each with the shipped model warm), so this trades memory for waiting; the runs,
the class's digits and the side files are shared on disk as before.

nginx is the standard reverse proxy for this (assets/nginx.conf says how it keeps a browser on one
process). This module only fills in that file and starts and stops the processes; it imports no
Streamlit.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .errors import LabError

TEMPLATE = Path(__file__).parent / "assets" / "nginx.conf"


class ServeError(LabError):
    pass


def nginx_config(ports: list[int], listen: str, prefix: Path, user: str | None = None) -> str:
    """assets/nginx.conf for these Streamlit ports: nginx listening on `listen` ("8501" or
    "0.0.0.0:8501"), writing its pid, logs and temporary files under `prefix`. user: the account its
    workers run as, needed only when nginx starts as root."""
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
    text = TEMPLATE.read_text(encoding="utf-8")
    for place, value in (
        ("@USER@", f"user {user};" if user else ""),
        ("@PREFIX@", str(prefix)),
        ("@SERVERS@", servers),
        ("@LISTEN@", listen),
    ):
        text = text.replace(place, value)
    return text


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def warm(url: str, timeout: float) -> None:
    """Run the app's script once in a process, as its first visitor would: that starts its warm-up (torch,
    the shipped model, the dataset: ui/frame.server_setup). Each process has its own; without this only the
    one the teacher's browser lands on is warm, and the first students on the others wait seconds."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/script-health-check", timeout=timeout) as r:
            r.read()
    except OSError as e:  # the app's error is the page's to show; a slow first visit is all this costs
        print(f"note: warming {url} did not finish ({e})", file=sys.stderr)


class Classroom:
    """`processes` Streamlit servers on the ports after `port`, and nginx on `port` in front of them.
    A context manager: everything it started is stopped on leaving, also after an error."""

    def __init__(self, app: Path, processes: int, port: int, address: str, workdir: Path, env: dict | None = None):
        if processes < 1:
            raise ServeError(f"--processes must be 1 or more, not {processes}")
        self.app, self.processes, self.port, self.address = Path(app), processes, port, address
        self.workdir = Path(workdir)
        self.env = {**os.environ, **(env or {})}
        self.ports = [port + 1 + k for k in range(processes)]
        self.children: list[tuple[str, subprocess.Popen]] = []

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("", "0.0.0.0") else self.address
        return f"http://{host}:{self.port}"

    def _check(self) -> str:
        nginx = shutil.which("nginx") or next(
            (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
        )
        if nginx is None:
            raise ServeError("nginx is not installed (Debian, Ubuntu: apt-get install nginx)")
        if not self.app.is_file():
            raise ServeError(f"{self.app} is not there: run this in the MNIST Lab checkout, or give --app")
        busy = [p for p in [self.port, *self.ports] if not port_free(p)]
        if busy:
            last = self.ports[-1]
            raise ServeError(f"port {busy[0]} is in use: choose another --port (this uses {self.port} to {last})")
        return nginx

    def start(self, progress: Callable[[str], None] = lambda line: None, timeout: float = 180) -> Classroom:
        nginx = self._check()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for p in self.ports:
            cmd = [sys.executable, "-m", "streamlit", "run", self.app.name, "--server.port", str(p)]
            cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
            cmd += ["--server.scriptHealthCheckEnabled", "true"]  # see warm()
            self._spawn(f"streamlit :{p}", cmd, self.workdir / f"streamlit-{p}.log", cwd=self.app.parent)
        for k, p in enumerate(self.ports):
            self._wait(f"http://127.0.0.1:{p}", timeout, f"streamlit on port {p}")
            warm(f"http://127.0.0.1:{p}", timeout)
            progress(f"Streamlit {k + 1} of {self.processes} is up (port {p}).")
        conf = self.workdir / "nginx.conf"
        listen = f"{self.address}:{self.port}" if self.address else str(self.port)
        user = getpass.getuser() if os.geteuid() == 0 else None
        conf.write_text(nginx_config(self.ports, listen, self.workdir, user), encoding="utf-8")
        test = subprocess.run([nginx, "-t", "-q", "-c", str(conf), "-p", str(self.workdir)], capture_output=True)
        if test.returncode != 0:
            raise ServeError(f"nginx refused its configuration: {test.stderr.decode(errors='replace').strip()}")
        self._spawn("nginx", [nginx, "-c", str(conf), "-p", str(self.workdir)], self.workdir / "nginx.out")
        self._wait(self.url, 30, "nginx")
        progress(f"nginx is up: open {self.url}")
        return self

    def _spawn(self, name: str, cmd: list[str], log: Path, cwd: Path | None = None) -> None:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.children.append((name, proc))

    def _wait(self, url: str, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not healthy(url):
            dead = self.exited()
            if dead:
                raise ServeError(f"{dead} stopped while starting (its log is in {self.workdir})")
            if time.monotonic() > end:
                raise ServeError(f"{what} did not answer within {timeout:.0f} s (its log is in {self.workdir})")
            time.sleep(0.3)

    def exited(self) -> str | None:
        """The name of a process that has stopped, if any did."""
        return next((f"{name} (exit {p.returncode})" for name, p in self.children if p.poll() is not None), None)

    def stop(self) -> None:
        for _, p in reversed(self.children):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        end = time.monotonic() + 15
        for _, p in self.children:
            try:
                p.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.children.clear()

    def __enter__(self) -> Classroom:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(app: Path, processes: int, port: int, address: str, workdir: Path) -> int:
    """Start the class's server and keep it until Ctrl-C (or a kill, or the terminal closing), or until one
    of its processes stops; then stop them all."""

    def leave(signum, _frame):  # as Ctrl-C does: the processes are stopped on the way out
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, leave)
    with Classroom(app, processes, port, address, workdir) as room:
        room.start(progress=print)
        print(f"{processes} Streamlit processes behind nginx. Logs: {workdir}. Ctrl-C stops them all.")
        while (dead := room.exited()) is None:
            time.sleep(1)
        print(f"error: {dead}; stopping the others (logs: {workdir})", file=sys.stderr)
        return 1
