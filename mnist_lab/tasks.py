"""Work that takes seconds, done in a thread beside the app's reruns, once, with its progress readable.

A page asks `tasks.start(key, work)`; the first asker starts it, every later one (any session) gets
the same Task and shows its progress while the page stays usable. `work(progress)` calls
`progress(fraction)` as it goes and returns the result (usually also saved to a file).
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Task:
    key: str
    fraction: float = 0.0
    result: object = None
    error: BaseException | None = None
    started: float = field(default_factory=time.time)
    ended: float | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


_TASKS: dict[str, Task] = {}
_LOCK = threading.Lock()


def start(key: str, work: Callable[[Callable[[float], None]], object]) -> Task:
    """The task for key: started now in a daemon thread if there is none. A failed one stays failed
    (every page showing it would otherwise start it again at each rerun) until `forget(key)`."""
    with _LOCK:
        task = _TASKS.get(key)
        if task is not None:
            return task
        task = _TASKS[key] = Task(key)

    def progress(fraction: float) -> None:
        task.fraction = max(task.fraction, min(1.0, float(fraction)))

    def run() -> None:
        try:
            task.result = work(progress)
            task.fraction = 1.0
        except Exception as e:  # noqa: BLE001 -- kept on the task for the page to show; forget() retries
            task.error = e
        finally:
            task.ended = time.time()
            task._done.set()

    threading.Thread(target=run, name=f"task {key}", daemon=True).start()
    return task


def get(key: str) -> Task | None:
    return _TASKS.get(key)


def forget(key: str) -> None:
    """Drop a finished task (to try a failed one again, or when its inputs changed)."""
    with _LOCK:
        _TASKS.pop(key, None)


def wait_all(timeout: float = 60.0) -> bool:
    """Wait for every running task (True if all ended): a thread still inside torch when the
    interpreter shuts down aborts the whole process."""
    deadline = time.monotonic() + timeout
    return all(task.wait(max(0.0, deadline - time.monotonic())) for task in list(_TASKS.values()))


atexit.register(wait_all)
