"""Faults of the panel and the network, mapped to the client's exceptions.

Also the retry rules: read-only actions retry a bounded number of times; `add`,
`refill` and `cancel` are sent exactly once, and a lost `add` is "state unknown".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    OrderRequest,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelInsufficientFundsError,
    SmmPanelInvalidResponseError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
    SmmPanelRequestError,
    SmmPanelTimeoutError,
)
from simulator import Fault, PanelSimulator, SimulatorServer
from tests.loopback import API_KEY, NEVER, PATIENT, SHORT, client_timeout

from .conftest import ClientFactory, FixedPanel

ADD = OrderRequest(service=1, link="https://instagram.com/p/abc", quantity=100)

type Call = Callable[[SmmPanelClient], Awaitable[Any]]

ORDER = 23501  # the first order of the simulated panel
REFILL = 1001  # its first refill

# One call per action and form; (action at the panel, call).
CALLS: dict[str, tuple[str, Call]] = {
    "balance": ("balance", lambda c: c.async_get_balance()),
    "services": ("services", lambda c: c.async_get_catalogue()),
    "status": ("status", lambda c: c.async_get_order_status(ORDER)),
    "status_bulk": ("status", lambda c: c.async_get_orders_status([ORDER, 2])),
    "refill": ("refill", lambda c: c.async_refill(ORDER)),
    "refill_bulk": ("refill", lambda c: c.async_refill_orders([ORDER, 2])),
    "refill_status": ("refill_status", lambda c: c.async_get_refill_status(REFILL)),
    "refill_status_bulk": (
        "refill_status",
        lambda c: c.async_get_refills_status([REFILL]),
    ),
    "cancel": ("cancel", lambda c: c.async_cancel_orders([ORDER, 2])),
}
READ_ONLY = [
    "balance",
    "services",
    "status",
    "status_bulk",
    "refill_status",
    "refill_status_bulk",
]
WRITES = ["refill", "refill_bulk", "cancel"]


def spec(kind: str, **options: Any) -> dict[str, Any]:
    """A fault's arguments: each test builds its own Fault, since faults mutate."""
    return {"kind": kind, **options}


@pytest.fixture(autouse=True)
def order_and_refill(panel: PanelSimulator) -> None:
    """Give every call of CALLS a real order and refill to talk about."""
    order = panel.create_order(1, 1000, status="Completed")
    assert order.order_id == ORDER
    reply = panel.handle(
        {"key": API_KEY, "action": "refill", "order": str(ORDER)}, log=False
    )
    assert reply.json() == {"refill": str(REFILL)}


@pytest.fixture
def once(make_client: ClientFactory) -> SmmPanelClient:
    """A client that does not retry: each fault is seen exactly once.

    Its timeout is short: only the "timeout" fault (a panel that never
    answers) makes it wait, and every other fault answers at once.
    """
    return make_client(retries=0, timeout=SHORT)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (spec("timeout", delay=NEVER), SmmPanelTimeoutError),
        (spec("reset"), SmmPanelConnectionError),
        (spec("http500"), SmmPanelConnectionError),
        (spec("http500", status=503), SmmPanelConnectionError),
        (spec("html"), SmmPanelInvalidResponseError),
        (spec("html", status=403), SmmPanelInvalidResponseError),
        (spec("html", status=502), SmmPanelConnectionError),
        (spec("malformed_json"), SmmPanelInvalidResponseError),
        (spec("wrong_shape"), SmmPanelInvalidResponseError),
        (spec("http429"), SmmPanelRateLimitError),
        (spec("error"), SmmPanelRequestError),
        (spec("error", status=400), SmmPanelRequestError),
        (spec("key_revoked"), SmmPanelAuthenticationError),
        (spec("error", message="Invalid API key"), SmmPanelAuthenticationError),
        (
            spec("error", message="Invalid API key", status=401),
            SmmPanelAuthenticationError,
        ),
        (
            spec("error", message="Invalid keywords for this service"),
            SmmPanelRequestError,
        ),
        (spec("error", message="API key is invalid."), SmmPanelAuthenticationError),
        (
            spec("error", message="Not enough funds on balance"),
            SmmPanelInsufficientFundsError,
        ),
        (
            spec("error", message="neworder.error.not_enough_funds"),
            SmmPanelInsufficientFundsError,
        ),
    ],
    ids=lambda value: "-".join(map(str, value.values()))
    if isinstance(value, dict)
    else "",
)
@pytest.mark.parametrize("call", ["balance", "refill_bulk"])
async def test_fault_maps_to_exception(
    once: SmmPanelClient,
    panel: PanelSimulator,
    fault: dict[str, Any],
    error: type[SmmPanelError],
    call: str,
) -> None:
    """Each fault kind maps to its exception, for reads and writes alike."""
    action, send = CALLS[call]
    panel.faults.add(Fault(action=action, **fault))
    with pytest.raises(error) as exc_info:
        await send(once)
    assert type(exc_info.value) is error
    assert panel.count(action) == 1


