"""Run the panel simulator as a standalone server: ``python -m simulator``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from decimal import Decimal

from .models import SimClock
from .panel import PanelSimulator
from .server import SimulatorServer


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Local SMM panel (API v2) simulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--key", default="test-key", help="API key of the account")
    parser.add_argument("--balance", type=Decimal, default=Decimal("100"))
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--extra-services", type=int, default=0)
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (orders progress faster)",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    # Real-time clock so a demo shows orders progressing without /_sim/advance.
    sim = PanelSimulator(
        api_key=args.key,
        balance=args.balance,
        currency=args.currency,
        extra_services=args.extra_services,
        clock=SimClock(realtime=True, speed=args.speed),
    )
    server = SimulatorServer(sim, host=args.host, port=args.port)
    url = await server.start()
    print(f"SMM panel simulator listening on {url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m simulator``."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
