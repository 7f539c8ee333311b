"""httpx-sse: `connect_sse(client, "GET", url)` and `EventSource.iter_sse()`, exactly as its README
shows, on an `httpx.Client` whose transport is `httpx.MockTransport`: the handler answers with
`httpx.Response(200, content-type text/event-stream, content=<iterator over the chunks>)`, so the
body goes through httpx's own streaming path (`Response.iter_text()`: an incremental UTF-8 decoder
with errors="replace", charset from the content type), then httpx-sse's `SSELineDecoder` and
`SSEDecoder`, as on a live response; no server, no socket.

What the caller gets: `ServerSentEvent` with `event` (defaulted to "message"), `data`, `id` (the
decoder's last event ID, kept across blocks and updated by id-only blocks) and `retry` (the block's
`int()` of the retry value, or None). Every event it yields is printed as it comes, its `retry`
(when not None) just before it. The library has no separate retry report: a `retry:` field reaches
the caller only as an attribute of the event its block yields.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sse_adapter  # noqa: E402


def parse(chunks, out):
    import httpx
    from httpx_sse import connect_sse

    def handler(request):
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=iter(chunks))

    # trust_env=False: a proxy set in the environment would otherwise take the request away from
    # the mock transport.
    with httpx.Client(transport=httpx.MockTransport(handler), trust_env=False) as client:
        with connect_sse(client, "GET", "http://adapter.invalid/") as source:
            for sse in source.iter_sse():
                if sse.retry is not None:
                    out.retry(sse.retry)
                out.event(sse.event, sse.data, sse.id)


sse_adapter.main({"library": "httpx-sse", "modes": ["parse", "count"]}, parse=parse)
