"""Checks of an `add_order` call, made before anything is sent to the panel.

An `add` costs money and is never retried, so every mistake the catalogue
lets us see is refused here, in the user's terms, rather than by the panel
(which answers most of them with a bare "Incorrect request").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
import re
from typing import Any, Final

from homeassistant.exceptions import ServiceValidationError

from .api import Balance, CatalogueItem, OrderRequest
from .const import (
    ATTR_INTERVAL,
    ATTR_LINK,
    ATTR_MAX,
    ATTR_MIN,
    ATTR_OLD_POSTS,
    ATTR_POSTS,
    ATTR_QUANTITY,
    ATTR_RUNS,
    ATTR_SERVICE,
    ATTR_TYPE_OF_TRAFFIC,
    ATTR_USERNAME,
    DOMAIN,
)

# Drip-feed sends the quantity `runs` times; panels refuse a single run.
MIN_DRIPFEED_RUNS: Final = 2

# Every field of `add` besides service, link and quantity (docs/protocol.md).
TYPE_FIELDS: Final = (
    ATTR_RUNS,
    ATTR_INTERVAL,
    "comments",
    "usernames",
    "hashtags",
    "hashtag",
    ATTR_USERNAME,
    "media",
    "answer_number",
    "groups",
    "keywords",
    ATTR_MIN,
    ATTR_MAX,
    ATTR_POSTS,
    ATTR_OLD_POSTS,
    "delay",
    "expiry",
    "country",
    "device",
    ATTR_TYPE_OF_TRAFFIC,
    "google_keyword",
    "referring_url",
)

# Web Traffic: the field each kind of traffic source needs (1 = Google keyword,
# 2 = custom referrer; 3 = blank referrer needs none).
_TRAFFIC_SOURCE_FIELDS: Final = {1: "google_keyword", 2: "referring_url"}


class Billing(StrEnum):
    """How a service type is priced, which also says what it takes as quantity."""

    QUANTITY = "quantity"  # rate x quantity x runs / 1000
    LINES = "lines"  # like QUANTITY, the quantity being the lines of a list field
    PACKAGE = "package"  # a fixed price: the rate
    SUBSCRIPTION = "subscription"  # rate x max x posts / 1000, and no link
    SPREAD = "spread"  # rate x max x old_posts / 1000, no link, no quantity


# The billings whose orders have no link: they target an account (username).
_NO_LINK: Final = frozenset({Billing.SUBSCRIPTION, Billing.SPREAD})
# The billings that read `min` and `max` as a per-post range.
_RANGED: Final = frozenset({Billing.SUBSCRIPTION, Billing.SPREAD})


@dataclass(frozen=True, slots=True)
class TypeRules:
    """What one service type needs and takes besides service (and link).

    `known` is False for a type this integration has no rules for: it gets the
    Default rules, may take any field, and its estimate may be wrong.
    """

    required: tuple[str, ...] = ()
    billing: Billing = Billing.QUANTITY
    counted_field: str | None = None  # for Billing.LINES
    optional: tuple[str, ...] = ()
    known: bool = True

    def accepted_fields(self) -> frozenset[str]:
        """Return every field of `add` this type takes."""
        fields = {*self.required, *self.optional}
        if self.billing not in _NO_LINK:
            fields.add(ATTR_LINK)
        if self.billing is Billing.QUANTITY:
            fields.update((ATTR_QUANTITY, ATTR_RUNS, ATTR_INTERVAL))
        return frozenset(fields)


_DEFAULT_RULES: Final = TypeRules()
_UNKNOWN_TYPE_RULES: Final = TypeRules(known=False)

# Keyed by the folded type name (see `type_key`); types a panel invents get the
# Default rules.
TYPE_RULES: Final[Mapping[str, TypeRules]] = {
    "default": _DEFAULT_RULES,
    "package": TypeRules(billing=Billing.PACKAGE),
    "custom comments": TypeRules(
        ("comments",), Billing.LINES, counted_field="comments"
    ),
    "mentions": _DEFAULT_RULES,
    "mentions with hashtags": TypeRules(("usernames", "hashtags")),
    "mentions custom list": TypeRules(
        ("usernames",), Billing.LINES, counted_field="usernames"
    ),
    "mentions hashtag": TypeRules(("hashtag",)),
    "mentions user followers": TypeRules((ATTR_USERNAME,)),
    "mentions media likers": TypeRules(("media",)),
    "comment likes": TypeRules((ATTR_USERNAME,)),
    "poll": TypeRules(("answer_number",)),
    "comment replies": TypeRules(
        (ATTR_USERNAME, "comments"), Billing.LINES, counted_field="comments"
    ),
    "invites from groups": TypeRules(("groups",)),
    "subscriptions": TypeRules(
        (ATTR_USERNAME, ATTR_MIN, ATTR_MAX, ATTR_POSTS, "delay"),
        Billing.SUBSCRIPTION,
        optional=(ATTR_OLD_POSTS, "expiry"),
    ),
    "likes spread": TypeRules(
        (ATTR_USERNAME, ATTR_MIN, ATTR_MAX, ATTR_OLD_POSTS), Billing.SPREAD
    ),
    "seo": TypeRules(("keywords",)),
    "web traffic": TypeRules(
        ("country", "device", ATTR_TYPE_OF_TRAFFIC),
        optional=tuple(_TRAFFIC_SOURCE_FIELDS.values()),
    ),
    "custom comments package": TypeRules(("comments",), Billing.PACKAGE),
}

_TYPE_SEPARATORS: Final = re.compile(r"[\s_-]+")


def type_key(type_name: str) -> str:
    """Fold a type name: `Custom_Comments` and `custom  comments` are one type."""
    return _TYPE_SEPARATORS.sub(" ", type_name).strip().casefold()


def rules_for(service: CatalogueItem) -> TypeRules:
    """Return the rules of a service's type."""
    return TYPE_RULES.get(type_key(service.type), _UNKNOWN_TYPE_RULES)


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """A checked order: what to send, and what it should cost."""

    service: CatalogueItem
    request: OrderRequest
    target: str | None  # the link, or the account of a subscription
    quantity: int | None  # units over all runs, to follow the delivery
    estimated_charge: Decimal
    estimate_exact: bool = True  # False for a type without known billing rules


