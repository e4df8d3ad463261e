"""Hostile replies: unusable `add` replies, redirects, huge or deep bodies, secrets.

Issue 9, items 3, 6, 9, 12, 20 (client part). The real client, over loopback
HTTP, against the simulator or tiny aiohttp servers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import logging
import traceback
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.smm_panel.api import (
    OrderRequest,
    SmmPanelAuthenticationError,
    SmmPanelClient,
    SmmPanelConnectionError,
    SmmPanelError,
    SmmPanelInvalidResponseError,
    SmmPanelOrderStateUnknownError,
    SmmPanelRateLimitError,
    SmmPanelRedirectError,
    SmmPanelRequestError,
    redact_url,
)
from simulator import Fault, PanelSimulator
from tests.loopback import API_KEY

from .conftest import ClientFactory, FixedPanel, serve_on_loopback

ADD = OrderRequest(service=1, link="https://instagram.com/p/abc", quantity=100)
DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000
REDACTED = "**REDACTED**"

type Call = Callable[[SmmPanelClient], Awaitable[Any]]

# One call per action and form, each to be answered by a hostile reply.
READS: dict[str, Call] = {
    "balance": lambda c: c.async_get_balance(),
    "services": lambda c: c.async_get_catalogue(),
    "status": lambda c: c.async_get_order_status(1),
    "status_bulk": lambda c: c.async_get_orders_status([1, 2]),
    "refill_status": lambda c: c.async_get_refill_status(1),
    "refill_status_bulk": lambda c: c.async_get_refills_status([1, 2]),
}
WRITES: dict[str, Call] = {
    "refill": lambda c: c.async_refill(1),
    "refill_bulk": lambda c: c.async_refill_orders([1, 2]),
    "cancel": lambda c: c.async_cancel_orders([1, 2]),
}


def _clean(err: BaseException, *secrets: str) -> None:
    """Neither the message, the args nor the whole traceback hold a secret."""
    texts = [
        str(err),
        repr(err),
        repr(err.args),
        "".join(traceback.format_exception(err)),
    ]
    for secret in (API_KEY, *secrets):
        for text in texts:
            assert secret not in text


# --- B. unusable `add` replies: state unknown, never a refusal or a crash -------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, '{"order": 18446744073709551616}'),
        (200, '{"order": "1e5000"}'),
        (200, '{"order": 1e5000}'),
        (200, '{"order": 0}'),
        (200, '{"order": -3}'),
        (200, '{"order": 23501.0}'),
        (200, '{"order": "23501.0"}'),
        (200, '{"order": true}'),
        (200, '{"order": "9' + "9" * 10_000 + '"}'),
        (200, "9" * 5000),  # over Python's digit limit: json.loads refuses it
        (200, DEEP),
        (200, DEEP_OBJECT),
        (504, '{"error": "Gateway Timeout"}'),
        (500, '{"error": "Incorrect request"}'),
        (502, '{"error": "Invalid API key"}'),
        (503, '{"error": "Rate limit exceeded"}'),
        (500, '{"order": 23502}'),
        (599, ""),
    ],
    ids=[
        "2**64",
        "1e5000-text",
        "1e5000-number",
        "zero",
        "negative",
        "float",
        "float-text",
        "bool",
        "huge-digits",
        "huge-json-int",
        "deeply-nested-list",
        "deeply-nested-object",
        "504-json-error",
        "500-json-error",
        "502-invalid-key",
        "503-rate-limit-text",
        "500-with-order",
        "599-empty",
    ],
)
async def test_unusable_add_reply_is_state_unknown(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, status: int, body: str
) -> None:
    """3, 6, 12: no usable order id, or any 5xx after sending, is "state unknown"."""
    fixed_panel.reply(raw=body, status=status)
    with pytest.raises(SmmPanelOrderStateUnknownError) as exc_info:
        await fixed_client.async_add_order(ADD)
    assert type(exc_info.value) is SmmPanelOrderStateUnknownError
    assert fixed_panel.count("add") == 1
    _clean(exc_info.value)
    assert len(str(exc_info.value)) < 300


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, '{"error": "Incorrect service ID"}', SmmPanelRequestError),
        (400, '{"error": "Quantity less than minimal 50"}', SmmPanelRequestError),
        (403, '{"error": "Invalid API key"}', SmmPanelAuthenticationError),
        (200, '{"error": "Rate limit exceeded"}', SmmPanelRateLimitError),
        (429, '{"error": "Too many requests"}', SmmPanelRateLimitError),
    ],
)
async def test_add_refusal_needs_2xx_or_4xx(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    status: int,
    body: str,
    error: type[SmmPanelError],
) -> None:
    """12: only a 2xx or 4xx reply with an error text is a refusal (nothing placed)."""
    fixed_panel.reply(raw=body, status=status)
    with pytest.raises(error) as exc_info:
        await fixed_client.async_add_order(ADD)
    assert not isinstance(exc_info.value, SmmPanelOrderStateUnknownError)
    assert fixed_panel.count("add") == 1


async def test_add_gateway_error_from_the_simulator(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """12: the simulator's 504 with a JSON error body after `add`: state unknown."""
    panel.faults.add(
        Fault("error", action="add", status=504, message="Gateway Timeout")
    )
    with pytest.raises(SmmPanelOrderStateUnknownError, match="HTTP 504"):
        await make_client().async_add_order(ADD)
    assert panel.count("add") == 1


