"""HTTP round trips and fault injection of the simulator server (loopback only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
import json
import time
from typing import Any

import aiohttp
import pytest

from simulator import Fault, PanelSimulator, SimulatorServer
from tests.conftest import NEVER, PATIENT, SHORT

KEY = "test-key"


@pytest.fixture
def sim() -> PanelSimulator:
    """A fresh panel."""
    return PanelSimulator(api_key=KEY, balance=Decimal("100.00"))


@pytest.fixture
async def url(sim: PanelSimulator, socket_enabled: None) -> AsyncIterator[str]:
    """The API URL of a running server for ``sim``.

    The Home Assistant test plugin blocks sockets; ``socket_enabled`` (pytest-socket)
    lifts that while connections stay limited to 127.0.0.1.
    """
    server = SimulatorServer(sim, host="127.0.0.1", port=0)
    api_url = await server.start()
    assert api_url == server.url
    yield api_url
    await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session; a (patient) safety timeout keeps a hung test finite."""
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=PATIENT)
    ) as client:
        yield client


async def post(
    session: aiohttp.ClientSession, url: str, action: str, **fields: Any
) -> tuple[int, str, str]:
    """POST one API request; return (status, content type, body)."""
    form = {"key": KEY, "action": action, **{k: str(v) for k, v in fields.items()}}
    async with session.post(url, data=form) as resp:
        return resp.status, resp.content_type, await resp.text()


async def post_json(
    session: aiohttp.ClientSession, url: str, action: str, **fields: Any
) -> Any:
    """POST one API request and decode the JSON reply."""
    form = {"key": KEY, "action": action, **{k: str(v) for k, v in fields.items()}}
    async with session.post(url, data=form) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_round_trip(
    sim: PanelSimulator, url: str, session: aiohttp.ClientSession
) -> None:
    """Orders placed over HTTP show up in status, balance and the request log."""
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/api/v2")
    reply = await post_json(
        session, url, "add", service=1, link="https://x", quantity=100
    )
    assert reply == {"order": 23501}
    status = await post_json(session, url, "status", order=23501)
    assert status["status"] == "Pending"
    assert await post_json(session, url, "balance") == {
        "balance": "99.91000",
        "currency": "USD",
    }
    services = await post_json(session, url, "services")
    assert services[0]["name"] == "Followers"
    assert sim.count("add") == 1
    assert sim.requests[0].params["key"] == "**REDACTED**"
    async with session.get(url) as resp:
        assert resp.status == 405


async def test_error_faults(
    sim: PanelSimulator, url: str, session: aiohttp.ClientSession
) -> None:
    """Faults are consumed in order and then the panel answers normally."""
    for fault in (
        Fault("http500"),
        Fault("html"),
        Fault("malformed_json"),
        Fault("wrong_shape"),
        Fault("http429", retry_after=7),
        Fault("error", message="neworder.error.not_enough_funds", status=400),
    ):
        sim.faults.add(fault)

    status, ctype, body = await post(session, url, "balance")
    assert (status, ctype) == (500, "text/plain")
    status, ctype, body = await post(session, url, "balance")
    assert (status, ctype) == (200, "text/html")
    assert "Cloudflare" in body
    status, ctype, body = await post(session, url, "balance")
    assert (status, ctype) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    status, _, body = await post(session, url, "balance")
    assert isinstance(json.loads(body), list)
    async with session.post(url, data={"key": KEY, "action": "balance"}) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"
        assert await resp.json() == {"error": "Too many requests"}
    status, _, body = await post(session, url, "balance")
    assert status == 400
    assert json.loads(body) == {"error": "neworder.error.not_enough_funds"}
    assert (await post_json(session, url, "balance"))["currency"] == "USD"
    assert sim.count("balance") == 7


async def test_fault_filters_by_action_and_times(
    sim: PanelSimulator, url: str, session: aiohttp.ClientSession
) -> None:
    """A fault for one action leaves other actions alone; times=None never ends."""
    sim.faults.add(Fault("error", action="status", times=None, message="down"))
    assert "balance" in await post_json(session, url, "balance")
    for _ in range(3):
        assert await post_json(session, url, "status", order=1) == {"error": "down"}
    sim.faults.clear()
    assert await post_json(session, url, "status", order=1) == {
        "error": "Incorrect order ID"
    }


async def test_latency_timeout_and_reset(
    sim: PanelSimulator, url: str, session: aiohttp.ClientSession
) -> None:
    """Slow, stalled and dropped replies reach the client as such."""
    sim.faults.add(Fault("latency", delay=0.05))
    started = time.monotonic()
    assert "balance" in await post_json(session, url, "balance")
    assert time.monotonic() - started >= 0.05

    sim.faults.add(Fault("timeout", delay=NEVER))
    form = {"key": KEY, "action": "balance"}
    with pytest.raises(TimeoutError):
        await session.post(url, data=form, timeout=aiohttp.ClientTimeout(total=SHORT))

    sim.faults.add(Fault("reset"))
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(session, url, "balance")
    assert sim.count("balance") == 3
    assert "balance" in await post_json(session, url, "balance")


async def test_key_revoked(
    sim: PanelSimulator, url: str, session: aiohttp.ClientSession
) -> None:
    """A revoked key stays invalid; other accounts keep working."""
    sim.add_account("other", Decimal(5), "EUR")
    sim.faults.add(Fault("key_revoked"))
    assert await post_json(session, url, "balance") == {"error": "Invalid API key"}
    assert await post_json(session, url, "balance") == {"error": "Invalid API key"}
    form = {"key": "other", "action": "balance"}
    async with session.post(url, data=form) as resp:
        assert (await resp.json())["currency"] == "EUR"


async def test_control_endpoints(
    sim: PanelSimulator, url: str, session: aiohttp.ClientSession
) -> None:
    """The /_sim/ endpoints drive the panel from another process."""
    base = url.removesuffix("/api/v2")
    await post_json(session, url, "add", service=1, link="https://x", quantity=100)
    async with session.post(f"{base}/_sim/advance", json={"seconds": 120}) as resp:
        assert (await resp.json())["now"] == 120
    async with session.get(f"{base}/_sim/orders") as resp:
        orders = await resp.json()
    assert orders[0]["order"] == 23501
    assert orders[0]["status"] == "In progress"
    async with session.post(
        f"{base}/_sim/fault", json={"kind": "error", "message": "boom"}
    ) as resp:
        assert resp.status == 200
    assert await post_json(session, url, "balance") == {"error": "boom"}
    async with session.post(f"{base}/_sim/fault", json={"kind": "nope"}) as resp:
        assert resp.status == 400
    sim.faults.add(Fault("error", times=None))
    async with session.post(f"{base}/_sim/reset_faults") as resp:
        assert resp.status == 200
    async with session.get(f"{base}/_sim/requests") as resp:
        assert await resp.json() == {"add": 1, "balance": 1}
