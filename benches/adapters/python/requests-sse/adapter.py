"""requests-sse: `EventSource(url, session=session, on_error=...)` used as its docstring shows
(`with EventSource(...) as source: for event in source`), on a `requests.Session` with a transport
adapter mounted for the URL that answers 200 text/event-stream with a `requests.Response` whose
`raw` hands out the chunks: each `read(n)` returns at most n bytes of the current chunk, as
urllib3 hands a chunked response over (one HTTP chunk at a time). So the body goes through
requests' own `Response.iter_lines()` (512-byte `iter_content`, `bytes.splitlines`) and
requests-sse's line handling, as on a live response; no server, no socket.

What the caller gets: `MessageEvent` with `type` (set to "message" by the first `data:` line when
no `event:` came before it), `data` and `last_event_id` (the library's last event ID, also
updated by blocks that dispatch nothing); all three printed as given.
- Retry: the library applies `int()` of a retry value to its private reconnection time and
  tells the caller nothing: declared `retry`.
- At the end of the body the library reconnects (on_error, then a sleep, then a new request); the
  adapter's on_error raises to stop there, as a caller who does not want a reconnection does.
- It decodes each line with strict UTF-8: invalid UTF-8 raises UnicodeDecodeError out of
  `__next__`, losing that line; the adapter prints a note and asks for the next event.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sse_adapter  # noqa: E402

URL = "http://adapter.invalid/"


class _End(Exception):
    """Raised from on_error at the end of the body, to stop the library's reconnection."""


class _Chunks:
    """The response's raw stream: one chunk (or its first n bytes) per read(n)."""

    def __init__(self, chunks):
        self._chunks = list(reversed(chunks))

    def read(self, n=-1):
        if not self._chunks:
            return b""
        chunk = self._chunks.pop()
        if 0 <= n < len(chunk):
            self._chunks.append(chunk[n:])
            chunk = chunk[:n]
        return chunk

    def close(self):
        self._chunks = []


def parse(chunks, out):
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict
    from requests_sse import EventSource

    class Transport(BaseAdapter):
        def send(self, request, **kwargs):
            response = requests.Response()
            response.status_code = 200
            response.reason = "OK"
            response.headers = CaseInsensitiveDict({"Content-Type": "text/event-stream"})
            response.raw = _Chunks(chunks)
            response.url = request.url
            response.request = request
            response.connection = self
            return response

        def close(self):
            pass

    def end():
        raise _End()

    session = requests.Session()
    session.trust_env = False
    session.mount(URL, Transport())
    with EventSource(URL, session=session, on_error=end) as source:
        while True:
            try:
                event = next(source)
            except _End:
                break
            except UnicodeDecodeError as error:
                out.note(f"requests-sse raised {error!r}; that line is lost")
                continue
            out.event(event.type, event.data, event.last_event_id)


sse_adapter.main(
    {
        "library": "requests-sse",
        "modes": ["parse", "count"],
        "why": {
            "retry": "a retry value only sets the EventSource's private reconnection time; "
            "no event, callback or property reports it",
        },
    },
    parse=parse,
)
