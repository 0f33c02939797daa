"""`mnist-lab serve`: several Streamlit processes behind nginx, each browser kept on one of them."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from mnist_lab import i18n, serve
from tests.appdriver import SETTLED, browser_available, browser_page, free_port, pad_points
from tests.helpers import require

ROOT = Path(__file__).resolve().parent.parent
WAIT = 90_000
PROXY = "nginx is not installed (apt-get install nginx)"


def nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    require("proxy", None if found else PROXY)
    return found


def test_the_configuration_is_nginx_s_and_sticks_a_browser_to_one_process(tmp_path):
    import os

    root = "root" if os.geteuid() == 0 else None  # nginx started as root must be told its workers' user
    conf = serve.nginx_config([9102, 9103], "127.0.0.1:9101", tmp_path, user=root)
    assert "server 127.0.0.1:9102;" in conf and "server 127.0.0.1:9103;" in conf and "listen 127.0.0.1:9101;" in conf
    assert "hash $mnist_lab_sticky consistent;" in conf
    assert not re.search(r"@[A-Z]+@", conf)  # every place filled in
    (tmp_path / "nginx.conf").write_text(conf)
    checked = subprocess.run(
        [nginx(), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr  # nginx itself reads it


def test_a_port_in_use_or_a_missing_app_is_said_in_one_line(tmp_path):
    nginx()
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(serve.ServeError, match=f"port {port} is in use"):
            serve.Classroom(ROOT / "app.py", 2, port, "127.0.0.1", tmp_path).start()
    with pytest.raises(serve.ServeError, match="is not there"):
        serve.Classroom(tmp_path / "app.py", 2, free_port(), "127.0.0.1", tmp_path).start()
    with pytest.raises(serve.ServeError, match="1 or more"):
        serve.Classroom(ROOT / "app.py", 0, free_port(), "127.0.0.1", tmp_path)


def _upstreams(log: Path) -> list[tuple[str, str, str]]:
    """(request, upstream, sticky key) of each line nginx logged."""
    pattern = re.compile(r'"(\S+ \S+) [^"]*" \d+ upstream=(\S+) sticky=(\S+)')
    return [m.groups() for m in map(pattern.search, log.read_text().splitlines()) if m]


@pytest.mark.slow
@pytest.mark.browser
def test_two_processes_behind_nginx_each_keep_their_browsers(tiny_mnist, runs_dir, tmp_path):
    """Two browsers that nginx gives to different processes both draw and get answers, pictures included
    (a picture is kept in the memory of the process that made it); every request of a browser, its
    WebSocket's too, goes to one process; and every process is gone afterwards."""
    nginx()
    require("browser", browser_available())
    from playwright.sync_api import expect

    from tests.appdriver import chromium

    logs = tmp_path / "serve"
    room = serve.Classroom(ROOT / "app.py", 2, free_port(), "127.0.0.1", logs)
    with room:
        room.start()
        procs = [p for _, p in room.children]
        # a browser's first request gets its cookie: find one for each process (each is a coin toss)
        keys: dict[str, str] = {}
        for _ in range(64):
            with urllib.request.urlopen(f"{room.url}/_stcore/health", timeout=10) as r:
                sets = dict(c.split(";")[0].split("=", 1) for c in r.headers.get_all("Set-Cookie"))
            cookie = sets["mnist_lab_process"]  # (Streamlit sets its own _streamlit_xsrf beside it)
            keys.setdefault(_upstreams(logs / "access.log")[-1][1], cookie)
            if len(keys) == 2:
                break
        assert sorted(keys) == sorted(f"127.0.0.1:{p}" for p in room.ports)
        with chromium() as browser:
            for cookie in keys.values():
                with browser_page(browser, timeout_ms=WAIT) as page:
                    page.context.add_cookies([{"name": "mnist_lab_process", "value": cookie, "url": room.url}])
                    page.goto(room.url + "/Draw")
                    page.wait_for_function(SETTLED, timeout=WAIT)
                    pad = page.locator(".st-key-pad canvas")
                    box = pad.bounding_box()
                    points = pad_points(box, 0)
                    page.mouse.move(*points[0])
                    page.mouse.down()
                    for x, y in points[1:]:
                        page.mouse.move(x, y, steps=2)
                    page.mouse.up()
                    expect(page.locator("[data-testid='stMetric']")).to_contain_text(i18n.t("draw.prediction"))
                    picture = page.locator(".st-key-draw_answer img").first  # what the model sees, from /media
                    expect(picture).to_be_visible()
                    loaded = "(img) => img.complete && img.naturalWidth > 0"
                    page.wait_for_function(loaded, arg=picture.element_handle(), timeout=WAIT)
        lines = _upstreams(logs / "access.log")
    for upstream, cookie in keys.items():
        mine = [(req, up) for req, up, key in lines if key == cookie]
        assert {up for _, up in mine} == {upstream}, mine  # one process for everything of one browser
        assert any("/_stcore/stream" in req for req, _ in mine)  # its WebSocket too
        assert any("/media/" in req for req, _ in mine)  # and the picture the process made
    assert room.children == [] and all(p.poll() is not None for p in procs)  # nginx and both processes stopped
