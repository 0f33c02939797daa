"""The training loop: whole tensors on the device, batches sliced from them, an event per batch.

`train()` reads like any PyTorch loop; `Watch` (watch.py) stands beside the step and does the
bookkeeping; augmentation is in augment.py, and dynamo.py keeps torch.compile's machinery unloaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from .augment import augment
from .checkpoints import ModelMeta
from .config import ConfigError, TrainConfig, validate
from .data import Dataset, Split, to_float
from .dynamo import defer_dynamo
from .errors import Message
from .inference import forward
from .models import build_model
from .registry import MODELS
from .watch import Callback, Watch


def resolve_device(spec: str = "auto") -> tuple[torch.device, str]:
    """The torch device for 'auto' (CUDA when present), 'cpu' or 'cuda', and its readable name."""
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("error.config.no_cuda")
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
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total_steps, pct_start=0.25)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
    return None


def batches(
    images: torch.Tensor, labels: torch.Tensor, cfg: TrainConfig, pad: int, gen: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled batches from uint8 tensors on the device: normalised, augmented if
    asked, channels-last (about twice as fast for these small convolutions on a CPU)."""
    perm = torch.randperm(len(labels), generator=gen).to(images.device)
    for i in range(0, len(labels), cfg.batch_size):
        idx = perm[i : i + cfg.batch_size]
        x = to_float(images[idx], cfg.normalize, pad)
        if cfg.augment:
            x = augment(x, gen)
        yield x.contiguous(memory_format=torch.channels_last), labels[idx]


def evaluate_loss(
    model, images: torch.Tensor, labels: torch.Tensor, normalize: str, pad: int, batch_size: int = 1000
) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and the class probabilities (float16, on the CPU) of a model on
    uint8 images already on its device; the probabilities are saved beside the checkpoint."""
    total_loss = torch.zeros((), device=images.device)
    correct = torch.zeros((), dtype=torch.long, device=images.device)
    probs = []
    for part, out in forward(model, images, normalize, pad, batch_size=batch_size):
        y = labels[part]
        total_loss += F.cross_entropy(out, y, reduction="sum")
        correct += (out.argmax(1) == y).sum()
        probs.append(torch.softmax(out.float(), dim=1).half())
    n = max(len(labels), 1)
    p = torch.cat(probs).cpu().numpy() if probs else np.zeros((0, 10), np.float16)
    return float(total_loss) / n, int(correct) / n, p


def _keep_norm_statistics(model: torch.nn.Module) -> None:
    """Batch norm in eval mode while fine-tuning: the few digits of a short run would otherwise pull
    the running statistics that all of MNIST set, and the model would forget what it read well."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()


def train(
    cfg: TrainConfig,
    data: Dataset,
    on_event: Callback | None = None,
    should_stop: Callable[[], bool | Message] | None = None,
    on_checkpoint: Callable[[torch.nn.Module, ModelMeta, np.ndarray], None] | None = None,
    *,
    start: dict | None = None,
    also: dict[str, Split] | None = None,
) -> dict:
    """Train cfg.model on data; report events; return the end event (state done, stopped or failed).

    After each epoch, on_checkpoint(model, meta, test probabilities) saves what there is to keep.
    `start` is a state_dict to fine-tune from (its batch-norm statistics are kept), and `also` names
    more test sets: the accuracy on each (`<name>_acc`) is in every epoch event, and, with `start`, in
    the start event's `before` with the test set's, as the model was before this run."""
    validate(cfg)
    defer_dynamo()
    device, device_name = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    train_set = (
        data.train
        if not cfg.train_limit
        else Split(data.train.images[: cfg.train_limit], data.train.labels[: cfg.train_limit])
    )
    n = len(train_set)
    if n == 0:
        raise ConfigError("error.config.empty_train")
    if cfg.batch_size > n:
        raise ConfigError("error.config.batch_too_big", batch=cfg.batch_size, n=n)
    x_train, y_train = train_set.images.to(device), train_set.labels.to(device)
    x_test, y_test = data.test.images.to(device), data.test.labels.to(device)
    pad = MODELS[cfg.model].pad

    model = build_model(cfg.model)
    if start is not None:
        model.load_state_dict(start)
    model = model.to(device, memory_format=torch.channels_last)
    extra = {name: (split.images.to(device), split.labels.to(device)) for name, split in (also or {}).items()}

    def measure() -> dict[str, float]:
        return {f"{name}_acc": evaluate_loss(model, x, y, cfg.normalize, pad)[1] for name, (x, y) in extra.items()}

    before = {"test_acc": evaluate_loss(model, x_test, y_test, cfg.normalize, pad)[1], **measure()} if start else {}
    opt = make_optimizer(cfg, model.parameters())
    total_steps = math.ceil(n / cfg.batch_size) * cfg.epochs
    sched = make_scheduler(cfg, opt, total_steps)
    meta = ModelMeta(cfg.model, cfg.normalize, pad, data.name, tuple(data.classes), cfg.to_dict(), device_name)
    emit = on_event or (lambda ev: None)
    watch = Watch(cfg, total_steps, device, emit, should_stop or (lambda: False))
    emit(
        {
            "type": "start",
            "device": device.type,
            "device_name": device_name,
            "epochs": cfg.epochs,
            "total_steps": total_steps,
            "train_size": n,
            "test_size": len(data.test),
            "before": before,
        }
    )

    for epoch in range(1, cfg.epochs + 1):
        model.train()
        if start is not None:
            _keep_norm_statistics(model)
        watch.start_epoch(epoch)
        for x, y in batches(x_train, y_train, cfg, pad, gen):
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            if watch.batch(loss, out, y):
                break
        watch.end_epoch()
        if watch.state == "failed":  # diverged: keep the last good checkpoint, not these weights
            break
        test_loss, test_acc, test_probs = evaluate_loss(model, x_test, y_test, cfg.normalize, pad)
        watch.tested(test_loss, test_acc, measure())
        if on_checkpoint:
            on_checkpoint(model, replace(meta, epoch=epoch, test_accuracy=test_acc), test_probs)
        if watch.state == "stopped":
            break
    return watch.finish(device_name)
