"""Benchmark one refresh of N tracked orders: our client against naive polling.

Run through `scripts/bench` (it sets up the environment). For every N, a panel
simulator holding N active orders runs in a child process (so the CPU time and
the memory measured here are the client's alone, not the simulator's), with a
fixed latency injected on every API request. Two clients do "one refresh":

- ours: `SmmPanelClient` doing what `SmmPanelCoordinator._async_update_data`
  sends: `balance`, then `status` in batches of 100 (4 in flight), then
  `refill_status` batches (none here: no refill is tracked);
- naive: `balance`, then one `status` request per order, one after the other,
  with a plain aiohttp session, as the panels' PHP sample code and most
  libraries do.

Each is measured twice: once for wall and CPU time (`time.process_time`), once
under tracemalloc for the peak of Python memory allocated during the refresh
(tracemalloc slows the code down, so it never runs during the timed pass).
Requests are counted by the simulator. Then, unless --skip-ha, the refresh is
measured inside Home Assistant by `tests/bench/bench_ha_refresh.py`, and,
unless --skip-freshness, a simulated day of orders and an idle day are run
with the adaptive polling and with a fixed 5-minute poll by
`tests/bench/bench_freshness.py` (delays from a change on the panel to its
event, requests per day, completion-estimate error).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
import json
import math
import multiprocessing
from multiprocessing.connection import Connection
import os
from pathlib import Path
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import aiohttp

from custom_components.smm_panel import const
from custom_components.smm_panel.api import SmmPanelClient
from simulator import Fault, PanelSimulator, SimulatorServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key-0123456789abcdef"
HA_BENCH = PROJECT_ROOT / "tests" / "bench" / "bench_ha_refresh.py"
FRESHNESS_BENCH = PROJECT_ROOT / "tests" / "bench" / "bench_freshness.py"


@dataclass
class Measurement:
    """One refresh by one client."""

    client: str
    n: int
    requests: int
    wall_s: float
    cpu_s: float
    peak_mib: float
    extrapolated: bool = False


# --- the panel, in a child process ---------------------------------------------


def _serve_panel(n: int, latency: float, conn: Connection) -> None:
    """Child process: serve a panel with `n` pending orders until told to stop."""

    async def serve() -> None:
        sim = PanelSimulator(api_key=API_KEY, balance=Decimal(10**7))
        ids = [
            sim.create_order(1, 1000, link=f"https://instagram.com/p/bench{i}").order_id
            for i in range(n)
        ]
        sim.faults.add(Fault("latency", delay=latency, times=None))
        server = SimulatorServer(sim)
        url = await server.start()
        conn.send((url, ids))
        # Block in a thread so the server keeps answering meanwhile.
        await asyncio.to_thread(conn.recv)
        await server.stop()

    asyncio.run(serve())


class ChildPanel:
    """A simulator in a child process, driven over its /_sim/ endpoints."""

    def __init__(self, n: int, latency: float) -> None:
        """Start the child and wait until it listens."""
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve_panel, args=(n, latency, child_conn), daemon=True
        )
        self._process.start()
        self.url, self.order_ids = self._conn.recv()
        self._base = self.url.rsplit("/api/v2", 1)[0]

    async def reset_log(self, session: aiohttp.ClientSession) -> None:
        """Forget the requests received so far."""
        async with session.post(f"{self._base}/_sim/reset_log") as response:
            response.raise_for_status()

    async def requests(self, session: aiohttp.ClientSession) -> int:
        """Return how many API requests arrived since the last reset."""
        async with session.get(f"{self._base}/_sim/requests") as response:
            counts: dict[str, int] = await response.json()
        return sum(counts.values())

    def close(self) -> None:
        """Stop the child process."""
        self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# --- the two clients -------------------------------------------------------------


async def ours_refresh(
    session: aiohttp.ClientSession, url: str, ids: list[int]
) -> None:
    """One refresh as the coordinator does it (the hourly `services` aside)."""
    client = SmmPanelClient(
        session,
        API_KEY,
        url,
        timeout=const.CLIENT_TIMEOUT,
        backoff=const.CLIENT_BACKOFF,
    )
    await client.async_get_balance()
    statuses = await client.async_get_orders_status(ids)
    await client.async_get_refills_status([])
    assert len(statuses) == len(ids)


async def naive_refresh(
    session: aiohttp.ClientSession, url: str, ids: list[int]
) -> None:
    """One refresh as the sample code does it: one request per order, in turn."""
    results: dict[int, Any] = {}
    async with session.post(url, data={"key": API_KEY, "action": "balance"}) as resp:
        results[0] = await resp.json(content_type=None)
    for order_id in ids:
        async with session.post(
            url, data={"key": API_KEY, "action": "status", "order": str(order_id)}
        ) as resp:
            results[order_id] = await resp.json(content_type=None)
    assert len(results) == len(ids) + 1


Refresh = Callable[[aiohttp.ClientSession, str, list[int]], Awaitable[None]]


async def _measure(
    panel: ChildPanel, refresh: Refresh, name: str, n: int, repeat: int
) -> Measurement:
    """Time `repeat` refreshes (median), then one more under tracemalloc."""
    walls: list[float] = []
    cpus: list[float] = []
    requests = 0
    async with aiohttp.ClientSession() as control, aiohttp.ClientSession() as session:
        # Warm up: open the connection(s) and import lazily loaded code once.
        await refresh(session, panel.url, panel.order_ids[:1])
        for _ in range(repeat):
            await panel.reset_log(control)
            wall, cpu = time.perf_counter(), time.process_time()
            await refresh(session, panel.url, panel.order_ids)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            requests = await panel.requests(control)
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            await refresh(session, panel.url, panel.order_ids)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return Measurement(
        client=name,
        n=n,
        requests=requests,
        wall_s=statistics.median(walls),
        cpu_s=statistics.median(cpus),
        peak_mib=(peak - base) / 2**20,
    )


def _extrapolate(measured: list[Measurement], n: int) -> Measurement:
    """Scale naive figures to `n` orders from the largest measured runs.

    Wall and CPU time grow with the number of requests (1 + N); memory is
    fitted on the two largest runs.
    """
    last = measured[-1]
    scale = (1 + n) / last.requests
    peak = last.peak_mib
    if len(measured) >= 2:
        prev = measured[-2]
        slope = (last.peak_mib - prev.peak_mib) / (last.n - prev.n)
        peak = last.peak_mib + slope * (n - last.n)
    return Measurement(
        client="naive",
        n=n,
        requests=1 + n,
        wall_s=last.wall_s * scale,
        cpu_s=last.cpu_s * scale,
        peak_mib=peak,
        extrapolated=True,
    )


async def run_sweep(
    sizes: list[int], latency: float, repeat: int, naive_max: int
) -> list[Measurement]:
    """Measure both clients for every N."""
    results: list[Measurement] = []
    naive_done: list[Measurement] = []
    for n in sizes:
        panel = await asyncio.to_thread(ChildPanel, n, latency)
        try:
            ours = await _measure(panel, ours_refresh, "ours", n, repeat)
            _progress(ours)
            results.append(ours)
            if n <= naive_max:
                # Slow by design: one measured run (plus the memory run).
                naive = await _measure(panel, naive_refresh, "naive", n, 1)
                naive_done.append(naive)
            elif naive_done:
                naive = _extrapolate(naive_done, n)
            else:
                continue
            _progress(naive)
            results.append(naive)
        finally:
            await asyncio.to_thread(panel.close)
    return results


def _progress(m: Measurement) -> None:
    mark = " (extrapolated)" if m.extrapolated else ""
    print(
        f"  N={m.n:>5} {m.client:<5}: {m.requests} requests, {m.wall_s:.3f} s{mark}",
        file=sys.stderr,
        flush=True,
    )


# --- Home Assistant part ---------------------------------------------------------


def _run_pytest(path: Path, env: dict[str, str]) -> bool:
    """Run one benchmark file with pytest; return True when it passed."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(path),
        "-q",
        "--no-cov",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, check=False).returncode == 0


