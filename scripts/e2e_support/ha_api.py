"""Drive a running Home Assistant through its REST and WebSocket APIs.

Only public endpoints are used, the way a user's script or the frontend does:
onboarding, ``/auth/token``, ``/api/states``, ``/api/services``, the config
flow endpoints and the WebSocket API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import time
from types import TracebackType
from typing import Any, Self

import aiohttp

JSON = dict[str, Any]

# Finishing onboarding adds entries for these in the background; they need
# the internet or packages that are not installed, so they are removed again.
ONBOARDING_DOMAINS = frozenset(
    {"google_translate", "met", "radio_browser", "shopping_list"}
)


class HomeAssistantApiError(Exception):
    """Home Assistant answered a request with an unexpected HTTP status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        """Keep the status and body of the failed request."""
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class HomeAssistantCommandError(Exception):
    """A WebSocket command failed; ``error`` is Home Assistant's error object."""

    def __init__(self, error: JSON) -> None:
        """Keep the error (code, message, translation key...)."""
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = error


class HomeAssistantApi:
    """REST client of one Home Assistant instance."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str | None = None
    ) -> None:
        """Use ``session`` for requests to ``base_url`` (no trailing slash)."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.refresh_token: str | None = None

    @property
    def client_id(self) -> str:
        """The OAuth client id: the frontend's own, the instance URL."""
        return f"{self.base_url}/"

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        auth: bool = True,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        """Send a request and return the decoded JSON reply."""
        headers = {}
        if auth:
            if self.token is None:
                raise RuntimeError("Not logged in")
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method, self.base_url + path, json=json, data=data, headers=headers
        ) as response:
            body = await response.text()
            if response.status not in expect:
                raise HomeAssistantApiError(method, path, response.status, body)
            if not body:
                return None
            return await response.json(content_type=None)

    # ----- accounts -----------------------------------------------------------

    async def onboarding_steps(self) -> dict[str, bool]:
        """Return the onboarding steps and whether each one is done."""
        steps = await self.request("GET", "/api/onboarding", auth=False)
        return {step["step"]: step["done"] for step in steps}

    async def onboard(
        self, *, name: str, username: str, password: str, language: str = "en"
    ) -> str:
        """Create the owner, finish every onboarding step, return a token.

        Afterwards the frontend opens on the login page instead of onboarding.
        The entries onboarding adds on its own (text-to-speech, weather, radio,
        shopping list) are removed: none of them works offline.
        """
        reply = await self.request(
            "POST",
            "/api/onboarding/users",
            auth=False,
            json={
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": language,
            },
        )
        await self._exchange_code(reply["auth_code"])
        await self.request("POST", "/api/onboarding/core_config")
        await self.request("POST", "/api/onboarding/analytics")
        await self.request(
            "POST",
            "/api/onboarding/integration",
            json={"client_id": self.client_id, "redirect_uri": self.client_id},
        )
        await self._remove_onboarding_entries()
        assert self.token is not None
        return self.token

    async def _remove_onboarding_entries(self, settle: float = 1.0) -> None:
        """Remove onboarding's entries until none came for ``settle`` seconds."""
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        deadline = quiet_since + 10
        while loop.time() - quiet_since < settle and loop.time() < deadline:
            entries = await self.request("GET", "/api/config/config_entries/entry")
            for entry in entries:
                if entry["domain"] in ONBOARDING_DOMAINS:
                    await self.remove_config_entry(entry["entry_id"])
                    quiet_since = loop.time()
            await asyncio.sleep(0.1)

    async def authorize(self, username: str, password: str) -> str:
        """Run the login page's flow; return its authorization code."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            auth=False,
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            auth=False,
            json={
                "client_id": self.client_id,
                "username": username,
                "password": password,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"Login refused: {result.get('errors')}")
        code: str = result["result"]
        return code

    async def login(self, username: str, password: str) -> str:
        """Log in as a user; return an access token."""
        await self._exchange_code(await self.authorize(username, password))
        assert self.token is not None
        return self.token

    async def _exchange_code(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            auth=False,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")

    async def wait_until_running(self, within: float = 180.0) -> JSON:
        """Wait until the core reports it is running; return ``/api/config``."""
        deadline = time.monotonic() + within
        while True:
            config: JSON = await self.request("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return config
            if time.monotonic() > deadline:
                raise TimeoutError(f"Still {config.get('state')} after {within} s")
            await asyncio.sleep(0.2)

    # ----- states and actions -------------------------------------------------

    async def get_state(self, entity_id: str) -> JSON | None:
        """Return an entity's state object, or None when it has none."""
        state: JSON | None = await self.request(
            "GET", f"/api/states/{entity_id}", expect=(200, 404)
        )
        if state is None or "entity_id" not in state:
            return None
        return state

    async def states(self) -> list[JSON]:
        """Return every state."""
        states: list[JSON] = await self.request("GET", "/api/states")
        return states

    async def wait_for_state(
        self,
        entity_id: str,
        predicate: Callable[[JSON | None], bool],
        *,
        within: float = 90.0,
        poll: float = 0.25,
        description: str = "the expected state",
    ) -> JSON | None:
        """Poll an entity until ``predicate(state)`` holds (``within`` seconds)."""
        deadline = time.monotonic() + within
        while True:
            state = await self.get_state(entity_id)
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{entity_id} did not reach {description} within {within} s;"
                    f" last state: {state}"
                )
            await asyncio.sleep(poll)

    async def call_service(
        self,
        domain: str,
        service: str,
        data: JSON | None = None,
        *,
        return_response: bool = False,
    ) -> Any:
        """Call an action; return its response data or the changed states."""
        path = f"/api/services/{domain}/{service}"
        if return_response:
            path += "?return_response"
        reply = await self.request("POST", path, json=data or {})
        return reply["service_response"] if return_response else reply

    # ----- config entries -----------------------------------------------------

    async def config_entries(self, domain: str) -> list[JSON]:
        """Return the config entries of an integration."""
        entries: list[JSON] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    async def start_config_flow(self, handler: str) -> JSON:
        """Start a config flow (the "Add integration" button)."""
        result: JSON = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            json={"handler": handler, "show_advanced_options": False},
        )
        return result

    async def configure_flow(self, flow_id: str, user_input: JSON) -> JSON:
        """Submit a step of a config flow."""
        result: JSON = await self.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", json=user_input
        )
        return result

    async def set_options(self, entry_id: str, options: JSON) -> JSON:
        """Run the options flow of an entry with ``options`` as its input."""
        flow = await self.request(
            "POST",
            "/api/config/config_entries/options/flow",
            json={"handler": entry_id, "show_advanced_options": False},
        )
        result: JSON = await self.request(
            "POST",
            f"/api/config/config_entries/options/flow/{flow['flow_id']}",
            json=options,
        )
        return result

    async def remove_config_entry(self, entry_id: str) -> None:
        """Delete a config entry."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def reload_entry(self, entry_id: str) -> JSON:
        """Reload a config entry."""
        result: JSON = await self.request(
            "POST", f"/api/config/config_entries/entry/{entry_id}/reload"
        )
        return result

    def websocket(self) -> HomeAssistantWebSocket:
        """Return a WebSocket connection (use it with ``async with``)."""
        if self.token is None:
            raise RuntimeError("Not logged in")
        return HomeAssistantWebSocket(
            self.session, self.base_url + "/api/websocket", self.token
        )


class HomeAssistantWebSocket:
    """An authenticated WebSocket API connection with event subscriptions."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Prepare the connection; ``async with`` opens and authenticates it."""
        self._session = session
        self._url = url
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[JSON]] = {}
        self._events: dict[int, asyncio.Queue[JSON]] = {}

    async def __aenter__(self) -> Self:
        """Connect and authenticate."""
        self._ws = await self._session.ws_connect(self._url, max_msg_size=0)
        hello = await self._ws.receive_json()
        assert hello["type"] == "auth_required", hello
        await self._ws.send_json({"type": "auth", "access_token": self._token})
        reply = await self._ws.receive_json()
        if reply["type"] != "auth_ok":
            await self._ws.close()
            raise HomeAssistantCommandError({"code": "auth", "message": str(reply)})
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the connection and stop reading."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            for item in _messages(message.json()):
                msg_id = int(item.get("id", 0))
                if item.get("type") == "event" and msg_id in self._events:
                    self._events[msg_id].put_nowait(item["event"])
                elif (
                    future := self._pending.pop(msg_id, None)
                ) is not None and not future.done():
                    future.set_result(item)
        error = ConnectionError("WebSocket closed")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()

    async def command(self, command_type: str, **data: Any) -> Any:
        """Send a command and return its result (raise if it failed)."""
        assert self._ws is not None
        msg_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        await self._ws.send_json({"id": msg_id, "type": command_type, **data})
        reply = await asyncio.wait_for(future, 60)
        if not reply.get("success", False):
            raise HomeAssistantCommandError(reply.get("error") or {})
        return reply.get("result")

    async def subscribe_events(self, event_type: str) -> asyncio.Queue[JSON]:
        """Subscribe to a bus event; return the queue its events arrive in."""
        msg_id = self._next_id
        queue: asyncio.Queue[JSON] = asyncio.Queue()
        # Registered first: an event may arrive right after the result.
        self._events[msg_id] = queue
        await self.command("subscribe_events", event_type=event_type)
        return queue

    async def call_service(
        self,
        domain: str,
        service: str,
        data: JSON | None = None,
        *,
        return_response: bool = False,
    ) -> Any:
        """Call an action the way the frontend does (errors come translated)."""
        result = await self.command(
            "call_service",
            domain=domain,
            service=service,
            service_data=data or {},
            return_response=return_response,
        )
        return result.get("response") if return_response else result


def _messages(payload: Any) -> list[JSON]:
    """Home Assistant may coalesce several messages into one JSON array."""
    return payload if isinstance(payload, list) else [payload]
