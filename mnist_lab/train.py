"""The training loop: whole tensors on the device, batches sliced from them, an event per batch."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields
from typing import Callable

import torch
import torch.nn.functional as F

from .data import Dataset, Split, to_float
from .models import MODELS, build_model, input_pad

PRESETS: dict[str, dict] = {
    # seed 000: the 4-layer CNN notebook (Keras-style SGD, images scaled to 0..1, padded to 32x32)
    "seed000": dict(optimizer="sgd", lr=0.01, momentum=0.9, weight_decay=5e-4, batch_size=100,
                    epochs=2, normalize="minmax", schedule="constant"),
    # seed 003: the LeNet-5 notebook (standardized inputs, one epoch)
    "seed003": dict(optimizer="sgd", lr=0.01, momentum=0.5, weight_decay=0.0, batch_size=64,
                    epochs=1, normalize="standardize", schedule="constant"),
    # ours: Adam with a one-cycle learning rate reaches 99% in a few short epochs
    "fast": dict(optimizer="adam", lr=0.01, momentum=0.9, weight_decay=0.0, batch_size=256,
                 epochs=3, normalize="standardize", schedule="onecycle"),
}
OPTIMIZERS = ("sgd", "adam", "adamw", "adadelta", "rmsprop")
SCHEDULES = ("constant", "onecycle", "cosine")
NORMALIZE = ("minmax", "standardize")
MAX_EPOCHS = 200
# A cross-entropy over 10 classes starts near 2.3; a batch loss this big means the weights blew up.
DIVERGED_LOSS = 1e6


class ConfigError(ValueError):
    """A training setting is out of range; the message is one plain sentence."""


@dataclass
class TrainConfig:
    model: str = "lenet5"
    preset: str = "fast"
    dataset: str = "mnist"
    optimizer: str = "adam"
    lr: float = 0.006
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 3
    seed: int = 0
    device: str = "auto"
    normalize: str = "standardize"
    schedule: str = "onecycle"
    augment: bool = False
    train_limit: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def make_config(model: str = "lenet5", preset: str = "fast", **overrides) -> TrainConfig:
    """A preset's settings with any overrides (None means 'keep the preset's value'), checked."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    known = {f.name for f in fields(TrainConfig)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    cfg = TrainConfig(model=model, preset=preset, **values)
    validate(cfg)
    return cfg


def config_from_dict(d: dict) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in d.items() if k in known})
    validate(cfg)
    return cfg


