"""Proof, without timing anything, that the event loop ran during some work.

Plain Python, no Home Assistant: the client's tests use it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import threading

from .loopback import PATIENT


class LoopWitness:
    """Proves the event loop ran while a worker thread was at a given point.

    `check()`, called from the work, asks the loop to run a callback and waits
    for it. Had the work run on the loop itself, the callback could not run
    until the work ended: the wait would give up (after PATIENT seconds, only
    on failure) and `ran` would stay False.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch `loop`."""
        self._loop = loop
        self._event = threading.Event()
        self.checked = False
        self.ran = False

    def check(self) -> None:
        """From the work: did the loop run a callback meanwhile? (Once.)"""
        if self.checked:
            return
        self.checked = True
        self._loop.call_soon_threadsafe(self._event.set)
        self.ran = self._event.wait(PATIENT)

    def witnessing[**_P, _R](self, function: Callable[_P, _R]) -> Callable[_P, _R]:
        """Return `function`, checking the loop on its first call."""

        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            self.check()
            return function(*args, **kwargs)

        return wrapper
