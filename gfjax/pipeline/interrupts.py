"""Ctrl-C that is never lost: a SIGINT handler that remembers the interrupt as well as raising it.

Python raises ``KeyboardInterrupt`` from its default handler at the next bytecode, but a raise that
lands inside code which swallows exceptions (a finaliser, a callback from C++) is lost, and the run
goes on (seen: 1 in ~15 Ctrl-C tests ran to the end, with JAX's CPU computations running in the
main thread). The handler installed by :func:`catch_sigint` sets a flag too; the runner and the
per-item loops call :func:`check` between items, which raises ``KeyboardInterrupt`` again.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

_interrupted = threading.Event()


def _handler(signum: int, frame: Any) -> None:
    _interrupted.set()
    raise KeyboardInterrupt


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C came since :func:`catch_sigint` began."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def catch_sigint() -> Iterator[None]:
    """Within: SIGINT raises and is remembered (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _interrupted.clear()
    previous = signal.signal(signal.SIGINT, _handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupted.clear()
