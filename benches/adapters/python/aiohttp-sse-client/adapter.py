"""aiohttp-sse-client: `async with EventSource(url, session=..., on_error=...) as source:
async for event in source`, as its docstring shows. The session is a stand-in whose `request()`
returns a 200 text/event-stream response whose `content` is a real `aiohttp.StreamReader`, fed the
chunks one at a time (`feed_data`, one event-loop turn, next chunk; then `feed_eof`) as aiohttp's
HTTP parser feeds a live response's payload. So the library's own line handling (`async for line
in response.content`, aiohttp's `readuntil(b"\\n")`) runs as on a live response; no server, no
socket. The reader's limit is 16 MiB (a live session takes it from `read_bufsize`, 64 KiB by
default, and aiohttp raises LineTooLong past twice that).

What the caller gets: `MessageEvent` with `type` (None when the block named no type: printed as
"message", the type it stands for; an `event:` with an empty value also gives None), `data` and
`last_event_id` (the library's last event ID, also updated by blocks that dispatch nothing).
- Retry: the library applies `int()` of a retry value to its private reconnection time and tells
  the caller nothing: declared `retry`.
- At the end of the body the library reconnects (on_error, a sleep, a new request); the
  adapter's on_error raises to stop there, as a caller who does not want a reconnection does.
- It decodes each line with strict UTF-8: invalid UTF-8 raises UnicodeDecodeError out of
  `__anext__`, losing that line; the adapter prints a note and asks for the next event.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sse_adapter  # noqa: E402

URL = "http://adapter.invalid/"
LIMIT = 16 * 1024 * 1024


class _End(Exception):
    """Raised from on_error at the end of the body, to stop the library's reconnection."""


class _Connection:
    """The protocol a StreamReader reports to: an open connection that ignores flow control."""

    connected = True
    _reading_paused = False

    def pause_reading(self, *args, **kwargs):
        pass

    def resume_reading(self, *args, **kwargs):
        pass


async def _parse(chunks, out):
    import asyncio

    # aiohttp builds two TLS contexts when imported, each loading the system's CA bundle (about
    # 0.3 s per process, the adapter runs once per case and chunk size); nothing here uses TLS,
    # so OpenSSL's default CA file is pointed at an empty one. Parsing is not affected.
    os.environ["SSL_CERT_FILE"] = os.devnull

    from aiohttp import StreamReader
    from aiohttp.http_exceptions import LineTooLong
    from aiohttp_sse_client.client import EventSource
    from yarl import URL as Url

    loop = asyncio.get_running_loop()
    content = StreamReader(_Connection(), LIMIT, loop=loop)

    class Response:
        status = 200
        content_type = "text/event-stream"
        headers = {"Content-Type": "text/event-stream"}
        real_url = Url(URL)

        def __init__(self):
            self.content = content

        def close(self):
            pass

    class Session:
        async def request(self, method, url, **kwargs):
            return Response()

    async def feed():
        for chunk in chunks:
            content.feed_data(chunk)
            await asyncio.sleep(0)
        content.feed_eof()

    def end():
        raise _End()

    feeder = asyncio.ensure_future(feed())
    async with EventSource(URL, session=Session(), on_error=end) as source:
        while True:
            try:
                event = await source.__anext__()
            except _End:
                break
            except UnicodeDecodeError as error:
                out.note(f"aiohttp-sse-client raised {error!r}; that line is lost")
                continue
            except LineTooLong as error:
                out.error(f"aiohttp raised {error!r}")
                continue
            event_type = "message" if event.type is None else event.type
            out.event(event_type, event.data, event.last_event_id)
    await feeder


def parse(chunks, out):
    import asyncio

    asyncio.run(_parse(chunks, out))


sse_adapter.main(
    {
        "library": "aiohttp-sse-client",
        "modes": ["parse", "count"],
        "why": {
            "retry": "a retry value only sets the EventSource's private reconnection time; "
            "no event, callback or property reports it",
        },
    },
    parse=parse,
)
