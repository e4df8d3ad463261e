"""Protocol behaviour of the panel simulator, without HTTP.

The simulator answers in the shapes of the real replies kept in
tests/fixtures/protocol (docs/protocol.md, section 11), the samples the client's
tests parse: where it can, with the very same reply.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from simulator import Dialect, PanelSimulator, SimClock, build_catalogue
from simulator.catalogue import ALL_TYPES
from simulator.faults import RATE_LIMIT_MESSAGE
from tests.protocol_samples import sample, shape

KEY = "test-key"
LINK = "https://instagram.com/p/abc"

# Error replies of real panels (docs/protocol.md, section 6).
INCORRECT_REQUEST = sample("errors/incorrect_request")
INCORRECT_ORDER_ID = sample("errors/incorrect_order_id")
INCORRECT_SERVICE_ID = sample("errors/incorrect_service_id")
REFILL_NOT_FOUND = sample("errors/refill_not_found")


@pytest.fixture
def sim() -> PanelSimulator:
    """A fresh panel with the default catalogue and 100 USD."""
    return PanelSimulator(api_key=KEY, balance=Decimal("100.00"))


def call(sim: PanelSimulator, action: str, key: str = KEY, **fields: Any) -> Any:
    """Send one request and decode the JSON reply."""
    form = {"key": key, "action": action, **{k: str(v) for k, v in fields.items()}}
    reply = sim.handle(form)
    assert reply.status == 200
    return reply.json()


def add(sim: PanelSimulator, **fields: Any) -> Any:
    """Place an order through the protocol."""
    return call(sim, "add", **fields)


def test_catalogue_covers_every_type_and_example_service() -> None:
    """Service 1 is the API page's example, every API v2 type exists, extras stable."""
    services = build_catalogue()
    assert {s.type for s in services} == set(ALL_TYPES)
    first = services[0]
    assert (first.service_id, first.name, first.type, first.category) == (
        1,
        "Followers",
        "Default",
        "First Category",
    )
    assert (first.rate, first.min, first.max) == (Decimal("0.90"), 50, 10000)
    assert (first.refill, first.cancel, first.dripfeed) == (True, True, True)
    big = build_catalogue(extra=5000)
    assert len(big) == len(services) + 5000
    assert len({s.service_id for s in big}) == len(big)
    assert build_catalogue(extra=5000) == big


def test_services_reply_as_the_api_page(sim: PanelSimulator) -> None:
    """Service 1 is the API page's example (plus dripfeed); numbers in that dialect."""
    (example,) = sample("examples/services")
    services = call(sim, "services")
    assert services[0] == {**example, "dripfeed": True}
    assert shape(services) == shape([{**example, "dripfeed": True}])
    sim.dialect.numbers_as_numbers = True
    assert call(sim, "services")[0] == sample("dialects/services_numbers")[0]


def test_key_and_action_errors(sim: PanelSimulator) -> None:
    """Bad keys and unknown actions get the panel's messages."""
    invalid_key = sample("errors/invalid_key")
    assert call(sim, "balance", key="nope") == invalid_key
    assert sim.handle({"action": "balance"}).json() == invalid_key
    assert call(sim, "dance") == sample("errors/incorrect_request")
    sim.revoke_key(KEY)
    assert call(sim, "balance") == invalid_key


def test_balance_and_accounts(sim: PanelSimulator) -> None:
    """Each key has its own balance and currency; money decimals follow dialect."""
    sim.add_account("eur-key", Decimal("12.5"), "EUR")
    assert call(sim, "balance") == {"balance": "100.00000", "currency": "USD"}
    assert call(sim, "balance", key="eur-key") == {
        "balance": "12.50000",
        "currency": "EUR",
    }
    sim.dialect.money_decimals = 2
    assert call(sim, "balance")["balance"] == "100.00"
    sim.dialect.numbers_as_numbers = True
    assert call(sim, "balance")["balance"] == 100.0