# --- 6. deeply nested replies to reads ------------------------------------------------


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["list", "object"])
@pytest.mark.parametrize("call", [*READS, *WRITES])
async def test_deeply_nested_reply_is_invalid(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, call: str, body: str
) -> None:
    """6: a reply nested 100 000 deep is a clean invalid reply, never RecursionError."""
    fixed_panel.reply(raw=body)
    send = READS.get(call) or WRITES[call]
    with pytest.raises(SmmPanelInvalidResponseError, match="not JSON"):
        await send(fixed_client)


async def test_nesting_below_the_json_limit_never_recurses(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """6: values nested just under json's limit are shown bounded, not recursed into."""
    nested = "[" * 900 + "1" + "]" * 900
    fixed_panel.reply(raw=f'{{"error": {nested}}}')
    with pytest.raises(SmmPanelRequestError) as exc_info:
        await fixed_client.async_get_balance()
    assert len(exc_info.value.message) < 100
    fixed_panel.reply(raw=f'[{{"order": 2, "cancel": {nested}}}]')
    result = await fixed_client.async_cancel_orders([2])
    assert len(str(result[2])) < 200
    fixed_panel.reply(raw=f'{{"1": {{"error": {nested}}}}}')
    statuses = await fixed_client.async_get_orders_status([1])
    assert len(str(statuses[1])) < 200


# --- 12. a 5xx with a JSON error body on a read: a connection error, retried ----------


@pytest.mark.parametrize(
    "body",
    ['{"error": "Gateway Timeout"}', '{"error": "Incorrect request"}'],
)
@pytest.mark.parametrize("call", list(READS))
async def test_read_5xx_with_json_error_is_retried(
    make_client: ClientFactory, fixed_panel: FixedPanel, call: str, body: str
) -> None:
    """12: for reads a 5xx is the server's trouble, not the panel's refusal."""
    fixed_panel.reply(raw=body, status=504)
    client = make_client(fixed_panel.url, retries=2)
    with pytest.raises(SmmPanelConnectionError, match="HTTP 504") as exc_info:
        await READS[call](client)
    assert type(exc_info.value) is SmmPanelConnectionError
    assert len(fixed_panel.forms) == 3


async def test_read_5xx_then_success(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """12: a retried read goes through once the gateway recovers."""
    fixed_panel.queue({"error": "Gateway Timeout"}, status=504)
    fixed_panel.reply({"balance": "1.00", "currency": "USD"})
    balance = await make_client(fixed_panel.url).async_get_balance()
    assert str(balance.amount) == "1.00"
    assert fixed_panel.count("balance") == 2


# --- I. reply size --------------------------------------------------------------------


class _Streamer:
    """Answers with a chunked body (no Content-Length) of `size` bytes."""

    def __init__(self) -> None:
        self.size = 0
        self.requests = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        await request.post()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"balance": "1.00", "pad": "')
        sent = 0
        chunk = b"x" * 65536
        while sent < self.size:
            await response.write(chunk)
            sent += len(chunk)
        await response.write(b'"}')
        await response.write_eof()
        return response


@pytest.fixture
async def streamer(socket_enabled: None) -> AsyncIterator[_Streamer]:
    """A streaming endpoint on loopback."""
    server = _Streamer()
    async with serve_on_loopback(server.handle) as base_url:
        server.url = f"{base_url}/api/v2"
        yield server


async def test_reply_over_the_size_bound_with_length(
    make_client: ClientFactory, fixed_panel: FixedPanel
) -> None:
    """I: a reply longer than the bound (Content-Length) is refused unread."""
    client = make_client(fixed_panel.url, max_reply_bytes=1000, retries=0)
    fixed_panel.reply({"balance": "1.00", "pad": "x" * 2000})
    with pytest.raises(SmmPanelInvalidResponseError, match="larger than 1000 bytes"):
        await client.async_get_balance()
    with pytest.raises(SmmPanelOrderStateUnknownError, match="larger than"):
        await client.async_add_order(ADD)
    fixed_panel.reply({"balance": "1.00", "pad": "x" * 900})
    assert str((await client.async_get_balance()).amount) == "1.00"


async def test_reply_over_the_size_bound_streamed(
    make_client: ClientFactory, streamer: _Streamer
) -> None:
    """I: a chunked reply is cut off as soon as it passes the bound."""
    client = make_client(streamer.url, max_reply_bytes=100_000, retries=0)
    streamer.size = 50_000
    assert str((await client.async_get_balance()).amount) == "1.00"
    streamer.size = 5_000_000
    with pytest.raises(SmmPanelInvalidResponseError, match="larger than 100000"):
        await client.async_get_balance()


def test_default_reply_bound() -> None:
    """I: 20 MB by default: thousands of services fit many times over."""
    from custom_components.smm_panel.api.client import MAX_REPLY_BYTES

    assert MAX_REPLY_BYTES == 20 * 1024 * 1024


async def test_thousands_of_services_fit(
    make_client: ClientFactory, panel: PanelSimulator
) -> None:
    """I: the bound is far above a real catalogue (5 000 services)."""
    big = PanelSimulator(api_key=API_KEY, extra_services=5000)
    panel.services = big.services
    services = await make_client().async_get_catalogue()
    assert len(services) == len(big.services) > 5000


# --- D. redirects are never followed --------------------------------------------------


class _Target:
    """The server a redirect points to: it must never hear from the client."""

    def __init__(self) -> None:
        self.url = ""
        self.hits: list[dict[str, str]] = []
        self.content_type = "application/json"

    async def handle(self, request: web.Request) -> web.Response:
        self.hits.append({k: str(v) for k, v in (await request.post()).items()})
        return web.Response(
            body=b'{"balance": "666", "order": 666}',
            headers={"Content-Type": self.content_type},
        )


@pytest.fixture
async def target(socket_enabled: None) -> AsyncIterator[_Target]:
    """A second loopback server, the redirect's destination."""
    server = _Target()
    async with serve_on_loopback(
        server.handle, method="*", path="/{tail:.*}"
    ) as base_url:
        server.url = base_url
        yield server


def _location(target: _Target) -> str:
    return f"http://user:hunter22@{target.url.removeprefix('http://')}/steal?key={API_KEY}&x=1"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("call", [*READS, *WRITES])
async def test_redirect_never_followed(
    make_client: ClientFactory,
    fixed_panel: FixedPanel,
    target: _Target,
    status: int,
    call: str,
) -> None:
    """20: a 3xx is an error naming where it pointed (redacted); the key stays home."""
    fixed_panel.reply(raw="", status=status, headers={"Location": _location(target)})
    client = make_client(fixed_panel.url, retries=2)
    send = READS.get(call) or WRITES[call]
    with pytest.raises(SmmPanelRedirectError) as exc_info:
        await send(client)
    err = exc_info.value
    port = target.url.rpartition(":")[2]
    assert err.location == (
        f"http://{REDACTED}@127.0.0.1:{port}/steal?key={REDACTED}&x={REDACTED}"
    )
    assert str(err) == f"The panel redirected to {err.location}"
    assert err.status == status
    assert not isinstance(err, SmmPanelConnectionError)
    _clean(err, "hunter22")
    assert target.hits == []
    assert len(fixed_panel.forms) == 1  # not retried either


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (307, SmmPanelRedirectError),
        (308, SmmPanelRedirectError),
        (301, SmmPanelOrderStateUnknownError),
        (302, SmmPanelOrderStateUnknownError),
        (303, SmmPanelOrderStateUnknownError),
    ],
)
async def test_redirect_after_add(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    target: _Target,
    status: int,
    error: type[SmmPanelError],
) -> None:
    """20: 307/308 say "not processed, go there": nothing placed. Others: unknown."""
    fixed_panel.reply(raw="", status=status, headers={"Location": _location(target)})
    with pytest.raises(error) as exc_info:
        await fixed_client.async_add_order(ADD)
    assert type(exc_info.value) is error
    assert "127.0.0.1" in str(exc_info.value)
    _clean(exc_info.value, "hunter22")
    assert target.hits == []
    assert fixed_panel.count("add") == 1


