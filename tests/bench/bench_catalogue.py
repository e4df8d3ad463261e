"""Benchmark: a catalogue of 150 000 services inside Home Assistant.

Run it with `scripts/bench_catalogue` (or `python -m tests.bench.bench_catalogue`
inside the sourced environment). It is not part of the test suite (the file
name does not match `test_*.py`): `main` runs its one pytest test, which sets
up the integration in a real Home Assistant test instance against a panel in a
child process (so serving 20 MB costs this process nothing), then measures,
for each step:

- the longest stall of the event loop: a ticker task asks to wake up every
  5 ms and records how late it woke up (the loop could run nothing else);
- the wall time of the step, and the `smm_panel_catalogue_changed` event it
  fired (its JSON size, as the recorder stores it, and its totals).

The steps: the first fetch (setting up the entry), a fetch of the same
catalogue, a fetch where every rate changed, `list_services` (all services,
sorted by rate; then a search), and a restart (the entry reloaded: the
remembered catalogue is read back from storage and compared). Storage is Home
Assistant's real one (in a temporary folder), not the test suite's in-memory
mock. Then the memory the account keeps for its catalogue (every object
reachable from the coordinator's catalogue and the catalogue watcher, counted
once) and, under tracemalloc in a separate pass, the peak of memory allocated
while a changed catalogue is fetched.

Python's cyclic garbage collector is measured too: a collection of the oldest
generation visits every tracked object of the process holding the GIL, so a
step that leaves many new long-lived objects behind causes a long stall.

Options: `--services N` (default 150 000), `--repeat N` (runs; the table
shows medians, and each step's longest stall of all runs in brackets: the
machine's own load varies), `--out FILE` (the figures as JSON),
`--baseline FILE` (figures of an earlier run, printed side by side),
`--trace-stalls SECONDS` (print every thread's stack to stderr whenever the
loop stalls longer than that: where a stall comes from).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
import faulthandler
import gc
import json
import multiprocessing
from multiprocessing.connection import Connection
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import storage
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smm_panel.const import (
    CONF_API_URL,
    DOMAIN,
    EVENT_CATALOGUE_CHANGED,
)

SERVICES = int(os.environ.get("SMM_BENCH_SERVICES", "150000"))
API_KEY = "bench-key-0123456789abcdef"
STALL = 0.1  # the goal: no stall of the loop longer than this
TICK = 0.005

# The real storage methods, taken before the test plugin mocks them.
REAL_STORE = {
    name: getattr(storage.Store, name)
    for name in ("_async_load", "_async_write_data", "async_remove")
}

_PLATFORMS = ("IG", "YT", "TT", "FB", "X", "TG")
_KINDS = ("Followers", "Likes", "Views", "Comments", "Shares", "Members")


def catalogue_body(count: int, bump: int) -> bytes:
    """Return a `services` reply of `count` services (about 135 bytes each).

    `bump` (cents) is added to every rate: 1 makes every rate change.
    """
    services = []
    for index in range(count):
        platform = _PLATFORMS[index % len(_PLATFORMS)]
        kind = _KINDS[(index // len(_PLATFORMS)) % len(_KINDS)]
        cents = 5 + (index * 37) % 1995 + bump
        services.append(
            {
                "service": 1 + index,
                "name": f"{kind} {index}",
                "type": "Default",
                "category": f"{platform} {kind}",
                "rate": f"{cents // 100}.{cents % 100:02d}",
                "min": 10,
                "max": (1000, 10000, 100000)[index % 3],
                "refill": int(index % 3 == 0),
                "cancel": int(index % 2 == 0),
            }
        )
    return json.dumps(services, separators=(",", ":")).encode()


# --- the panel, in a child process ----------------------------------------------


def _serve(count: int, conn: Connection) -> None:
    """Child process: answer `balance`, `status` and `services` until told to stop."""
    bodies = {bump: catalogue_body(count, bump) for bump in (0, 1)}
    current = {"bump": 0}

    async def api(request: web.Request) -> web.Response:
        form = await request.post()
        action = form.get("action")
        if action == "services":
            return web.Response(
                body=bodies[current["bump"]], content_type="application/json"
            )
        if action == "balance":
            return web.json_response({"balance": "1000000.00", "currency": "USD"})
        return web.json_response({})

    async def serve() -> None:
        app = web.Application(client_max_size=2**20)
        app.router.add_post("/api/v2", api)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        conn.send((f"http://127.0.0.1:{port}/api/v2", len(bodies[0])))
        while (message := await asyncio.to_thread(conn.recv)) != "stop":
            current["bump"] = message
            conn.send("ok")
        await runner.cleanup()

    asyncio.run(serve())


class ChildPanel:
    """The panel in a child process."""

    def __init__(self, count: int) -> None:
        """Start the child and wait until it listens."""
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(count, child_conn), daemon=True
        )
        self._process.start()
        self.url, self.body_bytes = self._conn.recv()

    def change_rates(self, bump: int) -> None:
        """Serve every rate raised by `bump` cents from now on."""
        self._conn.send(bump)
        assert self._conn.recv() == "ok"

    def close(self) -> None:
        """Stop the child process."""
        self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# --- measuring ----------------------------------------------------------------------


class StallMeter:
    """Records how late a ticker that asks to wake up every TICK seconds wakes."""

    def __init__(self) -> None:
        """Create a meter; `start` runs it."""
        self.worst = 0.0
        self.over = 0
        self._asked = time.perf_counter()
        self._task: asyncio.Task[None] | None = None

    def reset(self) -> None:
        """Forget what was measured."""
        self.worst, self.over = 0.0, 0

    def settle(self) -> None:
        """Count the tick under way: a stall that ended the step woke it late."""
        self._note(time.perf_counter() - self._asked - TICK)
        self._asked = time.perf_counter() - TICK  # counted: not twice

    def _note(self, late: float) -> None:
        self.worst = max(self.worst, late)
        self.over += late > STALL

    async def _tick(self) -> None:
        trace = os.environ.get("SMM_BENCH_TRACE_STALLS")
        while True:
            self._asked = time.perf_counter()
            if trace:  # every thread's stack when the loop stalls (stderr)
                faulthandler.dump_traceback_later(TICK + float(trace))
            await asyncio.sleep(TICK)
            if trace:
                faulthandler.cancel_dump_traceback_later()
            self._note(time.perf_counter() - self._asked - TICK)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StallMeter]:
        """Run the ticker for the block."""
        self._task = asyncio.create_task(self._tick())
        try:
            yield self
        finally:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task


class CollectorMeter:
    """Records the longest run of Python's cyclic garbage collector.

    A collection of the oldest generation visits every tracked object of the
    process, holding the GIL: it stalls the loop, whichever thread runs it.
    """

    def __init__(self) -> None:
        """Create a meter; `running` installs it."""
        self.worst = 0.0
        self.full = 0
        self._started = 0.0

    def reset(self) -> None:
        """Forget what was measured."""
        self.worst, self.full = 0.0, 0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.worst = max(self.worst, time.perf_counter() - self._started)
        self.full += info["generation"] == 2

    @contextmanager
    def running(self) -> Iterator[CollectorMeter]:
        """Measure collections in the block."""
        gc.callbacks.append(self._callback)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._callback)


def _busy(seconds: float) -> int:
    """Run plain Python code for `seconds` (in a worker thread)."""
    end = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < end:
        total += sum(range(1000))
    return total


def _deep_size(*roots: object) -> int:
    """Return the bytes of every object reachable from `roots`, each counted once.

    Stops at what an account shares with the rest of Home Assistant: modules,
    classes, functions, Home Assistant itself and storage helpers.
    """
    skip = (
        type,
        types.ModuleType,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.MethodType,
        HomeAssistant,
        storage.Store,
    )
    seen: set[int] = set()
    stack = list(roots)
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


@contextmanager
def real_storage(hass: HomeAssistant, folder: Path) -> Iterator[None]:
    """Use Home Assistant's real storage, in `folder`, instead of the mock."""
    hass.config.config_dir = str(folder)
    with (
        patch.object(storage.Store, "_async_load", REAL_STORE["_async_load"]),
        patch.object(
            storage.Store, "_async_write_data", REAL_STORE["_async_write_data"]
        ),
        patch.object(storage.Store, "async_remove", REAL_STORE["async_remove"]),
    ):
        yield


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def enable_event_loop_debug(event_loop: asyncio.AbstractEventLoop) -> None:
    """Measure without asyncio's debug mode: Home Assistant runs without it."""
    event_loop.set_debug(False)


