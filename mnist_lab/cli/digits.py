"""`mnist-lab digits add | list | eval | export | import | delete`: the class's own digits (the SQLite file
beside the runs) from a terminal, as the Draw, Our digits and Teacher pages use them."""

from __future__ import annotations

import json
from pathlib import Path

from .models import load
from .options import Parser, UsageError, common, model_source, whole


def add(sub) -> None:
    d = sub.add_parser("digits", help="the class's own digits: add, list, eval, export, import, delete")
    verbs = d.add_subparsers(dest="verb", required=True, parser_class=Parser)

    a = verbs.add_parser("add", help="add a picture of one digit with its true label")
    a.add_argument("file", help="a PNG/JPEG picture of one digit")
    a.add_argument("--label", type=whole, required=True, help="the true label, 0-9")
    a.add_argument("--student", help="who wrote it (optional)")
    a.add_argument("--source", choices=("photo", "pad"), default="photo", help="as for predict (default photo)")
    model_source(a)
    common(a, runs=True, data=False)
    a.set_defaults(handler=cmd_add)

    ls = verbs.add_parser("list", help="how many digits per label and per student")
    common(ls, runs=True, data=False)
    ls.set_defaults(handler=cmd_list)

    e = verbs.add_parser("eval", help="a model's accuracy on the class's digits (default: the shipped model)")
    model_source(e)
    common(e, runs=True, data=False)
    e.set_defaults(handler=cmd_eval)

    x = verbs.add_parser("export", help="write the set into a folder as MNIST idx files (+ CSV) or one .npz")
    x.add_argument("folder")
    x.add_argument("--format", choices=("idx", "npz"), required=True)
    common(x, runs=True, data=False)
    x.set_defaults(handler=cmd_export)

    i = verbs.add_parser("import", help="add the digits of an export folder to the set")
    i.add_argument("folder")
    common(i, runs=True, data=False)
    i.set_defaults(handler=cmd_import)

    r = verbs.add_parser("delete", help="delete digits by id, one student's digits, or all of them")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=whole, nargs="+", dest="ids", metavar="ID")
    which.add_argument("--student", help="every digit saved under this name")
    which.add_argument("--all", action="store_true", help="the whole set")
    common(r, runs=True, data=False)
    r.set_defaults(handler=cmd_delete)


def _store(args):
    from ..classdigits.store import DigitStore, default_path

    return DigitStore(default_path(args.runs_dir))


def _say(args, out: dict, text: str) -> None:
    print(json.dumps(out) if args.json else text)


def cmd_add(args) -> int:
    import numpy as np

    from ..classdigits.collect import add_drawing
    from ..evaluate import predict_proba
    from ..images import ImageError, decode_image
    from ..preprocess import prepare_digit

    try:
        picture = decode_image(Path(args.file).read_bytes(), "RGBA")
    except OSError as e:
        raise ImageError("error.image.unreadable", error=e.strerror or str(e)) from None
    prepared = prepare_digit(picture, args.source)
    if prepared.image is None:
        raise ImageError(f"reason.{prepared.reason}")
    model, meta = load(args)
    probs = predict_proba(model, prepared.image, meta.normalize, meta.pad)[0]
    digit_id = add_drawing(
        _store(args),
        picture=picture,
        prepared=prepared,
        source=args.source,
        label=args.label,
        probs=probs,
        student=args.student,
        model=args.run or (Path(args.checkpoint).name if args.checkpoint else "default"),
    )
    answer = int(np.argmax(probs))
    _say(args, {"id": digit_id, "label": args.label, "answer": answer}, f"added digit {digit_id} (model read {answer})")
    return 0


def cmd_list(args) -> int:
    per_label, per_student = _store(args).counts()
    out = {"total": int(per_label.sum()), "per_label": per_label.tolist(), "per_student": per_student}
    lines = [f"{out['total']} digits", "per label: " + "  ".join(f"{k}:{n}" for k, n in enumerate(per_label))]
    lines += [f"  {name or '(no name)'}: {n}" for name, n in per_student.items()]
    _say(args, out, "\n".join(lines))
    return 0


def cmd_eval(args) -> int:
    from ..classdigits.measure import measure
    from ..classdigits.store import DigitsError

    digits = _store(args).arrays()
    if not len(digits):
        raise DigitsError("error.digits.empty")
    model, meta = load(args)
    ev = measure(model, meta, digits).ev
    out = {
        "model": meta.model,
        "accuracy": ev.accuracy,
        "n": len(digits),
        "mistakes": int((ev.predictions != ev.labels).sum()),
    }
    _say(args, out, f"{meta.model}: {ev.accuracy:.2%} of the class's {len(digits)} digits")
    return 0


def cmd_export(args) -> int:
    from ..classdigits.transfer import export

    written = export(_store(args), args.folder, args.format)
    _say(args, {"files": [str(p) for p in written]}, "\n".join(str(p) for p in written))
    return 0


def cmd_import(args) -> int:
    from ..classdigits.transfer import import_into

    n = import_into(_store(args), args.folder)
    _say(args, {"added": n}, f"added {n} digits")
    return 0


def cmd_delete(args) -> int:
    if args.student is not None and not args.student.strip():
        raise UsageError("mnist-lab digits delete: --student needs a name")
    n = _store(args).delete(ids=args.ids, student=args.student, everything=args.all)
    _say(args, {"deleted": n}, f"deleted {n} digits")
    return 0
