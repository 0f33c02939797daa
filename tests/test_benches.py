"""The benches' smallest forms, so that a change to the app cannot silently break them (as renumbering the
pages once broke the classroom bench: it recorded its strokes on the wrong page and answered none)."""

from __future__ import annotations

import asyncio

import pytest

from tests.appdriver import browser_available
from tests.helpers import optional_import, require, write_mnist

pytestmark = [pytest.mark.browser, pytest.mark.slow]
require("browser", browser_available(), module_level=True)


def test_the_classroom_bench_answers_every_stroke(tmp_path):
    optional_import("websockets", "browser", "pip install -e '.[bench]'")
    from bench import bench_classroom

    data = write_mnist(tmp_path / "data").parent.parent
    out = asyncio.run(bench_classroom.smallest(data, tmp_path, sessions=2, strokes=2))
    assert out["problems"] == []
    assert out["sessions_all_answered"] == 2
    assert out["prediction_ms"]["n"] == 4  # 2 sessions x 2 strokes, every one answered