@pytest.fixture
def child_panel(socket_enabled: None) -> Iterator[ChildPanel]:
    """The panel with SERVICES services, in a child process."""
    child = ChildPanel(SERVICES)
    yield child
    child.close()


async def test_big_catalogue(
    hass: HomeAssistant, child_panel: ChildPanel, tmp_path: Path
) -> None:
    """Measure every step (see the module docstring)."""
    events: list[Event] = []

    @callback
    def record(event: Event) -> None:
        events.append(event)

    hass.bus.async_listen(EVENT_CATALOGUE_CHANGED, record)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        data={CONF_API_URL: child_panel.url, CONF_API_KEY: API_KEY},
    )
    entry.add_to_hass(hass)
    steps: dict[str, dict[str, Any]] = {}
    meter = StallMeter()
    collector = CollectorMeter()

    async def measure(name: str, step: Callable[[], Awaitable[Any]]) -> Any:
        events.clear()
        await hass.async_block_till_done()
        meter.reset()
        collector.reset()
        start = time.perf_counter()
        result = await step()
        await hass.async_block_till_done()
        meter.settle()
        figures: dict[str, Any] = {
            "wall_s": time.perf_counter() - start,
            "worst_stall_s": meter.worst,
            "stalls_over_100ms": meter.over,
            "longest_gc_s": collector.worst,
            "full_gcs": collector.full,
        }
        if events:
            data = events[-1].data
            figures["event_bytes"] = len(json.dumps(data, default=str))
            figures["event_totals"] = data.get("totals") or {
                kind: len(data[kind]) for kind in ("added", "removed", "changed")
            }
        steps[name] = figures
        return result

    async def idle() -> None:
        await asyncio.sleep(3)

    async def list_services(**data: Any) -> int:
        response = await hass.services.async_call(
            DOMAIN, "list_services", data, blocking=True, return_response=True
        )
        assert response is not None
        return len(response["services"])  # type: ignore[arg-type]

    with real_storage(hass, tmp_path), collector.running():
        async with meter.running():
            # For comparison: what the machine's own load does to the ticker,
            # and any work in a worker thread (the GIL changes hands).
            await measure("reference: nothing, 3 s", idle)
            await measure(
                "reference: plain Python in a worker thread, 3 s",
                lambda: hass.async_add_executor_job(_busy, 3),
            )
            assert await measure(
                "first fetch (entry setup)",
                lambda: hass.config_entries.async_setup(entry.entry_id),
            )
            coordinator = entry.runtime_data
            assert len(coordinator.catalogue) == SERVICES
            await measure(
                "same catalogue again",
                lambda: coordinator.async_refresh_catalogue(force=True),
            )
            child_panel.change_rates(1)
            await measure(
                "every rate changed",
                lambda: coordinator.async_refresh_catalogue(force=True),
            )
            listed = await measure(
                "list_services sorted by rate", lambda: list_services(sort="rate")
            )
            assert listed == SERVICES
            await measure(
                "list_services search", lambda: list_services(search="Likes 1234")
            )
            await measure(
                "restart (remembered catalogue read back)",
                lambda: hass.config_entries.async_reload(entry.entry_id),
            )
        coordinator = entry.runtime_data
        gc.collect()
        kept = _deep_size(coordinator.catalogue, coordinator.catalogue_watcher)

        # The peak of memory allocated while a changed catalogue is fetched.
        child_panel.change_rates(0)
        gc.collect()
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await coordinator.async_refresh_catalogue(force=True)
            await hass.async_block_till_done()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()

    figures = {
        "services": SERVICES,
        "reply_bytes": child_panel.body_bytes,
        "steps": steps,
        "kept_mib": kept / 2**20,
        "peak_mib": (peak - base) / 2**20,
    }
    print(json.dumps(figures, indent=2))
    if out := os.environ.get("SMM_BENCH_OUT"):
        Path(out).write_text(json.dumps(figures))


