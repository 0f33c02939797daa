"""Training settings: the presets, the checked TrainConfig and its checks (the models are in registry.py).

No torch in here: the CLI builds its parser and `submit` queues a run with this module alone;
torch (about 1.5 s to import) loads only in a worker that trains.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .errors import LabError
from .registry import MODELS
from .runs import is_run_id

DATASETS = ("mnist", "fashion")
PRESETS: dict[str, dict] = {
    # seed 000: the 4-layer CNN notebook (Keras-style SGD, images scaled to 0..1, padded to 32x32)
    "seed000": dict(optimizer="sgd", lr=0.01, momentum=0.9, weight_decay=5e-4, batch_size=100,
                    epochs=2, normalize="minmax", schedule="constant"),
    # seed 003: the LeNet-5 notebook (standardized inputs, one epoch)
    "seed003": dict(optimizer="sgd", lr=0.01, momentum=0.5, weight_decay=0.0, batch_size=64,
                    epochs=1, normalize="standardize", schedule="constant"),
    # ours: Adam with a one-cycle learning rate; LeNet-5 at 99.05-99.17% (seeds 0-2) in two epochs.
    # Batch 128 trains the most images a second here (bench/bench_class.py --recipes); 3 epochs at
    # batch 256 reached 99.2% but took longer than one epoch of seed 003's own pipeline
    "fast": dict(optimizer="adam", lr=0.01, momentum=0.9, weight_decay=0.0, batch_size=128,
                 epochs=2, normalize="standardize", schedule="onecycle"),
    # a whole class at once on a laptop's CPU: one epoch, ~8 s of one core for LeNet-5 at ~98.8%;
    # batch 128 trains the most images a second on one thread (bench/bench_class.py --recipes)
    "class": dict(optimizer="adam", lr=0.01, momentum=0.9, weight_decay=0.0, batch_size=128,
                  epochs=1, normalize="standardize", schedule="onecycle"),
    # the class's own digits taught to a trained model (classdigits/teach.py): a small learning rate
    # and a few short epochs of MNIST mixed with the class's digits, so that MNIST is not forgotten;
    # the model and its input scaling are the starting checkpoint's (submit sets them)
    "class_digits": dict(optimizer="adam", lr=2e-4, momentum=0.9, weight_decay=0.0, batch_size=64,
                         epochs=3, normalize="standardize", schedule="constant",
                         start_from="default", class_digits=True),
}  # fmt: skip
OPTIMIZERS = ("sgd", "adam", "adamw", "adadelta", "rmsprop")
SCHEDULES = ("constant", "onecycle", "cosine")
NORMALIZE = ("minmax", "standardize")
MAX_EPOCHS = 200


class ConfigError(LabError, ValueError):
    """A training setting is out of range."""


_FAST = PRESETS["fast"]  # a TrainConfig() is the fast preset: its defaults come from there alone


@dataclass
class TrainConfig:
    model: str = "lenet5"
    preset: str = "fast"
    dataset: str = "mnist"
    optimizer: str = _FAST["optimizer"]
    lr: float = _FAST["lr"]
    momentum: float = _FAST["momentum"]
    weight_decay: float = _FAST["weight_decay"]
    batch_size: int = _FAST["batch_size"]
    epochs: int = _FAST["epochs"]
    seed: int = 0
    device: str = "auto"
    normalize: str = _FAST["normalize"]
    schedule: str = _FAST["schedule"]
    augment: bool = False
    train_limit: int | None = None
    start_from: str | None = None  # fine-tune: "default" (the shipped model) or a run id; None: fresh weights
    class_digits: bool = False  # train on MNIST and the class's digits, held-out writers measured apart

    def to_dict(self) -> dict:
        return asdict(self)


def _names(values) -> str:
    return ", ".join(values)


def make_config(model: str = "lenet5", preset: str = "fast", **overrides) -> TrainConfig:
    """A preset's settings with any overrides (None means 'keep the preset's value'), checked."""
    if preset not in PRESETS:
        raise ConfigError("error.config.unknown_preset", preset=preset, choices=_names(PRESETS))
    unknown = set(overrides) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise ConfigError("error.config.unknown_setting", names=_names(sorted(unknown)))
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    cfg = TrainConfig(model=model, preset=preset, **values)
    validate(cfg)
    return cfg


def config_from_dict(d: dict) -> TrainConfig:
    """A TrainConfig from a run's config.json (unknown fields are ignored), checked."""
    known = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in d.items() if k in known})
    validate(cfg)
    return cfg


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def validate(cfg: TrainConfig) -> None:
    """Raise ConfigError for the first setting out of range."""
    checks = [
        (cfg.model in MODELS, "unknown_model", dict(model=cfg.model, choices=_names(MODELS))),
        (cfg.dataset in DATASETS, "unknown_dataset", dict(dataset=cfg.dataset, choices=_names(DATASETS))),
        (cfg.optimizer in OPTIMIZERS, "unknown_optimizer", dict(optimizer=cfg.optimizer, choices=_names(OPTIMIZERS))),
        (cfg.schedule in SCHEDULES, "unknown_schedule", dict(schedule=cfg.schedule, choices=_names(SCHEDULES))),
        (cfg.normalize in NORMALIZE, "unknown_normalize", dict(normalize=cfg.normalize)),
        (
            isinstance(cfg.device, str) and (cfg.device in ("auto", "cpu", "cuda") or cfg.device.startswith("cuda:")),
            "unknown_device",
            dict(device=cfg.device),
        ),
        *(
            (_is_number(getattr(cfg, n)), "not_number", dict(name=n, value=repr(getattr(cfg, n))))
            for n in ("lr", "momentum", "weight_decay")
        ),
        *(
            (_is_whole(getattr(cfg, n)), "not_whole", dict(name=n, value=repr(getattr(cfg, n))))
            for n in ("batch_size", "epochs", "seed")
        ),
    ]
    for ok, what, params in checks:
        if not ok:
            raise ConfigError(f"error.config.{what}", **params)
    if cfg.class_digits and (cfg.dataset != "mnist" or cfg.train_limit is not None):
        # the class writes digits, and its digits come after MNIST's sample: a limit would cut them off
        raise ConfigError("error.config.class_digits_mnist", dataset=cfg.dataset)
    ranges = [
        (cfg.lr > 0, "lr", cfg.lr),
        (0 <= cfg.momentum < 1, "momentum", cfg.momentum),
        (cfg.weight_decay >= 0, "weight_decay", cfg.weight_decay),
        (cfg.seed >= 0, "seed", cfg.seed),
        (cfg.batch_size >= 1, "batch_size", cfg.batch_size),
        (1 <= cfg.epochs <= MAX_EPOCHS, "epochs", cfg.epochs),
        (
            cfg.train_limit is None or (_is_whole(cfg.train_limit) and cfg.train_limit >= 1),
            "train_limit",
            repr(cfg.train_limit),
        ),
        (
            cfg.start_from is None or is_run_id(cfg.start_from),
            "start_from",
            repr(cfg.start_from),
        ),
        (isinstance(cfg.class_digits, bool), "class_digits", repr(cfg.class_digits)),
    ]
    for ok, what, value in ranges:
        if not ok:
            raise ConfigError(f"error.config.{what}", value=value, max=MAX_EPOCHS)
