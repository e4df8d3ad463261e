"""When a running order will be delivered: its pace, from the remains seen at refreshes.

Panels deliver at a steady pace, in bursts, or stop: the estimate is made only
from a run of steady delivery, and none is given rather than a wrong one. A
rise of `remains` (a refill, a panel's reset) or a sudden burst starts a new
run; a stall longer than the pace allows gives no estimate until delivery goes
on. Pure functions of the samples: no Home Assistant import, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

# A pace needs this much time between its first and last change to be read.
MIN_SPAN: Final = timedelta(seconds=30)
# No change for this many times the average time between changes (and at least
# STALL_MIN) is a stall: no estimate until delivery goes on.
STALL_FACTOR: Final = 3.0
STALL_MIN: Final = timedelta(minutes=10)
# One step delivering more than JUMP_FACTOR times the pace, and at least
# JUMP_SHARE of the run's first remains, is a burst: the pace before it says
# nothing of the pace after it.
JUMP_FACTOR: Final = 5.0
JUMP_SHARE: Final = 0.2
# An estimate further away than this is no estimate.
MAX_HORIZON: Final = timedelta(days=30)
# A new estimate replaces the one shown only when it moved by more than this
# share of the time left (and at least HYSTERESIS_MIN): states are not
# rewritten at every refresh for a few seconds of difference.
HYSTERESIS_SHARE: Final = 0.1
HYSTERESIS_MIN: Final = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Pace:
    """What the refreshes saw of one running order since its pace last broke.

    `start_at`/`start_remains`: the first sample of the current run.
    `changed_at`/`remains`: when the current remains were first seen, and them.
    `seen_at`: the last refresh that saw them. `steps`: how many times remains
    went down in this run.
    """

    start_at: datetime
    start_remains: int
    changed_at: datetime
    remains: int
    seen_at: datetime
    steps: int = 0

    @classmethod
    def begin(cls, now: datetime, remains: int) -> Pace:
        """Start a run at one sample."""
        return cls(now, remains, now, remains, now)

    @property
    def rate(self) -> float | None:
        """Return the units delivered per second in this run, when readable."""
        span = self.changed_at - self.start_at
        delivered = self.start_remains - self.remains
        if self.steps == 0 or delivered <= 0 or span < MIN_SPAN:
            return None
        return delivered / span.total_seconds()

    def stalled(self, now: datetime) -> bool:
        """Return True when remains stood still for longer than the pace allows."""
        if self.steps == 0:
            return False
        gap = (self.changed_at - self.start_at) / self.steps
        return now - self.changed_at > max(STALL_MIN, gap * STALL_FACTOR)

    def lagging(self) -> bool:
        """Return True when the last look saw no change where the pace expected one.

        The first sign of a stall (a panel about to say Partial), long before
        `stalled` gives up the estimate: worth a closer look.
        """
        rate = self.rate
        if rate is None or self.seen_at <= self.changed_at:
            return False
        return rate * (self.seen_at - self.changed_at).total_seconds() >= 1

    def observe(self, now: datetime, remains: int) -> Pace:
        """Return the pace after a refresh saw `remains` at `now`."""
        if remains > self.remains:
            return Pace.begin(now, remains)  # a refill, or the panel started over
        if remains == self.remains:
            return replace(self, seen_at=now)
        delivered = self.remains - remains
        if self.stalled(now):
            # Delivery goes on after a stall: a new run from the last still sample.
            return Pace(self.seen_at, self.remains, now, remains, now, 1)
        rate = self.rate
        step = (now - self.seen_at).total_seconds()
        if (
            rate is not None
            and step > 0
            and delivered / step > JUMP_FACTOR * rate
            and delivered >= JUMP_SHARE * self.start_remains
        ):
            return Pace.begin(now, remains)
        return replace(
            self, changed_at=now, remains=remains, seen_at=now, steps=self.steps + 1
        )

    def estimate(self, now: datetime) -> datetime | None:
        """Return when the order should be delivered, or None when unsure.

        None while the pace is unknown, stalled, or already behind: never a
        time in the past for an order still running.
        """
        rate = self.rate
        if rate is None or self.remains <= 0 or self.stalled(now):
            return None
        left = timedelta(seconds=self.remains / rate)
        if left > MAX_HORIZON:
            return None
        eta = self.changed_at + left
        return eta if eta >= now else None


def shown_estimate(
    shown: datetime | None, new: datetime | None, now: datetime
) -> datetime | None:
    """Return the estimate to show: the new one, unless it barely moved."""
    if new is None or shown is None or shown < now:
        return new
    margin = max(HYSTERESIS_MIN, (new - now) * HYSTERESIS_SHARE)
    return shown if abs(new - shown) <= margin else new
