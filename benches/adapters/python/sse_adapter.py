"""What every Python adapter shares: the adapter protocol's command line (conformance/PROTOCOL.md,
version 1, and --capabilities from protocol version 2), the chunking of stdin, and the output.

An adapter calls `main(parse=..., encode=..., capabilities=...)`:
- `parse(chunks, out)` feeds the list of byte chunks to its library and reports through `out`
  (`out.event(type, data, id)`, `out.retry(n)`, `out.note(text)`, `out.error(text)`);
- `encode(items, write)` (encode mode) encodes the parsed JSON items one at a time, calling
  `write(bytes)` after each, and raises `Refused(reason)` where the LIBRARY refuses an item.
Only the standard library is imported here, and only what every run needs (start-up time counts:
the runner starts one process per case and chunk size).
"""

import json
import sys


def _line(value):
    return json.dumps(value, separators=(",", ":")) + "\n"


class Refused(Exception):
    """The library refused an item in encode mode: exit status 2, the reason on stderr."""


class Output:
    """Parse mode's JSON lines, or count mode's totals."""

    def __init__(self, count):
        self._count = count
        self._events = self._retries = self._bytes = 0
        self._write = sys.stdout.write

    def event(self, event, data, id):
        if self._count:
            self._events += 1
            self._bytes += len(data.encode("utf-8", "surrogatepass"))
        else:
            self._write(_line({"event": event, "data": data, "id": id}))

    def retry(self, millis):
        if self._count:
            self._retries += 1
        else:
            self._write(_line({"retry": millis}))

    def note(self, text):
        if not self._count:
            self._write(_line({"note": text}))

    def error(self, text):
        if not self._count:
            self._write(_line({"error": text}))

    def finish(self):
        if self._count:
            totals = {"events": self._events, "retries": self._retries, "data_bytes": self._bytes}
            self._write(_line(totals))
        sys.stdout.flush()


def _capabilities(caps):
    from importlib.metadata import version

    line = {
        "protocol": 2,
        "name": caps.get("name", caps["library"]),
        "library": caps["library"],
        "version": version(caps["library"]),
        "language": "Python",
        "modes": caps["modes"],
        "lacks": sorted(caps.get("why", {})),
        "why": caps.get("why", {}),
    }
    sys.stdout.write(_line(line))


def _usage(text):
    sys.stderr.write(text + "\n")
    sys.exit(64)


def main(capabilities, parse=None, encode=None):
    """Runs the adapter: `capabilities` is {"library", "modes", "why"?, "name"?}."""
    args = sys.argv[1:]
    if args == ["--capabilities"]:
        _capabilities(capabilities)
        return
    if args == ["--encode"]:
        if encode is None:
            _usage("this adapter has no encode mode")
        _encode(encode)
        return
    if parse is None:
        _usage("this adapter has no parse mode (see --capabilities)")
    count = False
    size = None
    i = 0
    while i < len(args):
        if args[i] == "--count":
            count = True
        elif args[i] == "--chunk-size" and i + 1 < len(args):
            i += 1
            size = int(args[i])
        elif args[i].startswith("--chunk-size="):
            size = int(args[i].partition("=")[2])
        else:
            _usage("usage: ADAPTER [--capabilities | --encode | [--count] [--chunk-size N]]")
        i += 1
    if size is not None and size < 1:
        _usage("--chunk-size must be at least 1")
    body = sys.stdin.buffer.read()
    if size is None:
        chunks = [body] if body else []
    else:
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
    out = Output(count)
    try:
        parse(chunks, out)
    finally:
        out.finish()


def _encode(encode):
    out = sys.stdout.buffer

    def write(data):
        out.write(data)
        out.flush()

    items = (json.loads(line) for line in sys.stdin.buffer.read().decode("utf-8").split("\n")
             if line.strip())
    try:
        encode(items, write)
    except Refused as refused:
        out.flush()
        sys.stderr.write(f"refused: {refused}\n")
        sys.exit(2)
    out.flush()
