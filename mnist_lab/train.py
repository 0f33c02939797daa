"""The training loop: whole tensors on the device, batches sliced from them, an event per batch.

`train()` reads like any PyTorch loop; `Watch` stands beside the step and does the bookkeeping:
batch and epoch events, speed and ETA, and the checks that end a run early (divergence, stop).
"""

from __future__ import annotations

import importlib
import math
import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoints import ModelMeta
from .config import ConfigError, TrainConfig, validate
from .data import Dataset, Split, to_float
from .errors import Message
from .models import build_model, eval_mode, input_pad

# A cross-entropy over 10 classes starts near 2.3; a batch loss this big means the weights blew up.
DIVERGED_LOSS = 1e6
# On a GPU, reading a number back waits for the queued work: check and report every this many steps.
GPU_SYNC_EVERY = 20

Event = dict
Callback = Callable[[Event], None]


class _DeferredDynamo(types.ModuleType):
    """Stands in for torch._dynamo until something other than what torch.optim asks of it is needed."""

    def __getattr__(self, name: str):
        if name == "graph_break":  # optimizer.step's hint for torch.compile: nothing to do when not compiling
            return lambda *args, **kwargs: None
        if name == "disable":  # likewise: outside torch.compile, a function runs as it is
            return lambda fn=None, recursive=True, **kwargs: fn if fn is not None else (lambda f: f)
        sys.modules.pop("torch._dynamo", None)  # anything else: the real module, from now on
        real = importlib.import_module("torch._dynamo")
        torch._dynamo = real
        return getattr(real, name)


def defer_dynamo() -> None:
    """Keep torch._dynamo (about 1 s to import) out of a training process that never compiles.

    torch.optim imports it on the first optimizer step only to mark a graph break for torch.compile;
    a stand-in answers those calls and loads the real module the moment anything else is asked of it.
    """
    if "torch._dynamo" not in sys.modules:
        sys.modules["torch._dynamo"] = torch._dynamo = _DeferredDynamo("torch._dynamo")


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


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random small rotations, slants, scales, shifts and stroke thickness, as people draw differently."""
    n = x.shape[0]

    def rand(*shape):
        return torch.rand(*shape, generator=gen).to(x.device)

    angle = (rand(n) - 0.5) * math.radians(30)
    scale = 0.85 + rand(n) * 0.3
    shift = (rand(n, 2) - 0.5) * (2 * 3 / 14)  # up to 3 px each way, in [-1, 1] units
    slant = (rand(n) - 0.5) * 0.6  # handwriting that leans, up to about 17 degrees either way
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + slant, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    thick = rand(n) < 0.25
    thin = (rand(n) < 0.15) & ~thick
    x = torch.where(thick[:, None, None, None], F.max_pool2d(x, 3, 1, 1), x)
    x = torch.where(thin[:, None, None, None], -F.max_pool2d(-x, 3, 1, 1), x)
    return x


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


@torch.no_grad()
def evaluate_loss(
    model, images: torch.Tensor, labels: torch.Tensor, normalize: str, pad: int, batch_size: int = 1000
) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and the class probabilities (float16, on the CPU) of a model on
    uint8 images already on its device; the probabilities are saved beside the checkpoint."""
    total_loss = torch.zeros((), device=images.device)
    correct = torch.zeros((), dtype=torch.long, device=images.device)
    probs = []
    with eval_mode(model):
        for i in range(0, len(labels), batch_size):
            out = model(to_float(images[i : i + batch_size], normalize, pad))
            y = labels[i : i + batch_size]
            total_loss += F.cross_entropy(out, y, reduction="sum")
            correct += (out.argmax(1) == y).sum()
            probs.append(torch.softmax(out.float(), dim=1).half())
    n = max(len(labels), 1)
    p = torch.cat(probs).cpu().numpy() if probs else np.zeros((0, 10), np.float16)
    return float(total_loss) / n, int(correct) / n, p


def sync_every(device: torch.device) -> int:
    """How many steps pass between two reads of the loss: reading waits for the device to finish."""
    return 1 if device.type == "cpu" else GPU_SYNC_EVERY