@pytest.mark.parametrize("kind", ["html", "malformed_json", "wrong_shape"])
@pytest.mark.parametrize("call", list(CALLS))
async def test_bad_reply_every_action(
    once: SmmPanelClient, panel: PanelSimulator, kind: str, call: str
) -> None:
    """Every action and form refuses a reply that is not its JSON shape."""
    action, send = CALLS[call]
    panel.faults.add(Fault(kind, action=action))
    with pytest.raises(SmmPanelInvalidResponseError):
        await send(once)
    assert panel.count(action) == 1
    await send(once)  # the panel is fine again, and so is the client


async def test_request_error_carries_message(
    once: SmmPanelClient, panel: PanelSimulator
) -> None:
    """A rejected request keeps the panel's message verbatim."""
    panel.faults.add(Fault("error", message="Incorrect request"))
    with pytest.raises(SmmPanelRequestError) as exc_info:
        await once.async_get_balance()
    assert exc_info.value.message == "Incorrect request"
    panel.faults.add(Fault("error", message="neworder.error.link_duplicate"))
    with pytest.raises(SmmPanelRequestError) as exc_info:
        await once.async_add_order(ADD)
    assert exc_info.value.message == "neworder.error.link_duplicate"
    assert list(panel.orders) == [ORDER]


async def test_key_revoked_stays_revoked(
    client: SmmPanelClient, panel: PanelSimulator
) -> None:
    """After a revocation every action is refused as an authentication error."""
    panel.faults.add(Fault("key_revoked"))
    for _, send in CALLS.values():
        with pytest.raises(SmmPanelAuthenticationError, match="Invalid API key"):
            await send(client)
    with pytest.raises(SmmPanelAuthenticationError):
        await client.async_add_order(ADD)
    # An authentication error is never retried.
    assert len(panel.requests) == len(CALLS) + 1


@pytest.mark.parametrize(
    ("retry_after", "expected"), [(None, None), (7, 7.0), (0, 0.0)]
)
async def test_rate_limit_retry_after(
    once: SmmPanelClient,
    panel: PanelSimulator,
    retry_after: int | None,
    expected: float | None,
) -> None:
    """HTTP 429 is a rate limit error, with the Retry-After delay when given."""
    panel.faults.add(Fault("http429", retry_after=retry_after))
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await once.async_get_balance()
    assert exc_info.value.retry_after == expected
    assert isinstance(exc_info.value, SmmPanelConnectionError)
    if expected is None:
        assert str(exc_info.value) == "Rate limited by the panel"
    else:
        assert (
            str(exc_info.value)
            == f"Rate limited by the panel (retry after {expected:g} s)"
        )


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Wed, 21 Oct 2015 07:28:00 GMT", None), ("-5", 0.0), ("2.5", 2.5)],
)
async def test_rate_limit_odd_headers(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    header: str,
    expected: float | None,
) -> None:
    """A Retry-After that is not a number of seconds is ignored; never negative."""
    fixed_panel.reply(
        raw="Too Many Requests",
        status=429,
        content_type="text/plain",
        headers={"Retry-After": header},
    )
    with pytest.raises(SmmPanelRateLimitError) as exc_info:
        await fixed_client.async_get_balance()
    assert exc_info.value.retry_after == expected


