"""JSON decoding of large replies in small steps, for a worker thread.

`json.loads` of a 20 MB catalogue is one call into C that holds the GIL for
the whole parse (half a second and more on a busy machine): in a worker thread
it stalls Home Assistant's event loop just the same. Here a reply is decoded
one element of its top-level list (or one member of its top-level object) at a
time, each element cut out of the text before it is parsed, so no single C call
sees more than `MAX_ELEMENT_CHARS` characters; between elements the thread
runs Python code, where the interpreter hands the GIL to the event loop when it
asks (every few milliseconds). The text itself is decoded from bytes in chunks
for the same reason.

The result is what `json.loads` returns, or ValueError when `json.loads` would
refuse the reply, when an element is larger than `MAX_ELEMENT_CHARS`, when a
value nests deeper than the given depth, or when the reply is not a list or an
object at all (no large API reply is a bare string or number).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
import json
import re
from typing import Any, Final

# One element of a reply (one service of a catalogue takes a few hundred
# characters): parsing this much in C takes a few milliseconds at most.
MAX_ELEMENT_CHARS: Final = 1 << 20
# Bytes turned into text in one C call.
_TEXT_CHUNK_BYTES: Final = 1 << 20
# The first piece cut out for an element; grown eightfold while too short.
_FIRST_WINDOW: Final = 512

_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_DECODER: Final = json.JSONDecoder()

# Turns an element of a top-level list into what is kept; None leaves it out.
type ElementConverter = Callable[[Any], Any]


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Return True when `value` nests lists and objects deeper than `limit`.

    Iterative, so a hostile reply cannot exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
    return False


def text_of(body: bytes | Iterable[bytes], charset: str) -> str:
    """Decode a reply's bytes (an unknown charset is read as UTF-8), in chunks.

    `body` may come as the chunks it was read in.
    """
    try:
        # LookupError for an unknown codec or one that is not a text encoding
        b" ".decode(charset, errors="replace")
        decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    chunks = [body] if isinstance(body, bytes) else body
    parts = [
        decoder.decode(view[start : start + _TEXT_CHUNK_BYTES])
        for chunk in chunks
        for view in (memoryview(chunk),)
        for start in range(0, len(chunk), _TEXT_CHUNK_BYTES)
    ]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def decode_incrementally(
    text: str, max_depth: int, element: ElementConverter | None = None
) -> Any:
    """Decode a JSON list or object one element at a time (see the module doc).

    `element`, when given, converts each element of a top-level list as soon
    as it is decoded (elements it turns into None are left out), so a large
    list is never held twice. Members of a top-level object are kept as they
    are.
    """
    reader = _Reader(text, max_depth - 1)
    pos = reader.skip(0)
    opener = text[pos : pos + 1]
    if opener == "[":
        value, pos = reader.list(pos + 1, element)
    elif opener == "{":
        value, pos = reader.object(pos + 1)
    else:
        raise ValueError("not a JSON list or object")
    if reader.skip(pos) != len(text):
        raise ValueError("extra data after the JSON value")
    return value


class _Reader:
    """Reads one text; elements may nest `depth` levels (the top level aside)."""

    __slots__ = ("_depth", "_text")

    def __init__(self, text: str, depth: int) -> None:
        self._text = text
        self._depth = depth

    def skip(self, pos: int) -> int:
        """Return the position after the whitespace at `pos`."""
        match = _WHITESPACE.match(self._text, pos)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    def _expect(self, pos: int, *chars: str) -> tuple[str, int]:
        """Return the character at `pos` (after whitespace) and the next position."""
        pos = self.skip(pos)
        char = self._text[pos : pos + 1]
        if char not in chars:
            raise ValueError(f"expected one of {chars} at {pos}")
        return char, self.skip(pos + 1)

    def value(self, pos: int) -> tuple[Any, int]:
        """Decode the value at `pos`; return it and the position after it."""
        text = self._text
        window = _FIRST_WINDOW
        while True:
            piece = text[pos : pos + window]
            cut = pos + window < len(text)  # the element may go on past the piece
            try:
                value, used = _DECODER.raw_decode(piece)
            except ValueError:
                if not cut or window >= MAX_ELEMENT_CHARS:
                    raise
            except RecursionError:
                raise ValueError("nested too deep") from None
            else:
                # A number cut short parses as a shorter number: read it whole.
                if used < len(piece) or not cut:
                    break
                if window >= MAX_ELEMENT_CHARS:
                    raise ValueError("an element of the reply is too large")
            window = min(window * 8, MAX_ELEMENT_CHARS)
        # Each level of nesting takes two characters at least.
        if used >= 2 * self._depth and nesting_exceeds(value, self._depth):
            raise ValueError("nested too deep")
        return value, pos + used

    def list(self, pos: int, element: ElementConverter | None) -> tuple[Any, int]:
        """Decode the elements of a list opened before `pos`."""
        items: list[Any] = []
        pos = self.skip(pos)
        if self._text[pos : pos + 1] == "]":
            return items, pos + 1
        while True:
            value, pos = self.value(pos)
            if element is None:
                items.append(value)
            elif (converted := element(value)) is not None:
                items.append(converted)
            char, pos = self._expect(pos, ",", "]")
            if char == "]":
                return items, pos

    def object(self, pos: int) -> tuple[Any, int]:
        """Decode the members of an object opened before `pos`."""
        members: dict[str, Any] = {}
        pos = self.skip(pos)
        if self._text[pos : pos + 1] == "}":
            return members, pos + 1
        while True:
            if self._text[pos : pos + 1] != '"':
                raise ValueError(f"expected a member name at {pos}")
            name, pos = self.value(pos)
            _, pos = self._expect(pos, ":")
            members[name], pos = self.value(pos)
            char, pos = self._expect(pos, ",", "}")
            if char == "}":
                return members, pos
