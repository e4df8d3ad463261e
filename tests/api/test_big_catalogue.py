"""A huge catalogue (issue 17 item 5, client part): decoded and parsed off the loop.

A 20 MB `services` reply used to be decoded (`json.loads`) and parsed on the
event loop: seconds of stall. Now a large reply is decoded in a worker thread,
one element at a time (no single call into C sees more than one element), and
a catalogue is kept as compact rows. No test here measures time: they prove
the structure (the loop runs while a reply is parsed; no decoding step sees
more than an element) and that the result is what `json.loads` gives. The
figures are in tests/bench/bench_catalogue.py.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
import gc
import json
from typing import Any

import pytest

from custom_components.smm_panel.api import (
    Catalogue,
    CatalogueItem,
    CatalogueItems,
    SmmPanelClient,
    SmmPanelInvalidResponseError,
    SmmPanelRequestError,
    incremental_json,
)
from custom_components.smm_panel.api.client import LARGE_REPLY_BYTES
from custom_components.smm_panel.api.incremental_json import (
    MAX_ELEMENT_CHARS,
    decode_incrementally,
    text_of,
)
from simulator import PanelSimulator, SimulatorServer
from tests.loop_witness import LoopWitness
from tests.loopback import API_KEY

from .conftest import ClientFactory, FixedPanel

DEPTH = 1000  # the client's MAX_JSON_DEPTH


def _services(count: int, **extra: Any) -> list[dict[str, Any]]:
    """Return `count` catalogue entries as a panel sends them."""
    return [
        {
            "service": 1 + index,
            "name": f"Followers {index}",
            "type": "Default",
            "category": ("Instagram", "TikTok", "YouTube")[index % 3],
            "rate": ("0.90", "1.25", "0.05")[index % 3],
            "min": "50",
            "max": 10000,
            "refill": index % 2 == 0,
            **extra,
        }
        for index in range(count)
    ]


# --- the event loop runs while a large reply is decoded and parsed -------------------


async def test_the_loop_runs_while_a_catalogue_is_parsed(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each service is parsed while the event loop goes on serving others."""
    fixed_panel.reply(_services(3))
    witness = LoopWitness(asyncio.get_running_loop())
    monkeypatch.setattr(
        CatalogueItem, "from_json", witness.witnessing(CatalogueItem.from_json)
    )

    services = await fixed_client.async_get_catalogue()

    assert witness.checked
    assert witness.ran
    assert [service.service_id for service in services] == [1, 2, 3]