@pytest.mark.parametrize(
    ("fields", "reply"),
    [
        ({"service": 999, "link": LINK, "quantity": 100}, INCORRECT_SERVICE_ID),
        ({"service": "x", "link": LINK, "quantity": 100}, INCORRECT_SERVICE_ID),
        ({"service": 1, "quantity": 100}, INCORRECT_REQUEST),
        ({"service": 1, "link": LINK}, INCORRECT_REQUEST),
        (
            {"service": 1, "link": LINK, "quantity": 10},
            sample("errors/quantity_below_minimum"),
        ),
        (
            {"service": 7, "link": LINK, "comments": "\n".join(["Nice"] * 1001)},
            sample("errors/quantity_above_maximum"),
        ),
        (
            {"service": 1, "link": LINK, "quantity": 20000},
            {"error": "Quantity more than maximum 10000"},
        ),
        (
            {"service": 3, "link": LINK, "quantity": 50000},
            sample("errors/not_enough_funds"),
        ),
        (
            {"service": 2, "link": LINK, "quantity": 100, "runs": 2, "interval": 5},
            INCORRECT_REQUEST,
        ),
        ({"service": 7, "link": LINK}, INCORRECT_REQUEST),  # no comments
        (
            {"service": 9, "link": LINK, "quantity": 100, "usernames": "a"},
            INCORRECT_REQUEST,
        ),
        ({"service": 18, "username": "bob", "min": 50}, INCORRECT_REQUEST),
        (
            {"service": 20, "link": LINK, "quantity": 1000, "country": "US"},
            INCORRECT_REQUEST,
        ),
    ],
)
def test_add_validation(sim: PanelSimulator, fields: dict, reply: Any) -> None:
    """Invalid orders are refused with the exact messages and cost nothing."""
    assert add(sim, **fields) == reply
    assert sim.balance() == Decimal("100.00")
    assert sim.orders == {}


def test_add_charges_and_rejects_duplicate_link(sim: PanelSimulator) -> None:
    """An order is charged rate * quantity / 1000; same link twice is refused."""
    assert add(sim, service=1, link=LINK, quantity=500) == sample("examples/add")
    order = sim.orders[23501]
    assert order.charge == Decimal("0.45")
    assert (order.status, order.remains, order.quantity) == ("Pending", 500, 500)
    assert sim.balance() == Decimal("99.55")
    assert add(sim, service=1, link=LINK, quantity=500) == sample(
        "errors/active_order_with_link"
    )
    assert add(sim, service=1, link=LINK + "2", quantity=500) == {"order": 23502}
    assert sim.count("add") == 3


def test_add_type_specific_fields(sim: PanelSimulator) -> None:
    """Packages, comment lists, subscriptions and drip-feed are priced right."""
    assert "order" in add(sim, service=6, link=LINK)
    package = sim.orders[23501]
    assert (package.quantity, package.charge) == (1, Decimal("4.99"))

    comments = "Nice!\n\nGreat post\nLove it\nWow\nSuper\n"
    assert "order" in add(sim, service=7, link=LINK, comments=comments)
    custom = sim.orders[23502]
    assert custom.quantity == 5
    assert custom.charge == Decimal("0.06")
    assert custom.fields["comments"] == comments

    reply = add(sim, service=18, username="bob", min=50, max=100, delay=30, posts=4)
    sub = sim.orders[reply["order"]]
    assert (sub.link, sub.quantity, sub.charge) == ("bob", 400, Decimal("0.16"))

    reply = add(sim, service=1, link=LINK, quantity=100, runs=3, interval=10)
    drip = sim.orders[reply["order"]]
    assert (drip.quantity, drip.remains, drip.charge) == (100, 300, Decimal("0.27"))

    reply = add(
        sim,
        service=20,
        link="https://example.com",
        quantity=1000,
        country="US",
        device="1",
        type_of_traffic="1",
    )
    assert "order" in reply


