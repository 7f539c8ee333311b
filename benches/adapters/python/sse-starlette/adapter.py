"""sse-starlette: `ServerSentEvent(data, event=, id=, retry=, comment=).encode()`, the bytes
`EventSourceResponse` sends for each event it is given (encode mode only).

Each item becomes one `ServerSentEvent` with the item's fields as given (an absent key stays None:
the library then writes no such line; an item without `data` so dispatches nothing, as the
protocol asks) and its bytes are written as they come; a `{"comment":TEXT}` item is
`ServerSentEvent(comment=TEXT)`. The library refuses nothing the format cannot carry: it removes
CR and LF from an id or event type and passes NUL through, so the adapter, which adds no checks of
its own, writes what it gets. The only refusal is the library's own: a non-int retry raises
TypeError (exit status 2).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sse_adapter  # noqa: E402


def encode(items, write):
    from sse_starlette.event import ServerSentEvent

    for item in items:
        event = ServerSentEvent(
            item.get("data"),
            event=item.get("event"),
            id=item.get("id"),
            retry=item.get("retry"),
            comment=item.get("comment"),
        )
        try:
            encoded = event.encode()
        except TypeError as error:
            raise sse_adapter.Refused(f"sse-starlette: {error}") from error
        write(encoded)


sse_adapter.main({"library": "sse-starlette", "modes": ["encode"]}, encode=encode)