class Watch:
    """The bookkeeping beside the training step: events, speed and ETA, divergence and stop checks.

    Sums stay on the device and are read back every `sync_every` steps (each step on a CPU, where
    reading is free; every GPU_SYNC_EVERY steps on a GPU, where it waits for the queued work).
    """

    def __init__(
        self,
        cfg: TrainConfig,
        total_steps: int,
        device: torch.device,
        emit: Callback,
        should_stop: Callable[[], bool | Message],
    ):
        self.cfg, self.total_steps, self.emit, self.should_stop = cfg, total_steps, emit, should_stop
        self.sync_every = sync_every(device)
        self.device = device
        self.state, self.reason = "done", None
        self.step = self.seen = 0
        self.train_time = 0.0
        self.t0 = time.perf_counter()
        self.test_acc = None
        self._reset_window()

    def _reset_window(self) -> None:
        zeros = [torch.zeros((), dtype=dt, device=self.device) for dt in (torch.float32, torch.float32, torch.long)]
        self._loss, self._worst, self._correct = zeros
        self._n = 0

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self.t_epoch = epoch, time.perf_counter()
        self.ep_loss, self.ep_correct, self.ep_seen = 0.0, 0, 0

    def batch(self, loss: torch.Tensor, out: torch.Tensor, y: torch.Tensor) -> bool:
        """Count one step; True when training must end now (it diverged, or a stop was asked for)."""
        self.step += 1
        loss = loss.detach()
        self._loss += loss * len(y)
        self._worst = torch.maximum(self._worst, loss)
        self._correct += (out.argmax(1) == y).sum()
        self._n += len(y)
        if self.step % self.sync_every and self.step < self.total_steps:
            return False
        return self._report()

    def _report(self) -> bool:
        worst, n = float(self._worst), self._n
        loss, correct = float(self._loss) / n, int(self._correct)
        self._reset_window()
        if not math.isfinite(worst) or worst > DIVERGED_LOSS:
            self.state, self.reason = (
                "failed",
                Message("reason.diverged", loss=f"{worst:.3g}", epoch=self.epoch, step=self.step, lr=self.cfg.lr),
            )
            return True
        self.seen += n
        self.ep_seen += n
        self.ep_loss += loss * n
        self.ep_correct += correct
        rate = self.seen / max(self.train_time + time.perf_counter() - self.t_epoch, 1e-9)
        self.emit(
            {
                "type": "batch",
                "epoch": self.epoch,
                "step": self.step,
                "total_steps": self.total_steps,
                "loss": loss,
                "acc": correct / n,
                "seen": self.seen,
                "images_per_s": rate,
                "elapsed": time.perf_counter() - self.t0,
                "eta": (self.total_steps - self.step) * self.cfg.batch_size / max(rate, 1e-9),
            }
        )
        why = self.should_stop()
        if why:  # True (a user's stop) or a Message saying who else ended the run
            self.state, self.reason = "stopped", why if isinstance(why, Message) else Message("reason.stopped_by_user")
            return True
        return False

    def end_epoch(self) -> None:
        """The epoch's steps are over: report those since the last report, stop the epoch's clock."""
        if self._n:
            self._report()
        self.train_time += time.perf_counter() - self.t_epoch

    def tested(self, test_loss: float, test_acc: float) -> None:
        self.test_acc = test_acc
        self.emit(
            {
                "type": "epoch",
                "epoch": self.epoch,
                "train_loss": self.ep_loss / max(self.ep_seen, 1),
                "train_acc": self.ep_correct / max(self.ep_seen, 1),
                "test_loss": test_loss,
                "test_acc": test_acc,
                "elapsed": time.perf_counter() - self.t0,
                "partial": self.state == "stopped",
            }
        )

    def finish(self, device_name: str) -> dict:
        """The end event (also returned): state, reason, accuracy, speed."""
        end = {
            "type": "end",
            "state": self.state,
            "reason": None,
            "reason_key": None,
            "reason_params": None,
            **(self.reason.status_fields() if self.reason else {}),
            "test_accuracy": self.test_acc,
            "images_per_second": self.seen / max(self.train_time, 1e-9),
            "wall_seconds": time.perf_counter() - self.t0,
            "device": self.device.type,
            "device_name": device_name,
            "steps": self.step,
            "seen": self.seen,
        }
        self.emit(end)
        return end


def train(
    cfg: TrainConfig,
    data: Dataset,
    on_event: Callback | None = None,
    should_stop: Callable[[], bool | Message] | None = None,
    on_checkpoint: Callable[[torch.nn.Module, ModelMeta, np.ndarray], None] | None = None,
) -> dict:
    """Train cfg.model on data; report events; return the end event (state done, stopped or failed).

    After each epoch, on_checkpoint(model, meta, test probabilities) saves what there is to keep."""
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
    pad = input_pad(cfg.model)

    model = build_model(cfg.model).to(device, memory_format=torch.channels_last)
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
        }
    )

    for epoch in range(1, cfg.epochs + 1):
        model.train()
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
        watch.tested(test_loss, test_acc)
        if on_checkpoint:
            on_checkpoint(model, replace(meta, epoch=epoch, test_accuracy=test_acc), test_probs)
        if watch.state == "stopped":
            break
    return watch.finish(device_name)