def test_package_dialect_needs_quantity(sim: PanelSimulator) -> None:
    """A PHP reseller panel answers HTTP 400 to a Package order without quantity.

    With one it checks the quantity against the catalogue's min and max (1 and
    1 for service 6) and charges the package's rate; the default dialect takes
    a Package order with or without a quantity.
    """
    assert "order" in add(sim, service=6, link=LINK, quantity=1)
    sim.dialect.package_needs_quantity = True
    form = {"key": KEY, "action": "add", "service": "6", "link": LINK + "2"}
    reply = sim.handle(form)
    assert (reply.status, reply.json()) == (
        400,
        {"error": "Missing required parameters"},
    )
    assert add(sim, service=6, link=LINK + "2", quantity=2) == {
        "error": "Quantity more than maximum 1"
    }
    assert add(sim, service=6, link=LINK + "2", quantity=1) == {"order": 23502}
    assert sim.orders[23502].charge == Decimal("4.99")
    assert sim.balance() == Decimal("90.02")


def test_order_progress_follows_clock(sim: PanelSimulator) -> None:
    """Pending for 60 s, delivered over 600 s, then Completed."""
    order_id = add(sim, service=1, link=LINK, quantity=1000)["order"]
    status = call(sim, "status", order=order_id)
    assert status == {
        "charge": "0.90000",
        "start_count": str(sim.orders[order_id].start_count),
        "status": "Pending",
        "remains": "1000",
        "currency": "USD",
    }
    sim.advance(60 + 300)
    status = call(sim, "status", order=order_id)
    assert (status["status"], status["remains"]) == ("In progress", "500")
    sim.advance(300)
    status = call(sim, "status", order=order_id)
    assert (status["status"], status["remains"]) == ("Completed", "0")
    # A completed order frees the link for a new one.
    assert "order" in add(sim, service=1, link=LINK, quantity=1000)


def test_forced_status_and_dialect_spellings(sim: PanelSimulator) -> None:
    """Forced statuses stick; dialects respell and lowercase them."""
    order = sim.create_order(2, 100, status="Canceled")
    sim.advance(10_000)
    assert call(sim, "status", order=order.order_id)["status"] == "Canceled"
    sim.dialect.cancelled_spelling = "Cancelled"
    assert call(sim, "status", order=order.order_id)["status"] == "Cancelled"
    sim.dialect.use_refunded = True
    assert call(sim, "status", order=order.order_id)["status"] == "Refunded"
    sim.set_order_status(order.order_id, "Fail")
    sim.dialect = Dialect(failed_spelling="Failed", lowercase_status=True)
    assert call(sim, "status", order=order.order_id)["status"] == "failed"
    sim.set_order_status(order.order_id, "In progress", remains=7)
    sim.dialect.numbers_as_numbers = True
    status = call(sim, "status", order=order.order_id)
    assert (status["status"], status["remains"]) == ("in progress", 7)
    assert status["charge"] == 0.015


def test_bulk_status(sim: PanelSimulator) -> None:
    """Bulk status is keyed by id; unknown and foreign ids are errors."""
    sim.add_account("other", Decimal(10), "USD")
    mine = sim.create_order(1, 100)
    foreign = sim.create_order(1, 100, api_key="other")
    reply = call(sim, "status", orders=f"{mine.order_id},{foreign.order_id},10")
    assert reply[str(mine.order_id)]["status"] == "Pending"
    assert reply[str(foreign.order_id)] == INCORRECT_ORDER_ID
    assert reply["10"] == INCORRECT_ORDER_ID
    assert call(sim, "status", order=foreign.order_id) == INCORRECT_ORDER_ID


def test_bulk_limit_and_truncation(sim: PanelSimulator) -> None:
    """More than 100 ids is refused, unless the panel silently cuts the list."""
    ids = ",".join(str(23501 + i) for i in range(101))
    assert call(sim, "status", orders=ids) == INCORRECT_REQUEST
    assert call(sim, "cancel", orders=ids) == INCORRECT_REQUEST
    assert len(call(sim, "status", orders=ids.rsplit(",", 1)[0])) == 100
    sim.dialect.truncate_bulk_at = 100
    assert len(call(sim, "status", orders=ids)) == 100
    assert len(call(sim, "refill", orders=ids)) == 100


