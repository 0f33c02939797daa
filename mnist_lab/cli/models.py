"""`mnist-lab eval | predict | export`: use a run's model, a checkpoint or the shipped model."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .options import common, model_source


def add(sub) -> None:
    e = sub.add_parser("eval", help="test accuracy of a run, a checkpoint or the shipped model")
    model_source(e)
    e.add_argument("--split", choices=("test", "train"), default="test")
    common(e, runs=True)
    e.set_defaults(handler=cmd_eval)

    r = sub.add_parser("predict", help="read digits from PNG/JPEG files")
    r.add_argument("images", nargs="+", help="image files")
    r.add_argument(
        "--source",
        choices=("photo", "pad"),
        default="photo",
        help="photo: a photo, scan or any file (ink of either colour, any lighting); "
        "pad: a drawing saved from a pad (white or opaque strokes on black)",
    )
    model_source(r)
    common(r, runs=True, data=False)
    r.set_defaults(handler=cmd_predict)

    x = sub.add_parser("export", help="write a run's model (or the shipped one) as one ONNX file")
    x.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    model_source(x)
    common(x, runs=True, data=False)
    x.set_defaults(handler=cmd_export)


def load(args):
    from ..checkpoints import default_checkpoint, load_model
    from ..runs import RunStore

    if args.run:
        path = RunStore(args.runs_dir).get(args.run).checkpoint_path()
    else:
        path = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
    return load_model(path)


def cmd_eval(args) -> int:
    from ..data import load_dataset
    from ..evaluate import evaluate

    model, meta = load(args)
    split = load_dataset(meta.dataset, args.data).split(args.split)
    ev = evaluate(model, split, meta.normalize, meta.pad)
    out = {
        "model": meta.model,
        "split": args.split,
        "test_accuracy": ev.accuracy,
        "n": len(split),
        "per_class": [round(float(a), 4) for a in ev.per_class],
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{meta.model}: {args.split} accuracy {ev.accuracy:.2%} on {len(split)} images")
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from ..evaluate import predict_proba
    from ..images import ImageError, decode_image
    from ..preprocess import prepare_digit

    model, meta = load(args)
    failed = 0
    for path in args.images:
        try:
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                raise ImageError("error.image.unreadable", error=e.strerror or str(e)) from None
            prepared = prepare_digit(decode_image(data, "RGBA"), args.source)
            if prepared.image is None:
                raise ImageError(f"reason.{prepared.reason}")
        except ImageError as e:
            failed += 1
            print(json.dumps({"path": path, "error": str(e)}) if args.json else f"{path}: error: {e}")
            continue
        probs = predict_proba(model, prepared.image[None], meta.normalize, meta.pad)[0]
        label = int(np.argmax(probs))
        if args.json:
            print(json.dumps({"path": path, "label": label, "probabilities": [round(float(p), 6) for p in probs]}))
        else:
            print(f"{path}: {label} ({probs[label]:.1%})")
    return 1 if failed else 0


def cmd_export(args) -> int:
    """Raw pixels in, probabilities out: normalisation and padding are inside the file."""
    from ..export import INPUT, OPSET, OUTPUT, export_onnx

    model, meta = load(args)
    t0 = time.perf_counter()
    size = export_onnx(model, meta, args.onnx)
    if args.json:
        out = {
            "model": meta.model,
            "path": str(Path(args.onnx).expanduser()),
            "bytes": size,
            "opset": OPSET,
            "input": INPUT,
            "output": OUTPUT,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        print(json.dumps(out))
    else:
        print(f"exported {meta.model} to {args.onnx} ({size} bytes)")
    return 0