async def test_rate_limit_retry_waits_retry_after(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """A retried 429 waits what the panel asked for, then succeeds."""
    client = make_client(fixed_panel.url, backoff=5.0)  # backoff would be too slow
    fixed_panel.queue(raw="", status=429, headers={"Retry-After": "0.05"})
    fixed_panel.reply({"balance": "1.00", "currency": "USD"})
    assert (await client.async_get_balance()).amount == Decimal("1.00")
    assert fixed_panel.count("balance") == 2


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (503, '{"status": "maintenance"}', SmmPanelConnectionError),
        (404, '{"status": "not found"}', SmmPanelInvalidResponseError),
        (404, "Not Found", SmmPanelInvalidResponseError),
        (502, '{"error": "Invalid API key"}', SmmPanelAuthenticationError),
        (200, "", SmmPanelInvalidResponseError),
        (200, "null", SmmPanelInvalidResponseError),
    ],
)
async def test_http_status_and_body(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    status: int,
    body: str,
    error: type[SmmPanelError],
) -> None:
    """An `error` body wins over the HTTP status; else 5xx is a connection error."""
    fixed_panel.reply(raw=body, status=status)
    with pytest.raises(error) as exc_info:
        await fixed_client.async_get_balance()
    assert type(exc_info.value) is error


# --- retries ----------------------------------------------------------------------


@pytest.mark.parametrize("call", READ_ONLY)
async def test_persistent_500_retried_within_bound(
    make_client: ClientFactory, panel: PanelSimulator, call: str
) -> None:
    """With retries=2 a panel stuck on HTTP 500 gets exactly 3 requests."""
    action, send = CALLS[call]
    panel.faults.add(Fault("http500", action=action, times=None))
    with pytest.raises(SmmPanelConnectionError, match="HTTP 500"):
        await send(make_client(retries=2))
    assert panel.count(action) == 3


TRANSIENT = {
    "http500": {"kind": "http500"},
    "reset": {"kind": "reset"},
    "http429": {"kind": "http429"},
    "http429-retry-after": {"kind": "http429", "retry_after": 0},
}


@pytest.mark.parametrize(
    ("call", "fault"),
    [
        *(
            pytest.param(call, fault, id=f"{call}-{name}")
            for call in READ_ONLY
            for name, fault in TRANSIENT.items()
        ),
        # A timeout costs a client timeout: one case is enough.
        pytest.param(
            "balance", {"kind": "timeout", "delay": NEVER}, id="balance-timeout"
        ),
    ],
)
async def test_transient_fault_retried(
    make_client: ClientFactory, panel: PanelSimulator, call: str, fault: dict[str, Any]
) -> None:
    """A transient connection fault on a read succeeds on the second request."""
    action, send = CALLS[call]
    panel.faults.add(Fault(action=action, **fault))
    await send(make_client(retries=2, timeout=client_timeout(fault["kind"])))
    assert panel.count(action) == 2


@pytest.mark.parametrize("retries", [0, 1, 4])
async def test_retry_bound_follows_setting(
    make_client: ClientFactory, panel: PanelSimulator, retries: int
) -> None:
    """The number of attempts is exactly 1 + retries."""
    panel.faults.add(Fault("reset", times=None))
    with pytest.raises(SmmPanelConnectionError):
        await make_client(retries=retries).async_get_balance()
    assert panel.count("balance") == 1 + retries


@pytest.mark.parametrize(
    "fault",
    [
        spec("html"),
        spec("malformed_json"),
        spec("wrong_shape"),
        spec("error"),
        spec("error", message="Invalid API key"),
    ],
    ids=["html", "malformed_json", "wrong_shape", "error", "auth"],
)
async def test_non_transient_not_retried(
    client: SmmPanelClient, panel: PanelSimulator, fault: dict[str, Any]
) -> None:
    """Bad replies and refusals are final: one request, even with retries."""
    panel.faults.add(Fault(**fault))
    with pytest.raises(SmmPanelError):
        await client.async_get_balance()
    assert panel.count("balance") == 1


