"""`mnist-lab serve`: the app for a class, as several Streamlit processes behind nginx (mnist_lab/serve.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .options import Parser, whole


def add(sub) -> None:
    s: Parser = sub.add_parser(
        "serve",
        help="the app for a class: several `streamlit run app.py` processes behind nginx (apt-get install nginx)",
    )
    s.add_argument("--processes", type=whole, default=2, help="Streamlit processes, about one per core (default 2)")
    s.add_argument("--port", type=whole, default=8501, help="where students connect (default 8501); "
                   "the processes take the ports after it")  # fmt: skip
    s.add_argument("--address", default="0.0.0.0", help="the address nginx listens on (default: every one)")
    s.add_argument("--app", default="app.py", help="the app's app.py (default: the one in this folder)")
    s.add_argument("--logs", help="where the processes' logs and nginx's files go (default: a new temporary folder)")
    s.set_defaults(handler=cmd_serve)


def cmd_serve(args) -> int:
    from ..serve import serve

    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="mnist-lab-serve-"))
    return serve(Path(args.app).resolve(), args.processes, args.port, args.address, logs)
