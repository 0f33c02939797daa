"""Keeping torch._dynamo (about 1 s to import) out of a training process that never compiles."""

from __future__ import annotations

import importlib
import sys
import types

import torch


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
