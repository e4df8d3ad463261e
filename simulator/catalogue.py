"""The simulated panel's services list (one realistic service per API v2 type)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Service type names exactly as panels spell them.
TYPE_DEFAULT = "Default"
TYPE_PACKAGE = "Package"
TYPE_CUSTOM_COMMENTS = "Custom Comments"
TYPE_MENTIONS = "Mentions"
TYPE_MENTIONS_WITH_HASHTAGS = "Mentions with Hashtags"
TYPE_MENTIONS_CUSTOM_LIST = "Mentions Custom List"
TYPE_MENTIONS_HASHTAG = "Mentions Hashtag"
TYPE_MENTIONS_USER_FOLLOWERS = "Mentions User Followers"
TYPE_MENTIONS_MEDIA_LIKERS = "Mentions Media Likers"
TYPE_COMMENT_LIKES = "Comment Likes"
TYPE_POLL = "Poll"
TYPE_COMMENT_REPLIES = "Comment Replies"
TYPE_INVITES_FROM_GROUPS = "Invites from Groups"
TYPE_SUBSCRIPTIONS = "Subscriptions"
TYPE_SEO = "SEO"
TYPE_WEB_TRAFFIC = "Web Traffic"
TYPE_CUSTOM_COMMENTS_PACKAGE = "Custom Comments Package"

ALL_TYPES: tuple[str, ...] = (
    TYPE_DEFAULT,
    TYPE_PACKAGE,
    TYPE_CUSTOM_COMMENTS,
    TYPE_MENTIONS,
    TYPE_MENTIONS_WITH_HASHTAGS,
    TYPE_MENTIONS_CUSTOM_LIST,
    TYPE_MENTIONS_HASHTAG,
    TYPE_MENTIONS_USER_FOLLOWERS,
    TYPE_MENTIONS_MEDIA_LIKERS,
    TYPE_COMMENT_LIKES,
    TYPE_POLL,
    TYPE_COMMENT_REPLIES,
    TYPE_INVITES_FROM_GROUPS,
    TYPE_SUBSCRIPTIONS,
    TYPE_SEO,
    TYPE_WEB_TRAFFIC,
    TYPE_CUSTOM_COMMENTS_PACKAGE,
)

# Generated extra services start here so they never collide with the base list.
EXTRA_FIRST_ID = 1000


@dataclass(frozen=True, slots=True)
class SimService:
    """One service of the simulated panel (rate is per 1000 units)."""

    service_id: int
    name: str
    type: str
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool


def _svc(
    service_id: int,
    name: str,
    type_: str,
    category: str,
    rate: str,
    min_: int,
    max_: int,
    *,
    refill: bool = False,
    cancel: bool = False,
    dripfeed: bool = False,
) -> SimService:
    return SimService(
        service_id=service_id,
        name=name,
        type=type_,
        category=category,
        rate=Decimal(rate),
        min=min_,
        max=max_,
        refill=refill,
        cancel=cancel,
        dripfeed=dripfeed,
    )


def _base_services() -> list[SimService]:
    ig_f = "Instagram Followers"
    ig_l = "Instagram Likes"
    ig_c = "Instagram Comments"
    ig_m = "Instagram Mentions"
    return [
        # Service 1 is exactly the API page's example (docs/protocol.md, section 2).
        _svc(
            1,
            "Followers",
            TYPE_DEFAULT,
            "First Category",
            "0.90",
            50,
            10000,
            refill=True,
            cancel=True,
            dripfeed=True,
        ),
        _svc(2, "Instagram Likes", TYPE_DEFAULT, ig_l, "0.15", 10, 5000),
        _svc(
            3,
            "Instagram Followers [Real] [Refill 30D]",
            TYPE_DEFAULT,
            ig_f,
            "2.40",
            100,
            50000,
            refill=True,
            cancel=True,
            dripfeed=True,
        ),
        _svc(
            4,
            "YouTube Views [Non Drop] [Lifetime Refill]",
            TYPE_DEFAULT,
            "YouTube Views",
            "1.85",
            500,
            1000000,
            refill=True,
        ),
        _svc(
            5,
            "TikTok Likes [Fast] [No Refill]",
            TYPE_DEFAULT,
            "TikTok Likes",
            "0.35",
            20,
            100000,
            cancel=True,
        ),
        _svc(
            6,
            "Instagram Post Promotion Package [Likes + Reach]",
            TYPE_PACKAGE,
            "Instagram Packages",
            "4.99",
            1,
            1,
        ),
        _svc(
            7,
            "Instagram Custom Comments [Arab Profiles]",
            TYPE_CUSTOM_COMMENTS,
            ig_c,
            "12.00",
            5,
            1000,
            refill=False,
            cancel=True,
        ),
        _svc(
            8,
            "Instagram Mentions [Random Users]",
            TYPE_MENTIONS,
            ig_m,
            "3.50",
            100,
            20000,
        ),
        _svc(
            9,
            "Instagram Mentions + Hashtags",
            TYPE_MENTIONS_WITH_HASHTAGS,
            ig_m,
            "4.20",
            100,
            20000,
        ),
        _svc(
            10,
            "Instagram Mentions [Custom List]",
            TYPE_MENTIONS_CUSTOM_LIST,
            ig_m,
            "5.00",
            10,
            5000,
        ),
        _svc(
            11,
            "Instagram Mentions [Hashtag Users]",
            TYPE_MENTIONS_HASHTAG,
            ig_m,
            "3.80",
            100,
            20000,
        ),
        _svc(
            12,
            "Instagram Mentions [User Followers]",
            TYPE_MENTIONS_USER_FOLLOWERS,
            ig_m,
            "3.90",
            100,
            20000,
        ),
        _svc(
            13,
            "Instagram Mentions [Media Likers]",
            TYPE_MENTIONS_MEDIA_LIKERS,
            ig_m,
            "3.90",
            100,
            20000,
        ),
        _svc(
            14, "Instagram Comment Likes", TYPE_COMMENT_LIKES, ig_l, "1.20", 50, 10000
        ),
        _svc(
            15,
            "Instagram Story Poll Votes",
            TYPE_POLL,
            "Instagram Story",
            "2.10",
            100,
            50000,
        ),
        _svc(
            16,
            "Instagram Comment Replies [Custom]",
            TYPE_COMMENT_REPLIES,
            ig_c,
            "15.00",
            5,
            500,
        ),
        _svc(
            17,
            "Telegram Group Members [Invites from Groups]",
            TYPE_INVITES_FROM_GROUPS,
            "Telegram Members",
            "6.50",
            100,
            30000,
        ),
        _svc(
            18,
            "Instagram Auto Likes [Subscription] [Real]",
            TYPE_SUBSCRIPTIONS,
            "Instagram Auto Likes",
            "0.40",
            50,
            10000,
        ),
        _svc(
            19, "Google SEO Backlinks [Keywords]", TYPE_SEO, "SEO", "25.00", 100, 10000
        ),
        _svc(
            20,
            "Website Traffic [Worldwide] [Google Keyword]",
            TYPE_WEB_TRAFFIC,
            "Website Traffic",
            "0.80",
            1000,
            1000000,
            dripfeed=True,
        ),
        _svc(
            21,
            "Instagram Custom Comments Package [10 Comments]",
            TYPE_CUSTOM_COMMENTS_PACKAGE,
            ig_c,
            "9.99",
            1,
            1,
        ),
    ]


_PLATFORMS = ("Instagram", "YouTube", "TikTok", "Facebook", "Twitter", "Telegram")
_KINDS = ("Followers", "Likes", "Views", "Comments", "Shares", "Members")
_QUALITIES = ("[Real]", "[HQ]", "[Mixed]", "[Bots]", "[Arab]", "[USA]")


def _extra_service(index: int) -> SimService:
    """Build the index-th generated Default service (pure function of index)."""
    platform = _PLATFORMS[index % len(_PLATFORMS)]
    kind = _KINDS[(index // len(_PLATFORMS)) % len(_KINDS)]
    quality = _QUALITIES[(index * 7) % len(_QUALITIES)]
    refill = index % 3 == 0
    # Cheap deterministic spread of prices and limits, no random module needed.
    rate = Decimal(5 + (index * 37) % 1995) / Decimal(100)
    minimum = (10, 50, 100, 500)[index % 4]
    maximum = (5000, 10000, 100000, 1000000)[(index // 4) % 4]
    suffix = "[Refill 30D]" if refill else "[No Refill]"
    return SimService(
        service_id=EXTRA_FIRST_ID + index,
        name=f"{platform} {kind} {quality} {suffix} #{index}",
        type=TYPE_DEFAULT,
        category=f"{platform} {kind}",
        rate=rate.quantize(Decimal("0.01")),
        min=minimum,
        max=maximum,
        refill=refill,
        cancel=index % 2 == 0,
        dripfeed=index % 5 == 0,
    )


def build_catalogue(extra: int = 0) -> list[SimService]:
    """Return the default services list plus ``extra`` generated Default services."""
    return _base_services() + [_extra_service(i) for i in range(extra)]
