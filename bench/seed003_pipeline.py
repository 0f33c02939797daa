"""Seed 003's own training pipeline, unchanged in substance: torchvision DataLoader with
ToTensor + Normalize, batch 64, 4 workers, SGD lr 0.01 momentum 0.5, one epoch of LeNet-5."""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torchvision import datasets, transforms

from mnist_lab.models import lenet5


def run_seed003_epoch(root: str, device: str = "cpu", num_workers: int = 4) -> dict:
    """One epoch the way the notebook does it; returns images/s, wall seconds and test accuracy."""
    torch.manual_seed(0)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_ds = datasets.MNIST(root, train=True, download=False, transform=tf)
    test_ds = datasets.MNIST(root, train=False, download=False, transform=tf)
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=num_workers)
    test_loader = torch.utils.data.DataLoader(test_ds, batch_size=1000, num_workers=num_workers)
    model = lenet5().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    t0 = time.perf_counter()
    model.train()
    seen = 0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        seen += len(y)
    train_s = time.perf_counter() - t0
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += int((model(x.to(device)).argmax(1) == y.to(device)).sum())
    wall = time.perf_counter() - t0
    return {
        "images_per_second": seen / train_s,
        "train_seconds": train_s,
        "wall_seconds": wall,
        "test_accuracy": correct / len(test_ds),
    }


if __name__ == "__main__":
    import sys

    print(run_seed003_epoch(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets"))