def run_ha_bench(orders: int, latency: float) -> dict[str, Any] | None:
    """Run the Home Assistant refresh benchmark (pytest) and return its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ha.json"
        env = {
            **os.environ,
            "SMM_BENCH_OUT": str(out),
            "SMM_BENCH_ORDERS": str(orders),
            "SMM_BENCH_LATENCY": str(latency),
        }
        if not _run_pytest(HA_BENCH, env) or not out.exists():
            print("Home Assistant benchmark failed", file=sys.stderr)
            return None
        data: dict[str, Any] = json.loads(out.read_text())
        return data


def run_freshness_bench(seed: int) -> list[dict[str, Any]] | None:
    """Run the simulated days (pytest) and return one figure set per day and polling."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "freshness.jsonl"
        env = {**os.environ, "SMM_BENCH_OUT": str(out), "SMM_BENCH_SEED": str(seed)}
        if not _run_pytest(FRESHNESS_BENCH, env) or not out.exists():
            print("Freshness benchmark failed", file=sys.stderr)
            return None
        return [json.loads(line) for line in out.read_text().splitlines() if line]


# --- output ------------------------------------------------------------------


def _fmt_s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f} s"


def freshness_table(days: list[dict[str, Any]]) -> str:
    """Return the markdown table of the simulated days."""
    lines = [
        "| day | polling | status changes | delay median | delay p95 | delay worst "
        "| polling requests | catalogue requests | estimate error at 50 % |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(days, key=lambda r: (r["day"], r["polling"])):
        error = row["estimate_error_median"]
        estimate = (
            "-"
            if error is None
            else f"{error * 100:.1f} % of the time left"
            f" ({row['estimates']} of {row['estimates'] + row['estimates_missing']})"
        )
        lines.append(
            f"| {row['day']} | {row['polling']} | {row['changes']} "
            f"| {_fmt_s(row['delay_median_s'])} | {_fmt_s(row['delay_p95_s'])} "
            f"| {_fmt_s(row['delay_worst_s'])} | {row['polling_requests']} "
            f"| {row['catalogue_requests']} | {estimate} |"
        )
    return "\n".join(lines)


def freshness_targets(days: list[dict[str, Any]]) -> list[str]:
    """Return a line per freshness goal: met or missed."""
    by = {(row["day"], row["polling"]): row for row in days}
    report = []
    busy, fixed = by.get(("busy", "adaptive")), by.get(("busy", "fixed"))
    if busy is not None and fixed is not None:
        median, p95 = busy["delay_median_s"], busy["delay_p95_s"]
        report.append(
            f"{'OK  ' if median <= 30 else 'MISS'} busy day: median delay"
            f" {median:.0f} s (target ≤ 30 s)"
        )
        report.append(
            f"{'OK  ' if p95 <= 90 else 'MISS'} busy day: 95th percentile"
            f" {p95:.0f} s (target ≤ 90 s)"
        )
        ok = busy["polling_requests"] <= fixed["polling_requests"]
        report.append(
            f"{'OK  ' if ok else 'MISS'} busy day: {busy['polling_requests']} polling"
            f" requests, fixed poll {fixed['polling_requests']} (target: no more)"
        )
    idle, idle_fixed = by.get(("idle", "adaptive")), by.get(("idle", "fixed"))
    if idle is not None and idle_fixed is not None:
        ratio = idle_fixed["polling_requests"] / max(idle["polling_requests"], 1)
        report.append(
            f"{'OK  ' if ratio >= 5 else 'MISS'} idle day: {ratio:.1f}x fewer polling"
            " requests than the fixed poll (target ≥ 5x)"
        )
    return report


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def sweep_table(results: list[Measurement]) -> str:
    """Return the markdown table of the sweep, ratios included."""
    by_n: dict[int, dict[str, Measurement]] = {}
    for m in results:
        by_n.setdefault(m.n, {})[m.client] = m
    lines = [
        "| N orders | client | HTTP requests | wall time | CPU time | peak memory |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for n, pair in by_n.items():
        for name in ("ours", "naive"):
            if (m := pair.get(name)) is None:
                continue
            mark = " *(extrapolated)*" if m.extrapolated else ""
            lines.append(
                f"| {n} | {name}{mark} | {m.requests} | {_fmt_time(m.wall_s)} "
                f"| {_fmt_time(m.cpu_s)} | {m.peak_mib:.2f} MiB |"
            )
        if "ours" in pair and "naive" in pair:
            ours, naive = pair["ours"], pair["naive"]
            lines.append(
                f"| {n} | **ours/naive** | {ours.requests / naive.requests:.3f} "
                f"({naive.requests / ours.requests:.0f}x fewer) "
                f"| {ours.wall_s / naive.wall_s:.4f} "
                f"({naive.wall_s / ours.wall_s:.0f}x faster) "
                f"| {ours.cpu_s / naive.cpu_s:.3f} "
                f"| {ours.peak_mib / naive.peak_mib:.2f} |"
            )
    return "\n".join(lines)


def ha_table(ha: dict[str, Any]) -> str:
    """Return the markdown table of the Home Assistant refreshes."""
    lines = [
        f"| refresh of {ha['orders']} tracked orders in Home Assistant "
        "| HTTP requests | refresh start → every order state written "
        "| of which writing states | order entity state writes |",
        "|---|---:|---:|---:|---:|",
    ]
    for case, label in (
        ("changed", "every order changed"),
        ("unchanged", "nothing changed"),
    ):
        row = ha[case]
        lines.append(
            f"| {label} | {row['requests']} | {_fmt_time(row['refresh_s'])} "
            f"| {_fmt_time(row['listeners_s'])} | {row['order_writes']} |"
        )
    return "\n".join(lines)


def check_targets(results: list[Measurement], ha: dict[str, Any] | None) -> list[str]:
    """Return a line per target: met or missed."""
    report = []
    for m in results:
        if m.client == "ours":
            expected = 1 + math.ceil(m.n / 100)
            ok = m.requests == expected
            report.append(
                f"{'OK  ' if ok else 'MISS'} N={m.n}: {m.requests} requests"
                f" (target 1 + ceil(N/100) = {expected})"
            )
    pairs = {(m.client, m.n): m for m in results}
    if ("ours", 1000) in pairs and ("naive", 1000) in pairs:
        speedup = pairs["naive", 1000].wall_s / pairs["ours", 1000].wall_s
        report.append(
            f"{'OK  ' if speedup >= 20 else 'MISS'} N=1000: {speedup:.0f}x less wall"
            " time than naive (target ≥ 20x)"
        )
    if ha is not None:
        writes = ha["unchanged"]["order_writes"]
        report.append(
            f"{'OK  ' if writes == 0 else 'MISS'} nothing changed: {writes} order"
            " state writes (target 0)"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the tables and write the JSON results."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of ours")
    parser.add_argument(
        "--naive-max",
        type=int,
        default=1000,
        help="largest N the naive client really runs; above, it is extrapolated",
    )
    parser.add_argument("--ha-orders", type=int, default=1000)
    parser.add_argument("--skip-ha", action="store_true")
    parser.add_argument("--skip-freshness", action="store_true")
    parser.add_argument("--seed", type=int, default=18, help="the busy day's draw")
    parser.add_argument("--output", default=str(PROJECT_ROOT / "bench-results.json"))
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})

    print(
        f"Sweep: N = {sizes}, {args.latency * 1000:g} ms per request,"
        f" naive run up to N = {args.naive_max}",
        file=sys.stderr,
    )
    results = asyncio.run(run_sweep(sizes, args.latency, args.repeat, args.naive_max))
    ha = None if args.skip_ha else run_ha_bench(args.ha_orders, args.latency)
    days = None if args.skip_freshness else run_freshness_bench(args.seed)

    print()
    print(sweep_table(results))
    if ha is not None:
        print()
        print(ha_table(ha))
    if days is not None:
        print()
        print(freshness_table(days))
    print()
    targets = check_targets(results, ha) + freshness_targets(days or [])
    print("\n".join(targets))

    Path(args.output).write_text(
        json.dumps(
            {
                "latency_s": args.latency,
                "repeat": args.repeat,
                "naive_max": args.naive_max,
                "python": sys.version.split()[0],
                "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
                "sweep": [asdict(m) for m in results],
                "home_assistant": ha,
                "freshness": days,
                "targets": targets,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWritten to {args.output}", file=sys.stderr)
    return 0 if all(line.startswith("OK") for line in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