# --- running it ---------------------------------------------------------------------


def _combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the figures of repeated runs: medians, and each step's worst stall."""
    combined: dict[str, Any] = {**runs[-1], "runs": len(runs), "steps": {}}
    for step in runs[-1]["steps"]:
        figures = [run["steps"][step] for run in runs]
        combined["steps"][step] = {
            **figures[-1],
            **{
                key: statistics.median(f[key] for f in figures)
                for key in ("wall_s", "worst_stall_s", "full_gcs")
            },
            "worst_stall_max_s": max(f["worst_stall_s"] for f in figures),
        }
    for key in ("kept_mib", "peak_mib"):
        combined[key] = statistics.median(run[key] for run in runs)
    return combined


def _table(runs: dict[str, dict[str, Any]]) -> str:
    """Return the figures of one or more runs as a markdown table.

    For repeated runs: the median of the longest stalls (and the longest of
    all in brackets), the median wall time and number of full collections.
    """
    labels = list(runs)
    lines = [
        "| step | "
        + " | ".join(
            f"{label}: longest stall | {label}: full GCs | {label}: wall | "
            f"{label}: event"
            for label in labels
        )
        + " |",
        "|---|" + "---:|---:|---:|---:|" * len(labels),
    ]
    steps = list(dict.fromkeys(s for f in reversed(runs.values()) for s in f["steps"]))
    for step in steps:
        cells = []
        for figures in runs.values():
            step_figures = figures["steps"].get(step, {})
            stall = step_figures.get("worst_stall_s")
            most = step_figures.get("worst_stall_max_s")
            wall = step_figures.get("wall_s")
            event = step_figures.get("event_bytes")
            full = step_figures.get("full_gcs")
            stall_text = "-" if stall is None else f"{stall * 1000:.0f} ms"
            if most is not None and figures.get("runs", 1) > 1:
                stall_text += f" ({most * 1000:.0f} ms)"
            cells += [
                stall_text,
                "-" if full is None else f"{full:g}",
                "-" if wall is None else f"{wall:.2f} s",
                "-" if event is None else f"{event / 1024:.1f} KiB",
            ]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    for key, name in (
        ("kept_mib", "memory kept (MiB)"),
        ("peak_mib", "peak during a fetch (MiB)"),
    ):
        cells = []
        for figures in runs.values():
            cells += [f"{figures[key]:.1f}", "", "", ""]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark test in pytest (`--repeat` times), then print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=SERVICES)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--label", default="now")
    parser.add_argument("--trace-stalls", type=float)
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        env = {**os.environ, "SMM_BENCH_OUT": str(out)}
        env["SMM_BENCH_SERVICES"] = str(args.services)
        if args.trace_stalls:
            env["SMM_BENCH_TRACE_STALLS"] = str(args.trace_stalls)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            __file__,
            "-q",
            "-s",
            "--no-cov",
            "-p",
            "no:cacheprovider",
        ]
        root = Path(__file__).resolve().parents[2]
        for _ in range(args.repeat):
            if subprocess.run(cmd, cwd=root, env=env, check=False).returncode:
                return 1
            runs.append(json.loads(out.read_text()))
    figures = _combine(runs)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    tables = {}
    if args.baseline:
        tables["before"] = json.loads(args.baseline.read_text())
    tables[args.label] = figures
    print(
        f"\n{figures['services']} services, a reply of "
        f"{figures['reply_bytes'] / 2**20:.1f} MiB, {len(runs)} run(s)\n"
    )
    print(_table(tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
