"""Client driver for httpx-sse (docs/client-conformance.md): `client.py BASE_URL` runs the plan of
`sse-conformance serve` at BASE_URL: GET /plan, each case and scenario, POST /report for each,
POST /done.

Each entry is one `connect_sse(client, METHOD, url)` on one shared `httpx.Client` (a `POST` with
the scenario's headers and body where it needs `post`; a client of its own through the scenario's
forward proxy where it needs `proxy`; an https URL verified against the system roots for `tls`),
used as the
README shows: `event_source.response.raise_for_status()` (its API reference's way to check the
status), then `for sse in event_source.iter_sse()`, recording `{"event": sse.event, "data":
sse.data, "id": sse.id}` for every event it yields (sse.id is the library's last event ID).

httpx-sse has no reconnection ("SSETransport and AsyncSSETransport don't have reconnection
built-in", its README; it only shows a recipe with the third-party `stamina`), so there is no
`--reconnecting` mode, and every error is final: an exception out of connect_sse, raise_for_status
or iter_sse (SSEError for a wrong Content-Type, HTTPStatusError, a transport error such as a body
cut off) is recorded as the readyState "closed". A clean end of the body raises nothing, and
httpx-sse reports nothing for it: no error is recorded, the entry just ends there.
Stop rules: a case stops at its first error (the iteration ends there anyway); a scenario stops
after `stop.events` events, or at its error, or when no byte has come for `stop.ms` (the read
timeout; a stop, not an error).
"""

import json
import sys

import httpx
from httpx_sse import connect_sse

CASE_TIMEOUT_MS = 10_000


def run_entry(client, base, entry, stop):
    events, errors = [], []
    timeout_ms = stop["ms"] if stop else CASE_TIMEOUT_MS
    timeout = httpx.Timeout(10.0, read=timeout_ms / 1000)
    # httpx-sse takes any request httpx can make: the scenario's method, headers and body
    # (need "post"), its forward proxy (need "proxy", a client of its own) and an https URL,
    # verified against the system's roots (need "tls").
    url = entry["url"] if entry["url"].startswith(("http://", "https://")) else base + entry["url"]
    request = entry.get("request") or {}
    kwargs = {"timeout": timeout, "headers": request.get("headers", {})}
    if request.get("body"):
        kwargs["content"] = request["body"].encode()
    method = request.get("method", "GET")
    own_client = httpx.Client(trust_env=False, proxy=entry["proxy"]) if entry.get("proxy") else None
    client = own_client or client
    try:
        with connect_sse(client, method, url, **kwargs) as event_source:
            event_source.response.raise_for_status()
            for sse in event_source.iter_sse():
                events.append({"event": sse.event, "data": sse.data, "id": sse.id})
                if stop and len(events) >= stop["events"]:
                    break
    except httpx.ReadTimeout:
        pass  # stop.ms without a byte: the client stops (for a case: a hang, left to the verdict)
    except httpx.HTTPError:
        errors.append("closed")
    finally:
        if own_client is not None:
            own_client.close()
    return {"id": entry["id"], "events": events, "errors": errors}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: client.py BASE_URL\n")
        return 64
    base = sys.argv[1].rstrip("/")
    with httpx.Client(trust_env=False) as client:
        plan = client.get(base + "/plan").raise_for_status().json()
        entries = [(case, None) for case in plan["cases"]]
        entries += [(scenario, scenario["stop"]) for scenario in plan["scenarios"]]
        for entry, stop in entries:
            report = run_entry(client, base, entry, stop)
            client.post(base + "/report", content=json.dumps(report),
                        headers={"content-type": "application/json"}).raise_for_status()
        client.post(base + "/done").raise_for_status()
    return 0


if __name__ == "__main__":
    sys.exit(main())