@pytest.mark.parametrize("call", WRITES)
@pytest.mark.parametrize("kind", ["http500", "reset", "http429"])
async def test_writes_never_retried(
    client: SmmPanelClient, panel: PanelSimulator, call: str, kind: str
) -> None:
    """Refill and cancel change the account: exactly one request on a fault."""
    action, send = CALLS[call]
    panel.faults.add(Fault(kind, action=action, times=None))
    with pytest.raises(SmmPanelConnectionError):
        await send(client)
    assert panel.count(action) == 1


# --- add: never retried, state unknown ----------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        spec("timeout", delay=NEVER),
        spec("reset"),
        spec("html"),
        spec("malformed_json"),
        spec("wrong_shape"),
        spec("http500"),
        spec("http500", status=504),
        spec("html", status=502),
    ],
    ids=[
        "timeout",
        "reset",
        "html",
        "malformed_json",
        "wrong_shape",
        "http500",
        "http504",
        "html502",
    ],
)
async def test_add_lost_is_state_unknown(
    make_client: ClientFactory, panel: PanelSimulator, fault: dict[str, Any]
) -> None:
    """A lost or garbled reply to add: exactly one add sent, state unknown."""
    client = make_client(timeout=client_timeout(fault["kind"]))
    # Persistent, so that a resend would hit the fault again and be counted.
    panel.faults.add(Fault(action="add", times=None, **fault))
    with pytest.raises(SmmPanelOrderStateUnknownError) as exc_info:
        await client.async_add_order(ADD)
    assert panel.count("add") == 1
    assert len(panel.requests) == 1
    assert not isinstance(exc_info.value, SmmPanelConnectionError)


async def test_add_timeout_order_may_exist(
    make_client: ClientFactory, panel: PanelSimulator, socket_enabled: None
) -> None:
    """The panel placed (and charged) the order although the client gave up."""
    server = SimulatorServer(panel, host="127.0.0.1", port=0)
    client = make_client(await server.start(), timeout=SHORT)
    panel.faults.add(Fault("timeout", action="add", delay=NEVER))
    try:
        with pytest.raises(SmmPanelOrderStateUnknownError, match="No reply"):
            await client.async_add_order(ADD)
        assert list(panel.orders) == [ORDER]  # the panel is still on it
    finally:
        await server.stop()  # ends the stall: the panel finishes the request
    # The client hung up first, so stopping did not wait for that request.
    async with asyncio.timeout(PATIENT):
        while len(panel.orders) < 2:  # noqa: ASYNC110 (the panel has no event)
            await asyncio.sleep(0.01)
    assert panel.count("add") == 1
    assert panel.orders[ORDER + 1].link == ADD.link
    assert panel.balance() == Decimal("99.01")  # 0.90 (fixture) + 0.09


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (spec("http429", retry_after=3), SmmPanelRateLimitError),
        (
            spec("error", message="Not enough funds on balance"),
            SmmPanelInsufficientFundsError,
        ),
        (spec("error", message="Incorrect service ID"), SmmPanelRequestError),
        (spec("key_revoked"), SmmPanelAuthenticationError),
    ],
    ids=["http429", "funds", "request", "auth"],
)
async def test_add_refused_is_not_unknown(
    client: SmmPanelClient,
    panel: PanelSimulator,
    fault: dict[str, Any],
    error: type[SmmPanelError],
) -> None:
    """When the panel answered and refused, nothing was placed: a plain error."""
    panel.faults.add(Fault(action="add", **fault))
    with pytest.raises(error):
        await client.async_add_order(ADD)
    assert panel.count("add") == 1
    assert list(panel.orders) == [ORDER]  # only the one made by the fixture


async def test_refused_connection(
    make_client: ClientFactory, panel: PanelSimulator, socket_enabled: None
) -> None:
    """Nothing listening: a plain connection error, also for add (nothing sent)."""
    server = SimulatorServer(panel, host="127.0.0.1", port=0)
    url = await server.start()
    await server.stop()
    client = make_client(url, retries=1)
    with pytest.raises(SmmPanelConnectionError) as exc_info:
        await client.async_add_order(ADD)
    assert type(exc_info.value) is SmmPanelConnectionError
    assert str(exc_info.value).startswith("ClientConnectorError: Cannot connect to")
    with pytest.raises(SmmPanelConnectionError):
        await client.async_get_balance()
    assert panel.requests == []