def test_refills(sim: PanelSimulator) -> None:
    """Refills need a refillable, finished order and progress with the clock."""
    done = sim.create_order(1, 100, status="Completed")
    partial = sim.create_order(1, 100, link="https://x/2", status="Partial")
    running = sim.create_order(1, 100, link="https://x/3")
    no_refill = sim.create_order(2, 100, status="Completed")
    assert call(sim, "refill", order=done.order_id) == {"refill": "1001"}
    assert call(sim, "refill", order=running.order_id) == {
        "error": "Refill is not available for this order"
    }
    assert call(sim, "refill", order=1) == INCORRECT_ORDER_ID
    ids = f"{partial.order_id},{no_refill.order_id},3"
    assert call(sim, "refill", orders=ids) == [
        {"order": partial.order_id, "refill": 1002},
        {
            "order": no_refill.order_id,
            "refill": {"error": "Refill is not available for this order"},
        },
        {"order": 3, "refill": INCORRECT_ORDER_ID},
    ]
    sim.dialect.flat_bulk_errors = True
    assert call(sim, "refill", orders="3")[0] == {"order": 3, **INCORRECT_ORDER_ID}

    assert call(sim, "refill_status", refill=1001) == {"status": "Pending"}
    sim.advance(60)
    assert call(sim, "refill_status", refill=1001) == {"status": "In progress"}
    sim.advance(240)
    assert call(sim, "refill_status", refill=1001) == {"status": "Completed"}
    sim.set_refill_status(1002, "Rejected")
    sim.dialect.flat_bulk_errors = False
    assert call(sim, "refill_status", refills="1001,1002,7") == [
        {"refill": 1001, "status": "Completed"},
        {"refill": 1002, "status": "Rejected"},
        {"refill": 7, "status": REFILL_NOT_FOUND},
    ]
    assert call(sim, "refill_status", refill=7) == REFILL_NOT_FOUND
    assert sim.refills[1001].order_id == done.order_id


def test_cancel_refunds_remains(sim: PanelSimulator) -> None:
    """Cancel turns an active order Canceled and refunds the undelivered part."""
    order_id = add(sim, service=1, link=LINK, quantity=1000)["order"]
    no_cancel = sim.create_order(2, 100)
    finished = sim.create_order(1, 100, link="https://x/2", status="Completed")
    sim.advance(60 + 150)  # a quarter delivered
    balance_before = sim.balance()
    reply = call(
        sim,
        "cancel",
        orders=f"{order_id},{no_cancel.order_id},{finished.order_id},9",
    )
    unavailable = {"error": "Cancel is not available for this order"}
    assert reply == [
        {"order": order_id, "cancel": 1},
        {"order": no_cancel.order_id, "cancel": unavailable},
        {"order": finished.order_id, "cancel": unavailable},
        {"order": 9, "cancel": INCORRECT_ORDER_ID},
    ]
    assert sim.balance() == balance_before + Decimal("0.675")
    assert sim.orders[order_id].status == "Canceled"
    sim.advance(1000)
    assert call(sim, "status", order=order_id)["status"] == "Canceled"
    assert call(sim, "cancel", orders=order_id) == [
        {"order": order_id, "cancel": unavailable}
    ]


def test_cancel_dialects(sim: PanelSimulator) -> None:
    """Some panels return a cancel-request id and flat errors."""
    sim.dialect.cancel_returns_id = True
    sim.dialect.flat_bulk_errors = True
    order = sim.create_order(1, 100)
    assert call(sim, "cancel", orders=f"{order.order_id},5") == [
        {"order": order.order_id, "cancel": 501},
        {"order": 5, **INCORRECT_ORDER_ID},
    ]


def test_request_log_redacts_key(sim: PanelSimulator) -> None:
    """Every request is logged with the key hidden; the log can be reset."""
    call(sim, "balance")
    call(sim, "balance", key="wrong")
    sim.advance(5)
    call(sim, "services")
    assert sim.count("balance") == 2
    assert sim.requests[0].params == {"key": "**REDACTED**", "action": "balance"}
    assert sim.requests[-1].time == 5
    sim.reset_log()
    assert sim.requests == []


def test_realtime_clock() -> None:
    """The CLI clock follows real time times speed, plus manual jumps."""
    fake_now = [100.0]
    clock = SimClock(realtime=True, speed=10.0, monotonic=lambda: fake_now[0])
    fake_now[0] = 102.5
    assert clock.now == 25.0
    clock.advance(5)
    assert clock.now == 30.0