def plan_order(
    catalogue: Mapping[int, CatalogueItem], data: Mapping[str, Any]
) -> OrderPlan:
    """Check an `add_order` call against the catalogue; return the order.

    Raises a translated ServiceValidationError naming the first problem found.
    """
    service = catalogue.get(data[ATTR_SERVICE])
    if service is None:
        raise _invalid("unknown_service", service=str(data[ATTR_SERVICE]))
    rules = rules_for(service)
    given = {
        name: data[name]
        for name in (ATTR_LINK, ATTR_QUANTITY, *TYPE_FIELDS)
        if data.get(name) not in (None, "", [], ())
    }
    _check_fields(service, rules, given)
    _check_dripfeed(service, given)
    units = _billed_units(service, rules, given)
    runs: int = given.get(ATTR_RUNS, 1)
    if rules.billing is Billing.PACKAGE:
        charge = service.rate
    else:
        charge = service.estimate_charge(units * runs)
    quantity = None if rules.billing is Billing.PACKAGE else units * runs
    target = given.get(ATTR_USERNAME if rules.billing in _NO_LINK else ATTR_LINK)
    sent_quantity: int | None = given.get(ATTR_QUANTITY)
    if rules.billing is Billing.PACKAGE:
        # Sent asked or not: some panels require it (docs/protocol.md, section 10).
        sent_quantity = package_quantity(service)
    return OrderPlan(
        service=service,
        request=OrderRequest(
            service=service.service_id,
            link=given.get(ATTR_LINK),
            quantity=sent_quantity,
            extra={name: given[name] for name in TYPE_FIELDS if name in given},
        ),
        target=target,
        quantity=quantity,
        estimated_charge=charge,
        estimate_exact=rules.known,
    )


def package_quantity(service: CatalogueItem) -> int | None:
    """Return the one quantity a package's catalogue entry allows (min = max).

    None when the entry allows a range: it then names no quantity to send.
    """
    return service.min if service.min == service.max else None


def check_balance(plan: OrderPlan, balance: Balance) -> None:
    """Refuse an order whose estimated charge is above the balance."""
    if plan.estimated_charge > balance.amount:
        raise _invalid(
            "insufficient_balance",
            charge=format_money(plan.estimated_charge),
            balance=format_money(balance.amount),
            currency=balance.currency,
        )


