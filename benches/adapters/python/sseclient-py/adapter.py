"""sseclient-py: `SSEClient(event_source).events()`. The library's input is "an existing, ready to
consume event source": any iterable of bytes chunks (its README passes a urllib3 or requests
response). The adapter passes the list of chunks itself, so every chunk reaches the library as
it arrives; no HTTP object is involved, none is needed (the library reads nothing else from it).

What the caller gets: `Event` with `event` (defaulted to "message"), `data`, `id` (the block's own
`id:` value, None when the block has none) and `retry` (the block's raw retry text, uninterpreted).
- Last event ID: the library keeps none, but tells "no id field" (None) from "empty id" (""),
  so the adapter glues as the contract says (an event with an id field sets the last ID, an empty
  one resets it). A block that dispatches nothing never reaches the caller, so its id is lost:
  declared `id-only-blocks`.
- Retry: the library hands the raw text and leaves its meaning to the caller; the adapter does
  what the spec asks of the caller (a value of only ASCII digits sets the reconnection time) and
  prints it just before the event it came with. A retry in a block without data never reaches
  the caller: declared `retry-without-event`.
- It decodes each line with strict UTF-8: invalid UTF-8 raises UnicodeDecodeError inside the
  generator, which ends it; the adapter prints a note and stops there.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sse_adapter  # noqa: E402

_DIGITS = frozenset("0123456789")


def parse(chunks, out):
    from sseclient import SSEClient

    last_id = ""
    try:
        for event in SSEClient(chunks).events():
            if event.id is not None:
                last_id = event.id
            if event.retry and _DIGITS.issuperset(event.retry):
                out.retry(int(event.retry))
            out.event(event.event, event.data, last_id)
    except UnicodeDecodeError as error:
        out.note(f"sseclient-py raised {error!r}; its event generator ends there")


sse_adapter.main(
    {
        "library": "sseclient-py",
        "modes": ["parse", "count"],
        "why": {
            "id-only-blocks": "events() yields only blocks with data, so an id set in a block "
            "that dispatches nothing never reaches the caller",
            "retry-without-event": "a retry reaches the caller only as Event.retry of a block "
            "with data",
        },
    },
    parse=parse,
)