async def test_the_loop_runs_while_a_large_reply_is_decoded(
    fixed_panel: FixedPanel,
    fixed_client: SmmPanelClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any reply past LARGE_REPLY_BYTES (here a bulk status) is decoded off the loop."""
    padding = "x" * (LARGE_REPLY_BYTES // 2)
    fixed_panel.reply(
        {
            "1": {"status": "Completed", "charge": "0.5", "note": padding},
            "2": {"status": "Pending", "charge": "0.1", "note": padding},
        }
    )
    witness = LoopWitness(asyncio.get_running_loop())
    decoder = json.JSONDecoder()

    class Spy:
        raw_decode = staticmethod(witness.witnessing(decoder.raw_decode))

    monkeypatch.setattr(incremental_json, "_DECODER", Spy())

    statuses = await fixed_client.async_get_orders_status([1, 2])

    assert witness.ran
    assert {order_id: s.raw_status for order_id, s in statuses.items()} == {  # type: ignore[union-attr]
        1: "Completed",
        2: "Pending",
    }


# --- decoding in steps gives what json.loads gives ------------------------------------


def _number_across_the_first_window() -> str:
    """A list whose second element, a long number, starts just before 512."""
    head = json.dumps("a" * 500)
    return f"[{head}, 1234567890123456789012345678901234567890, 2]"


SAME_AS_JSON_LOADS = {
    "empty list": "[]",
    "empty object": "{}",
    "spaces everywhere": ' \r\n [ 1 ,\t"a" , { } , [ ] , null , true ] \n',
    "object": '{"a": [1, {"b": 2.5}], "c": "x", "d": null}',
    "duplicate names": '{"a": 1, "a": 2}',
    "long texts": json.dumps(["x" * 600, "y" * 5000, "z" * 70_000]),
    "number across a window": _number_across_the_first_window(),
    "escapes and unicode": json.dumps(['q"uote\\', "خدمة", "\u2028", "😀" * 300]),
    "nested a hundred deep": "[" + "[" * 100 + "]" * 100 + "]",
    "special numbers": "[NaN, Infinity, -Infinity, 1e400, -0.0]",
    "a catalogue": json.dumps(_services(2000)),
}


@pytest.mark.parametrize(
    "text", SAME_AS_JSON_LOADS.values(), ids=SAME_AS_JSON_LOADS.keys()
)
def test_same_result_as_json_loads(text: str) -> None:
    """Valid JSON lists and objects decode exactly as json.loads decodes them."""
    decoded = decode_incrementally(text, DEPTH)
    assert json.dumps(decoded) == json.dumps(json.loads(text))


REFUSED = {
    "trailing comma in a list": "[1,]",
    "missing comma": "[1 2]",
    "missing colon": '{"a" 1}',
    "trailing comma in an object": '{"a": 1,}',
    "name not a text": "{1: 2}",
    "unclosed list": "[1, 2",
    "unclosed object": '{"a": ',
    "extra data": "[1] x",
    "two values": "[1] [2]",
    "a bare text": json.dumps("x" * 100),
    "a bare number": "12",
    "empty": "",
    "byte order mark": "\ufeff[]",
    "an HTML page": "<html><body>Cloudflare</body></html>",
    "nested too deep": "[" + "[" * 5000 + "]" * 5000 + "]",
    "an object nested too deep": '[{"a":' * 3000 + "1" + "}" * 3000 + "]",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_refused_like_json_loads(text: str) -> None:
    """What is not a usable JSON list or object is refused with ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - as json.loads: any ValueError
        decode_incrementally(text, DEPTH)


def test_an_element_larger_than_the_bound_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No element may be larger than MAX_ELEMENT_CHARS, whatever its kind."""
    monkeypatch.setattr(incremental_json, "MAX_ELEMENT_CHARS", 10_000)
    assert decode_incrementally(json.dumps(["x" * 9000]), DEPTH) == ["x" * 9000]
    elements = [
        json.dumps(element)
        for element in ("x" * 20_000, list(range(5000)), {"a": "y" * 20_000})
    ]
    elements.append("0." + "1" * 20_000)  # a number that parses at any length
    for element in elements:
        with pytest.raises(ValueError, match="too large|Unterminated|Expecting"):
            decode_incrementally(f"[{element}, 1]", DEPTH)


def test_no_decoding_step_sees_more_than_an_element(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each call into the C decoder gets one element's worth of text, at most."""
    pieces: list[int] = []
    decoder = json.JSONDecoder()

    class Spy:
        def raw_decode(self, text: str) -> tuple[Any, int]:
            pieces.append(len(text))
            return decoder.raw_decode(text)

    monkeypatch.setattr(incremental_json, "_DECODER", Spy())
    services = _services(5000, description="d" * 100)
    text = json.dumps(services)

    assert decode_incrementally(text, DEPTH) == services
    assert len(pieces) >= len(services)
    assert max(pieces) <= MAX_ELEMENT_CHARS
    assert max(pieces) < len(text) // 100


def test_elements_are_converted_as_they_are_decoded() -> None:
    """A converter keeps what it returns and leaves out what it makes None."""
    converted = decode_incrementally(
        "[1, 2, 3, 4]", DEPTH, lambda value: None if value % 2 else value * 10
    )
    assert converted == [20, 40]
    # An object's members are kept as they are: a converter is for lists.
    assert decode_incrementally('{"a": 1}', DEPTH, lambda value: None) == {"a": 1}


@pytest.mark.parametrize(
    ("raw", "charset", "text"),
    [
        ("é→".encode(), "utf-8", "é→"),
        ("é".encode("latin-1"), "latin-1", "é"),
        (b"\xff ok", "utf-8", "\ufffd ok"),
        ("é".encode(), "no-such-charset", "é"),
        ("é".encode(), "rot13", "é"),  # a codec, but not a text encoding
    ],
)
def test_text_of(raw: bytes, charset: str, text: str) -> None:
    """Bytes become text as `bytes.decode(errors="replace")` makes them."""
    assert text_of(raw, charset) == text


def test_text_of_keeps_characters_cut_between_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A character whose bytes fall in two chunks is decoded whole."""
    assert text_of([b"h\xc3", b"\xa9llo \xf0\x9f", b"\x98\x80"], "utf-8") == "héllo 😀"
    monkeypatch.setattr(incremental_json, "_TEXT_CHUNK_BYTES", 1)
    assert text_of("héllo → خدمة 😀".encode(), "utf-8") == "héllo → خدمة 😀"


# --- the whole client path ------------------------------------------------------------


async def test_large_catalogue_parses_like_a_small_one(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """Every entry is parsed as CatalogueItem.from_json parses it; bad ones skipped."""
    entries: list[Any] = _services(3000)
    entries[5] = {"service": 6, "name": "no rate"}
    entries[7] = "not an object"
    entries[9] = {**entries[9], "rate": "1e5"}
    fixed_panel.reply(entries)
    assert len(json.dumps(entries)) > LARGE_REPLY_BYTES

    services = await fixed_client.async_get_catalogue()

    expected = [
        item for item in map(CatalogueItem.from_json, entries) if item is not None
    ]
    assert services == expected
    assert len(services) == 2997


@pytest.mark.parametrize(
    "body",
    [
        "[" + json.dumps(_services(1000))[1:-1] + ",]",
        json.dumps({"1": _services(1000)}),
        json.dumps(_services(1000)) + "<!-- cached -->",
    ],
    ids=["trailing comma", "an object", "extra data"],
)
async def test_large_unusable_catalogue_is_refused(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient, body: str
) -> None:
    """A large reply that is not a list of services is refused, as a small one."""
    fixed_panel.reply(raw=body)
    with pytest.raises(SmmPanelInvalidResponseError):
        await fixed_client.async_get_catalogue()


async def test_large_error_reply_is_still_an_error(
    fixed_panel: FixedPanel, fixed_client: SmmPanelClient
) -> None:
    """A large `{"error": ...}` reply is the panel's refusal, not a catalogue."""
    fixed_panel.reply({"error": "Incorrect request", "debug": "d" * LARGE_REPLY_BYTES})
    with pytest.raises(SmmPanelRequestError, match="^Incorrect request$"):
        await fixed_client.async_get_catalogue()


# --- what is kept ---------------------------------------------------------------------


async def test_equal_values_are_kept_once(make_client: ClientFactory) -> None:
    """Services of one category, type or rate share one object (memory)."""
    panel_services = PanelSimulator(api_key=API_KEY, extra_services=6000).services
    services = await _catalogue_of(make_client, panel_services)
    for value in (
        lambda service: service.category,
        lambda service: service.type,
        lambda service: service.rate,
        lambda service: service.max,
    ):
        objects: dict[str, set[int]] = {}
        for service in services:
            objects.setdefault(str(value(service)), set()).add(id(value(service)))
        assert len(objects) < len(services) / 2
        assert all(len(ids) == 1 for ids in objects.values())


async def _catalogue_of(make_client: ClientFactory, services: Any) -> CatalogueItems:
    panel = PanelSimulator(api_key=API_KEY)
    panel.services = services
    async with SimulatorServer(panel) as server:
        return await make_client(server.url).async_get_catalogue()


def _tracked_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


async def test_a_kept_catalogue_adds_no_work_to_the_garbage_collector(
    make_client: ClientFactory,
) -> None:
    """20 000 services kept add a few objects to what the collector visits.

    Python's cyclic garbage collector visits every tracked object of Home
    Assistant, holding the GIL; a catalogue of 150 000 objects made each
    collection longer, and its arrival caused one.
    """
    panel_services = PanelSimulator(api_key=API_KEY, extra_services=20_000).services
    before = _tracked_objects()
    services = await _catalogue_of(make_client, panel_services)
    catalogue = services.index_by_id()
    del services
    assert len(catalogue) > 20_000
    # Only the distinct rates (a Decimal is tracked), and a few containers.
    rates = {str(service.rate) for service in panel_services.values()}
    assert len(rates) < 2000
    assert _tracked_objects() - before < len(rates) + 500


# --- the containers -------------------------------------------------------------------


def _items() -> list[CatalogueItem]:
    return [
        CatalogueItem(7, "Likes", "Default", "IG", Decimal("0.90"), 10, 100),
        CatalogueItem(3, "Views", "Package", "YT", Decimal("0.9"), 1, 5, True),
        CatalogueItem(7, "Likes v2", "Default", "IG", Decimal("1.5"), 10, 100),
    ]


def _rows_of(items: list[CatalogueItem]) -> CatalogueItems:
    catalogue = Catalogue.of(items)
    return CatalogueItems(
        [catalogue._rows[item.service_id] for item in items],
        catalogue._rates,
    )


def test_catalogue_items_behave_as_a_list() -> None:
    """CatalogueItems: equal to the list of the same items, indexable, sliceable."""
    items = _items()[:2]
    services = _rows_of(items)
    assert services == items
    assert services != items[:1]
    assert services != [*items[:1], items[0]]
    assert services == _rows_of(items)
    assert (services == "text") is False
    assert list(services) == items
    assert services[1] == items[1]
    assert services[-1] == items[-1]
    assert services[1:] == items[1:]
    assert len(services) == 2
    assert repr(services) == "CatalogueItems(2 services)"
    with pytest.raises(TypeError):
        hash(services)


def test_catalogue_behaves_as_a_mapping() -> None:
    """Catalogue: a read-only mapping by id; a later duplicate id wins."""
    items = _items()
    catalogue = Catalogue.of(items)
    assert len(catalogue) == 2
    assert list(catalogue) == [7, 3]
    assert catalogue[7] == items[2]
    assert catalogue.get(3) == items[1]
    assert catalogue.get(4) is None
    assert catalogue.get(4, items[0]) == items[0]
    assert 3 in catalogue
    assert "3" not in catalogue
    assert list(catalogue.values()) == [items[2], items[1]]
    assert list(catalogue.items()) == [(7, items[2]), (3, items[1])]
    assert dict(catalogue) == {7: items[2], 3: items[1]}
    assert catalogue == {7: items[2], 3: items[1]}
    assert catalogue.watched(3) == ("Views", Decimal("0.9"), 1, 5)
    assert catalogue.watched(4) is None
    assert repr(catalogue) == "Catalogue(2 services)"
    assert _rows_of(items).index_by_id() == catalogue
    with pytest.raises(KeyError):
        catalogue[4]
    assert len(Catalogue()) == 0


def test_rates_keep_their_own_form() -> None:
    """ "0.90" and "0.9" are equal rates, each kept as the panel wrote it."""
    catalogue = Catalogue.of(_items()[:2])
    assert str(catalogue[7].rate) == "0.90"
    assert str(catalogue[3].rate) == "0.9"
