"""The bookkeeping that stands beside the training step: batch and epoch events, speed and ETA, and
the checks that end a run early (divergence, a stop)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch

from .config import TrainConfig
from .errors import Message

# A cross-entropy over 10 classes starts near 2.3; a batch loss this big means the weights blew up.
DIVERGED_LOSS = 1e6
# On a GPU, reading a number back waits for the queued work: check and report every this many steps.
GPU_SYNC_EVERY = 20

Event = dict
Callback = Callable[[Event], None]


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
        self.more: dict = {}
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

    def tested(self, test_loss: float, test_acc: float, more: dict | None = None) -> None:
        """The epoch's test results; `more` adds other test sets' accuracies (`<name>_acc`)."""
        self.test_acc, self.more = test_acc, dict(more or {})
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
                **self.more,
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
            **self.more,
            "images_per_second": self.seen / max(self.train_time, 1e-9),
            "wall_seconds": time.perf_counter() - self.t0,
            "device": self.device.type,
            "device_name": device_name,
            "steps": self.step,
            "seen": self.seen,
        }
        self.emit(end)
        return end