def format_money(amount: Decimal) -> str:
    """Show an amount with 2 decimals, or up to 5 when it needs them."""
    text = f"{amount:.5f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _check_fields(
    service: CatalogueItem, rules: TypeRules, given: Mapping[str, Any]
) -> None:
    """Refuse fields the type does not take, then list those it needs."""
    if rules.billing in _NO_LINK and ATTR_LINK in given:
        raise _invalid("link_not_used", **_describe(service))
    if rules.billing is not Billing.QUANTITY and ATTR_QUANTITY in given:
        _check_unbilled_quantity(service, rules, given[ATTR_QUANTITY])
    if rules.known:
        accepted = rules.accepted_fields()
        if unused := [
            name for name in given if name not in accepted and name != ATTR_QUANTITY
        ]:
            raise _invalid(
                "fields_not_used", fields=", ".join(unused), **_describe(service)
            )
    needed: list[str] = []
    if rules.billing not in _NO_LINK:
        needed.append(ATTR_LINK)
    if rules.billing is Billing.QUANTITY:
        needed.append(ATTR_QUANTITY)
    needed.extend(rules.required)
    if source_field := _TRAFFIC_SOURCE_FIELDS.get(given.get(ATTR_TYPE_OF_TRAFFIC, 0)):
        needed.append(source_field)
    if missing := [name for name in needed if name not in given]:
        raise _invalid(
            "missing_fields", fields=", ".join(missing), **_describe(service)
        )


def _check_unbilled_quantity(
    service: CatalogueItem, rules: TypeRules, quantity: int
) -> None:
    """Refuse a quantity given to a type not billed by quantity.

    A package takes the one quantity its catalogue entry allows (min = max):
    some panels require it. Any other quantity, or one for another type, is
    refused: it would not be what the panel sells or bills.
    """
    allowed = package_quantity(service) if rules.billing is Billing.PACKAGE else None
    if allowed is None:
        raise _invalid("quantity_not_used", **_describe(service))
    if quantity != allowed:
        raise _invalid("package_quantity", quantity=str(allowed), **_describe(service))


def _check_dripfeed(service: CatalogueItem, given: Mapping[str, Any]) -> None:
    """Drip-feed needs a service that offers it, and both runs and interval."""
    has_runs, has_interval = ATTR_RUNS in given, ATTR_INTERVAL in given
    if not (has_runs or has_interval):
        return
    if not service.dripfeed:
        raise _invalid("dripfeed_not_supported", **_describe(service))
    if not (has_runs and has_interval):
        raise _invalid("dripfeed_incomplete", **_describe(service))
    if given[ATTR_RUNS] < MIN_DRIPFEED_RUNS:
        raise _invalid(
            "dripfeed_runs", runs=str(MIN_DRIPFEED_RUNS), **_describe(service)
        )


def _billed_units(
    service: CatalogueItem, rules: TypeRules, given: Mapping[str, Any]
) -> int:
    """Return the units billed per run, after checking them against min/max."""
    if rules.billing is Billing.PACKAGE:
        return 1
    if rules.billing in _RANGED:
        low, high = given[ATTR_MIN], given[ATTR_MAX]
        if low > high or low < service.min or high > service.max:
            raise _invalid(
                "subscription_range",
                low=str(low),
                high=str(high),
                min=str(service.min),
                max=str(service.max),
            )
        # Billed for the most each post may get: the estimate is an upper bound.
        posts_field = (
            ATTR_POSTS if rules.billing is Billing.SUBSCRIPTION else ATTR_OLD_POSTS
        )
        posts: int = given[posts_field]
        return int(high) * posts
    if rules.billing is Billing.LINES:
        assert rules.counted_field is not None
        count = len(given[rules.counted_field])
        _check_range(service, count, "lines", field=rules.counted_field)
        return count
    quantity: int = given[ATTR_QUANTITY]
    _check_range(service, quantity, "quantity")
    return quantity


def _check_range(
    service: CatalogueItem, value: int, kind: str, **placeholders: str
) -> None:
    """Refuse a quantity (or a count of lines) outside the service's limits."""
    if value < service.min:
        raise _invalid(
            f"{kind}_below_min", count=str(value), min=str(service.min), **placeholders
        )
    if value > service.max:
        raise _invalid(
            f"{kind}_above_max", count=str(value), max=str(service.max), **placeholders
        )


def _describe(service: CatalogueItem) -> dict[str, str]:
    """Return the placeholders that name a service in messages."""
    return {
        "service": str(service.service_id),
        "service_name": service.name,
        "type": service.type,
    }


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
