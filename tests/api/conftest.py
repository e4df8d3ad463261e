"""Fixtures of the API client tests: real HTTP on loopback, no mocks.

Most tests talk to the panel simulator (`panel`, `panel_url` from tests/conftest.py).
`fixed_panel` is a tiny aiohttp app that answers literal bodies, byte for byte:
the real replies of tests/fixtures/protocol, odd shapes, odd headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.smm_panel.api import SmmPanelClient
from tests.loopback import API_KEY, PATIENT

type ClientFactory = Callable[..., SmmPanelClient]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def make_client(session: aiohttp.ClientSession, panel_url: str) -> ClientFactory:
    """Build clients for the simulator: a patient timeout, a short backoff.

    Tests of timeouts pass `timeout=SHORT` (and stall the panel NEVER seconds).
    """

    def factory(
        url: str | None = None, api_key: str = API_KEY, **options: Any
    ) -> SmmPanelClient:
        options = {"timeout": PATIENT, "backoff": 0.01, **options}
        return SmmPanelClient(session, api_key, url or panel_url, **options)

    return factory


@pytest.fixture
def client(make_client: ClientFactory) -> SmmPanelClient:
    """A client of the simulated panel with the default retry bound (2)."""
    return make_client()


@dataclass(slots=True)
class Reply:
    """One literal HTTP reply of the fixed panel."""

    body: str
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FixedPanel:
    """An HTTP endpoint answering whatever the test set, recording each form."""

    def __init__(self) -> None:
        """Answer `{}` until told otherwise."""
        self.url = ""
        self.forms: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._default = Reply("{}")
        self._queue: list[Reply] = []

    def reply(
        self, data: Any = None, *, raw: str | None = None, **options: Any
    ) -> None:
        """Answer every later request with `data` as JSON (or the `raw` text)."""
        self._default = Reply(raw if raw is not None else json.dumps(data), **options)

    def queue(
        self, data: Any = None, *, raw: str | None = None, **options: Any
    ) -> None:
        """Answer the next request (one) with this reply, before the default."""
        self._queue.append(
            Reply(raw if raw is not None else json.dumps(data), **options)
        )

    def count(self, action: str) -> int:
        """Return how many requests had `action`."""
        return sum(1 for form in self.forms if form.get("action") == action)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the form and send the next reply."""
        self.forms.append({k: str(v) for k, v in (await request.post()).items()})
        reply = self._queue.pop(0) if self._queue else self._default
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
        finally:
            self.in_flight -= 1
        return web.Response(
            status=reply.status,
            text=reply.body,
            content_type=reply.content_type,
            headers=reply.headers,
        )


@asynccontextmanager
async def serve_on_loopback(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    method: str = "POST",
    path: str = "/api/v2",
) -> AsyncIterator[str]:
    """Serve `handler` on a free loopback port; yield `http://127.0.0.1:<port>`."""
    app = web.Application()
    app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def fixed_panel(socket_enabled: None) -> AsyncIterator[FixedPanel]:
    """Serve a FixedPanel on a free loopback port."""
    panel = FixedPanel()
    async with serve_on_loopback(panel.handle) as base_url:
        panel.url = f"{base_url}/api/v2"
        yield panel


@pytest.fixture
def fixed_client(
    session: aiohttp.ClientSession, fixed_panel: FixedPanel
) -> SmmPanelClient:
    """A client of the fixed panel; no retries so each reply is seen once."""
    return SmmPanelClient(
        session, API_KEY, fixed_panel.url, timeout=PATIENT, retries=0, backoff=0.01
    )
