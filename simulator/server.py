"""aiohttp web server exposing a PanelSimulator over HTTP, with fault injection."""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
import json
import math
from typing import Any

from aiohttp import web

from .faults import (
    DEFAULT_TIMEOUT_DELAY,
    ERROR,
    HTML,
    HTTP429,
    HTTP500,
    KEY_REVOKED,
    MALFORMED_JSON,
    RATE_LIMIT_MESSAGE,
    RESET,
    TIMEOUT,
    WRONG_SHAPE,
    Fault,
    RateLimit,
)
from .models import Response
from .panel import ERR_REQUEST, PanelSimulator

API_PATH = "/api/v2"

_CLOUDFLARE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="8"></head>
<body><h1>Checking your browser before accessing the panel.</h1>
<p>This process is automatic. Your browser will redirect shortly.</p>
<p>DDoS protection by <a href="https://www.cloudflare.com">Cloudflare</a></p>
<p>Ray ID: 7d1f2c3b4a5e6f70</p></body></html>
"""

# Actions whose normal reply is a JSON list (the rest reply with an object).
_LIST_ACTIONS = frozenset({"services", "cancel"})


class SimulatorServer:
    """Serve a PanelSimulator on ``http://host:port/api/v2`` (port 0 = any free).

    Control endpoints under ``/_sim/`` let a test in another process drive it.
    """

    def __init__(
        self, sim: PanelSimulator, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Prepare the server; nothing listens until ``start``."""
        self.sim = sim
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        # Set on stop so stalled "timeout"/"latency" replies end at once.
        self._stopping = asyncio.Event()

    @property
    def url(self) -> str:
        """The API URL clients should use."""
        return f"http://{self.host}:{self.port}{API_PATH}"

    async def start(self) -> str:
        """Start listening and return the API URL."""
        app = web.Application()
        app.router.add_route("*", API_PATH, self._api)
        app.router.add_route("*", API_PATH + "/", self._api)
        app.router.add_post("/_sim/advance", self._advance)
        app.router.add_get("/_sim/requests", self._requests)
        app.router.add_post("/_sim/reset_log", self._reset_log)
        app.router.add_post("/_sim/fault", self._fault)
        app.router.add_post("/_sim/reset_faults", self._reset_faults)
        app.router.add_post("/_sim/rate_limit", self._set_rate_limit)
        app.router.add_get("/_sim/orders", self._orders)
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.url

    async def stop(self) -> None:
        """Stop listening and end any request still stalled by a fault."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SimulatorServer:
        """Start on entering an ``async with`` block."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop on leaving an ``async with`` block."""
        await self.stop()

    # ----- the API ------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.json_response({"error": ERR_REQUEST}, status=405)
        form = await _read_params(request)
        self.sim.log_request(form)
        limited = self._rate_limited(form)
        if limited is not None:
            return limited
        plan = self.sim.faults.take(form.get("action"))
        if plan.latency:
            await self._sleep(plan.latency)
        fault = plan.fault
        if fault is None:
            return _to_web(self.sim.handle(form, log=False))
        if fault.kind == TIMEOUT:
            await self._sleep(fault.delay or DEFAULT_TIMEOUT_DELAY)
            return _to_web(self.sim.handle(form, log=False))
        if fault.kind == RESET:
            return _reset(request)
        if fault.kind == KEY_REVOKED:
            self.sim.revoke_key(form.get("key", ""))
            return _to_web(self.sim.handle(form, log=False))
        return self._faulty_reply(fault, form)

    def _rate_limited(self, form: dict[str, str]) -> web.Response | None:
        """Refuse the request when its key is over the panel's rate limit."""
        limit = self.sim.rate_limit
        if limit is None:
            return None
        wait = limit.arrive(form.get("key", ""))
        if wait is None:
            return None
        if limit.as_text:
            return web.json_response({"error": limit.message})
        headers = {"Retry-After": str(math.ceil(wait))} if limit.retry_after else {}
        return web.json_response(
            {"error": "Too many requests"}, status=429, headers=headers
        )

    def _faulty_reply(self, fault: Fault, form: dict[str, str]) -> web.Response:
        """Build the reply of a fault that leaves the panel's state alone."""
        if fault.kind == HTTP500:
            return web.Response(
                status=fault.status or 500, text="Internal Server Error"
            )
        if fault.kind == HTML:
            return web.Response(
                status=fault.status or 200,
                text=_CLOUDFLARE_PAGE,
                content_type="text/html",
            )
        if fault.kind == MALFORMED_JSON:
            return web.Response(
                status=fault.status or 200,
                text='{"balance": "100.84',
                content_type="application/json",
            )
        if fault.kind == WRONG_SHAPE:
            return web.json_response(_wrong_shape(form), status=fault.status or 200)
        if fault.kind == HTTP429:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return web.json_response(
                {"error": fault.message or "Too many requests"},
                status=fault.status or 429,
                headers=headers,
            )
        if fault.kind == ERROR:
            return web.json_response(
                {"error": fault.message or ERR_REQUEST}, status=fault.status or 200
            )
        raise AssertionError(f"Unhandled fault kind {fault.kind}")  # pragma: no cover

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up early when the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # ----- control endpoints --------------------------------------------------

    async def _advance(self, request: web.Request) -> web.Response:
        data = await _json_body(request)
        self.sim.advance(float(data.get("seconds", 0)))
        return web.json_response({"now": self.sim.clock.now})

    async def _requests(self, request: web.Request) -> web.Response:
        counts = Counter(r.action or "" for r in self.sim.requests)
        return web.json_response(dict(counts))

    async def _reset_log(self, request: web.Request) -> web.Response:
        self.sim.reset_log()
        return web.json_response({"ok": True})

    async def _fault(self, request: web.Request) -> web.Response:
        try:
            fault = Fault.from_dict(await _json_body(request))
        except (TypeError, ValueError) as err:
            return web.json_response({"error": str(err)}, status=400)
        self.sim.faults.add(fault)
        return web.json_response({"ok": True})

    async def _set_rate_limit(self, request: web.Request) -> web.Response:
        """Set the rate limit from a JSON object; an empty object removes it."""
        data = await _json_body(request)
        if not data:
            self.sim.rate_limit = None
            return web.json_response({"ok": True})
        limit, window = data.get("limit", 120), data.get("window", 60.0)
        if (
            type(limit) is not int
            or limit < 1
            or type(window) not in (int, float)
            or window <= 0
        ):
            return web.json_response(
                {"error": "limit must be an integer >= 1, window a number > 0"},
                status=400,
            )
        self.sim.rate_limit = RateLimit(
            limit=limit,
            window=float(window),
            as_text=bool(data.get("as_text", True)),
            retry_after=bool(data.get("retry_after", False)),
            message=str(data.get("message", RATE_LIMIT_MESSAGE)),
        )
        return web.json_response({"ok": True})

    async def _reset_faults(self, request: web.Request) -> web.Response:
        self.sim.faults.clear()
        return web.json_response({"ok": True})

    async def _orders(self, request: web.Request) -> web.Response:
        orders = [
            {
                "order": o.order_id,
                "service": o.service_id,
                "link": o.link,
                "quantity": o.quantity,
                "charge": str(o.charge),
                "start_count": o.start_count,
                "remains": o.remains,
                "status": o.status,
                "created_at": o.created_at,
            }
            for o in self.sim.orders.values()
        ]
        return web.json_response(orders)


async def _read_params(request: web.Request) -> dict[str, str]:
    """Return form fields merged over query parameters (clients use either)."""
    params = dict(request.query)
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            body = await request.json()
            if isinstance(body, dict):
                params.update({k: str(v) for k, v in body.items()})
        return params
    post = await request.post()
    params.update({k: v for k, v in post.items() if isinstance(v, str)})
    return params


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _to_web(reply: Response) -> web.Response:
    content_type, _, _ = reply.content_type.partition(";")
    return web.Response(
        status=reply.status,
        text=reply.body,
        content_type=content_type,
        headers=reply.headers,
    )


def _reset(request: web.Request) -> web.Response:
    """Drop the connection without replying: the client sees a disconnect."""
    if request.transport is not None:
        request.transport.close()
    # Nothing reaches the client: the transport is already closed.
    return web.Response(status=500)


def _wrong_shape(form: dict[str, str]) -> Any:
    """Return valid JSON of the wrong shape for the request's action."""
    action = form.get("action")
    bulk_list = action in {"refill", "refill_status"} and (
        "orders" in form or "refills" in form
    )
    if action in _LIST_ACTIONS or bulk_list:
        return {"result": "ok"}
    return ["ok"]