# --- the same replies as the samples the client's tests parse -------------------


def test_balance_as_the_samples(sim: PanelSimulator) -> None:
    """The API page's balance, and its numbers dialect, exactly."""
    sim.set_balance(Decimal("100.84292"))
    assert call(sim, "balance") == sample("examples/balance")
    sim.dialect.numbers_as_numbers = True
    assert call(sim, "balance") == sample("dialects/balance_numbers")


def test_status_as_the_samples(sim: PanelSimulator) -> None:
    """The API page's status of an order, exactly; its bulk status, same shape."""
    order = sim.create_order(1, 1000, status="Partial")
    order.charge, order.start_count = Decimal("0.27819"), 3572
    sim.set_order_status(order.order_id, "Partial", remains=157)
    assert call(sim, "status", order=order.order_id) == sample("examples/status")
    running = sim.create_order(1, 100, link="https://x/2")
    sim.advance(60 + 60)
    bulk = call(sim, "status", orders=f"{order.order_id},10,{running.order_id}")
    assert bulk["10"] == sample("examples/status_bulk")["10"]
    assert shape(bulk) == shape(sample("examples/status_bulk"))
    sim.dialect.numbers_as_numbers = True
    assert call(sim, "status", order=order.order_id) == sample(
        "dialects/status_numbers"
    )


def test_refills_as_the_samples(sim: PanelSimulator) -> None:
    """Refill and refill status replies, single and bulk, nested or flat errors."""
    done = sim.create_order(1, 100, status="Completed")
    partial = sim.create_order(1, 100, link="https://x/2", status="Partial")
    single = call(sim, "refill", order=done.order_id)
    assert shape(single) == shape(sample("examples/refill"))  # the id as a string
    bulk = call(sim, "refill", orders=f"{partial.order_id},3")
    assert shape(bulk) == shape(sample("examples/refill_bulk"))
    first, second = int(single["refill"]), bulk[0]["refill"]

    assert shape(call(sim, "refill_status", refill=first)) == shape(
        sample("examples/refill_status")
    )
    sim.set_refill_status(first, "Completed")
    sim.set_refill_status(second, "Rejected")
    statuses = call(sim, "refill_status", refills=f"{first},{second},3")
    assert statuses[:2] == [
        {"refill": first, "status": "Completed"},
        {"refill": second, "status": "Rejected"},
    ]
    assert shape(statuses) == shape(sample("examples/refill_status_bulk"))

    sim.dialect.flat_bulk_errors = True
    again = sim.create_order(1, 100, link="https://x/3", status="Completed")
    assert shape(call(sim, "refill", orders=f"{again.order_id},3")) == shape(
        sample("dialects/refill_bulk_flat_errors")
    )
    assert shape(call(sim, "refill_status", refills=f"{second},3")) == shape(
        sample("dialects/refill_status_bulk_flat_errors")
    )


def test_cancel_as_the_samples(sim: PanelSimulator) -> None:
    """Cancel replies: accepted or refused, flat errors, cancel-request ids."""
    first = sim.create_order(1, 100)
    assert shape(call(sim, "cancel", orders=f"9,{first.order_id}")) == shape(
        sample("examples/cancel")
    )
    sim.dialect.flat_bulk_errors = True
    second = sim.create_order(1, 100, link="https://x/2")
    assert shape(call(sim, "cancel", orders=f"9,{second.order_id}")) == shape(
        sample("dialects/cancel_flat_errors")
    )
    sim.dialect.flat_bulk_errors = False
    sim.dialect.cancel_returns_id = True
    third = sim.create_order(1, 100, link="https://x/3")
    assert shape(call(sim, "cancel", orders=f"{third.order_id},9")) == shape(
        sample("dialects/cancel_request_ids")
    )


def test_rate_limit_text_as_the_sample() -> None:
    """The simulator refuses over its rate limit with the text panels send."""
    assert sample("errors/rate_limit") == {"error": RATE_LIMIT_MESSAGE}
