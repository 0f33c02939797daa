"""`mnist-lab train | submit | worker | runs | eval | predict | export | digits | serve` (also
`python -m mnist_lab`): the engine the app uses, from a terminal. The parser needs no torch, so `--help`
is instant, and `submit` returns at once; torch loads only in a worker that trains.

Each command module adds its own subcommands (`add(sub)`) and the function each one runs:
training.py (train, submit, worker, runs), models.py (eval, predict, export), digits.py (the
class's own digits) and serving.py (the app for a class behind nginx).
"""

from __future__ import annotations

import sys

from ..errors import LabError
from .options import Parser, UsageError


def build_parser() -> Parser:
    from .. import __version__
    from . import digits, models, serving, training

    p = Parser(prog="mnist-lab", description="Train, evaluate and use MNIST models.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in (training, models, digits, serving):
        module.add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        return args.handler(args)
    except (UsageError, LabError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