def validate(cfg: TrainConfig) -> None:
    """Raise ConfigError with a plain sentence for any setting out of range."""
    def need(ok: bool, msg: str) -> None:
        if not ok:
            raise ConfigError(msg)
    need(cfg.model in MODELS, f"unknown model {cfg.model!r}; choose one of {', '.join(MODELS)}")
    need(cfg.optimizer in OPTIMIZERS, f"unknown optimizer {cfg.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    need(cfg.schedule in SCHEDULES, f"unknown schedule {cfg.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    need(cfg.normalize in NORMALIZE, f"unknown normalisation {cfg.normalize!r}; choose minmax or standardize")
    need(cfg.device in ("auto", "cpu", "cuda") or cfg.device.startswith("cuda:"),
         f"unknown device {cfg.device!r}; choose auto, cpu or cuda")
    for name in ("lr", "momentum", "weight_decay"):
        v = getattr(cfg, name)
        need(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
             f"{name} must be a number, got {v!r}")
    need(cfg.lr > 0, f"learning rate must be greater than 0, got {cfg.lr}")
    need(0 <= cfg.momentum < 1, f"momentum must be in [0, 1), got {cfg.momentum}")
    need(cfg.weight_decay >= 0, f"weight decay must be 0 or more, got {cfg.weight_decay}")
    for name in ("batch_size", "epochs", "seed"):
        v = getattr(cfg, name)
        need(isinstance(v, int) and not isinstance(v, bool), f"{name} must be a whole number, got {v!r}")
    need(cfg.seed >= 0, f"seed must be 0 or more, got {cfg.seed}")
    need(cfg.batch_size >= 1, f"batch size must be at least 1, got {cfg.batch_size}")
    need(1 <= cfg.epochs <= MAX_EPOCHS, f"epochs must be between 1 and {MAX_EPOCHS}, got {cfg.epochs}")
    need(cfg.train_limit is None or (isinstance(cfg.train_limit, int) and cfg.train_limit >= 1),
         f"train limit must be a positive whole number, got {cfg.train_limit!r}")


def resolve_device(spec: str = "auto") -> tuple[torch.device, str]:
    """The torch device for 'auto' (CUDA when present), 'cpu' or 'cuda', and its readable name."""
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use auto or cpu")
        dev = torch.device(spec)
        return dev, torch.cuda.get_device_name(dev)
    return torch.device("cpu"), f"CPU ({torch.get_num_threads()} threads)"


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def make_scheduler(cfg: TrainConfig, opt: torch.optim.Optimizer, total_steps: int):
    if cfg.schedule == "onecycle" and total_steps >= 8:  # fewer steps leave no room for warm-up and decay
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total_steps,
                                                   pct_start=0.25)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    return None


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random small rotations, scales, shifts and stroke thickness, as people draw differently."""
    n = x.shape[0]
    rand = lambda *s: torch.rand(*s, generator=gen).to(x.device)  # noqa: E731
    angle = (rand(n) - 0.5) * math.radians(30)
    scale = 0.85 + rand(n) * 0.3
    shift = (rand(n, 2) - 0.5) * (2 * 3 / 14)  # up to 3 px each way, in [-1, 1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    thick = rand(n) < 0.25
    thin = (rand(n) < 0.15) & ~thick
    x = torch.where(thick[:, None, None, None], F.max_pool2d(x, 3, 1, 1), x)
    x = torch.where(thin[:, None, None, None], -F.max_pool2d(-x, 3, 1, 1), x)
    return x


def _subset(split: Split, limit: int | None) -> Split:
    return split if not limit else Split(split.images[:limit], split.labels[:limit])


@torch.no_grad()
def evaluate_loss(model, images: torch.Tensor, labels: torch.Tensor, normalize: str, pad: int,
                  batch_size: int = 1000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of a model on uint8 images already on its device."""
    model.eval()
    total_loss, correct = 0.0, 0
    for i in range(0, len(labels), batch_size):
        x = to_float(images[i:i + batch_size], normalize, pad)
        y = labels[i:i + batch_size]
        out = model(x)
        total_loss += float(F.cross_entropy(out, y, reduction="sum"))
        correct += int((out.argmax(1) == y).sum())
    n = max(len(labels), 1)
    return total_loss / n, correct / n


Event = dict
Callback = Callable[[Event], None]


def train(cfg: TrainConfig, data: Dataset, on_event: Callback | None = None,
          should_stop: Callable[[], bool] | None = None,
          on_checkpoint: Callable[[torch.nn.Module, dict], None] | None = None) -> dict:
    """Train cfg.model on data; report events; return the final event (state done/stopped/failed)."""
    validate(cfg)
    emit = on_event or (lambda e: None)
    stop = should_stop or (lambda: False)
    device, device_name = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    train_split = _subset(data.train, cfg.train_limit)
    n = len(train_split)
    if n == 0:
        raise ConfigError("the training set is empty")
    if cfg.batch_size > n:
        raise ConfigError(f"batch size {cfg.batch_size} is larger than the {n} training images")
    x_train, y_train = train_split.images.to(device), train_split.labels.to(device)
    x_test, y_test = data.test.images.to(device), data.test.labels.to(device)
    pad = input_pad(cfg.model)

    # channels-last is about twice as fast for these small convolutions on the CPU
    model = build_model(cfg.model).to(device, memory_format=torch.channels_last)
    opt = make_optimizer(cfg, model.parameters())
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    sched = make_scheduler(cfg, opt, total_steps)
    meta = {"model": cfg.model, "normalize": cfg.normalize, "pad": pad, "dataset": data.name,
            "classes": list(data.classes), "config": cfg.to_dict(), "device": device_name}

    emit({"type": "start", "device": device.type, "device_name": device_name, "epochs": cfg.epochs,
          "total_steps": total_steps, "train_size": n, "test_size": len(data.test)})
    t0 = time.perf_counter()
    train_time, seen, step = 0.0, 0, 0
    test_acc = None
    end = {"type": "end", "state": "done", "reason": None}
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        ep_loss, ep_correct, ep_seen = 0.0, 0, 0
        t_epoch = time.perf_counter()
        for i in range(0, n, cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            x = to_float(x_train[idx], cfg.normalize, pad)
            if cfg.augment:
                x = augment(x, gen)
            x = x.contiguous(memory_format=torch.channels_last)
            y = y_train[idx]
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            loss_v = loss.item()
            if not math.isfinite(loss_v) or loss_v > DIVERGED_LOSS:
                end.update(state="failed", reason=(
                    f"the loss became {loss_v:.3g} at epoch {epoch}, step {step}: training diverged "
                    f"(learning rate {cfg.lr} is probably too high)"))
                break
            correct = int((out.argmax(1) == y).sum())
            bs = len(y)
            seen += bs
            ep_seen += bs
            ep_loss += loss_v * bs
            ep_correct += correct
            elapsed = train_time + time.perf_counter() - t_epoch
            rate = seen / max(elapsed, 1e-9)
            emit({"type": "batch", "epoch": epoch, "step": step, "total_steps": total_steps,
                  "loss": loss_v, "acc": correct / bs, "seen": seen, "images_per_s": rate,
                  "elapsed": time.perf_counter() - t0,
                  "eta": (total_steps - step) * cfg.batch_size / max(rate, 1e-9)})
            if stop():
                end.update(state="stopped", reason="stopped by the user")
                break
        train_time += time.perf_counter() - t_epoch
        if end["state"] == "failed":
            break
        test_loss, test_acc = evaluate_loss(model, x_test, y_test, cfg.normalize, pad)
        emit({"type": "epoch", "epoch": epoch, "train_loss": ep_loss / max(ep_seen, 1),
              "train_acc": ep_correct / max(ep_seen, 1), "test_loss": test_loss, "test_acc": test_acc,
              "elapsed": time.perf_counter() - t0, "partial": end["state"] == "stopped"})
        if on_checkpoint:
            on_checkpoint(model, {**meta, "epoch": epoch, "test_accuracy": test_acc})
        if end["state"] == "stopped":
            break
    end.update(test_accuracy=test_acc, images_per_second=seen / max(train_time, 1e-9),
               wall_seconds=time.perf_counter() - t0, device=device.type, device_name=device_name,
               steps=step, seen=seen)
    emit(end)
    return end