async def test_relative_and_missing_location(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """20: a relative Location is shown resolved; none at all is said so."""
    fixed_panel.reply(raw="", status=302, headers={"Location": "/login?next=x"})
    with pytest.raises(SmmPanelRedirectError) as exc_info:
        await fixed_client.async_get_balance()
    base = fixed_panel.url.removesuffix("/api/v2")
    assert exc_info.value.location == f"{base}/login?next={REDACTED}"
    fixed_panel.reply(raw="", status=301)
    with pytest.raises(SmmPanelRedirectError, match="did not give"):
        await fixed_client.async_get_balance()


# --- H. secrets in the URL ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://smmqueen.com/api/v2", "https://smmqueen.com/api/v2"),
        (
            "https://user:pass@panel.example/api/v2",
            f"https://{REDACTED}@panel.example/api/v2",
        ),
        (
            "https://panel.example/api/v2?key=sk-123&lang=en",
            f"https://panel.example/api/v2?key={REDACTED}&lang={REDACTED}",
        ),
        (
            "https://panel.example/api/v2?sk-bare-token",
            f"https://panel.example/api/v2?{REDACTED}",
        ),
        (
            "https://panel.example/api/v2#token=abc",
            f"https://panel.example/api/v2#token={REDACTED}",
        ),
        (
            "http://u:p@[::1]:8080/api?key=1",
            f"http://{REDACTED}@[::1]:8080/api?key={REDACTED}",
        ),
        ("http://[::1", "http://[::1"),
        ("http://u:secret@[::1?key=abc", f"http://{REDACTED}@[::1?key={REDACTED}"),
        ("", ""),
        ("not a url at all", "not a url at all"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    """9: user info and every query value go; a malformed URL never raises."""
    assert redact_url(url) == expected


def test_redact_url_never_raises() -> None:
    """9: whatever it is given, redact_url returns a text."""
    for value in ["http://[", "http://%zz@[x", "::::", "\x00", "http://a@b@c?d"]:
        assert isinstance(redact_url(value), str)
    assert redact_url(123) == "123"  # type: ignore[arg-type]


async def test_url_secrets_never_shown(
    caplog: pytest.LogCaptureFixture,
    session: aiohttp.ClientSession,
    fixed_panel: FixedPanel,
) -> None:
    """9: a URL with user info and a key in the query: not in logs, errors or repr."""
    caplog.set_level(logging.DEBUG)
    secret_url = (
        fixed_panel.url.replace("http://", "http://admin:pa55word@")
        + "?key=qk-0123456789&token=tk%2Fsecret"
    )
    client = SmmPanelClient(session, API_KEY, secret_url, retries=1, backoff=0.01)
    secrets = ("pa55word", "qk-0123456789", "tk%2Fsecret", "tk/secret")
    assert "127.0.0.1" in repr(client)
    errors: list[SmmPanelError] = []
    fixed_panel.reply({"balance": "1", "currency": "USD"})
    await client.async_get_balance()
    for body, status in [
        ('{"error": "Bad key qk-0123456789 for admin:pa55word"}', 200),
        ("oops", 500),
        ('{"error": "pa55word"}', 503),
        ("", 302),
    ]:
        fixed_panel.reply(
            raw=body, status=status, headers={"Location": secret_url + "&more=1"}
        )
        for call in (*READS.values(), *WRITES.values()):
            try:
                await call(client)
            except SmmPanelError as err:
                errors.append(err)
        try:
            await client.async_add_order(ADD)
        except SmmPanelError as err:
            errors.append(err)
    assert len(errors) == 4 * (len(READS) + len(WRITES) + 1)
    for error in errors:
        _clean(error, *secrets)
    for secret in secrets:
        assert secret not in repr(client)
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()


async def test_connection_error_names_no_url_secret(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """9: an aiohttp error that names the URL is redacted as well."""
    client = SmmPanelClient(
        session,
        API_KEY,
        "http://admin:pa55word@127.0.0.1:1/api/v2?key=qk-0123456789",
        retries=0,
    )
    with pytest.raises(SmmPanelConnectionError) as exc_info:
        await client.async_get_balance()
    _clean(exc_info.value, "pa55word", "qk-0123456789")
    client = SmmPanelClient(
        session, API_KEY, "http://admin:pa55word@[::1/api", retries=0
    )
    with pytest.raises(SmmPanelError) as bad_url_info:
        await client.async_get_balance()
    _clean(bad_url_info.value, "pa55word")
    assert "pa55word" not in repr(client)


def test_redact_url_of_a_broken_object() -> None:
    """9: even an object whose str() fails gives a text."""

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert redact_url(Broken()) == REDACTED  # type: ignore[arg-type]


async def test_malformed_location(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """20: a Location that is no valid URL is still shown redacted."""
    fixed_panel.reply(
        raw="", status=302, headers={"Location": "http://u:pw@[::1/x?key=abc"}
    )
    with pytest.raises(SmmPanelRedirectError) as exc_info:
        await fixed_client.async_get_balance()
    assert exc_info.value.location == f"http://{REDACTED}@[::1/x?key={REDACTED}"


async def test_unknown_charset(target: _Target, session: aiohttp.ClientSession) -> None:
    """A reply naming a charset that does not exist is read as UTF-8."""
    target.content_type = "application/json; charset=no-such-charset"
    client = SmmPanelClient(session, API_KEY, target.url + "/api/v2", retries=0)
    assert str((await client.async_get_balance()).amount) == "666"
