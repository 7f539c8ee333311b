// eventsource (npm): the `EventSource` class itself, connected over real HTTP to a server in this
// process. `--package DIR` picks the install: `eventsource` (4.x, what npm installs on Node 20,
// since 5.x declares node >= 22.12) or `eventsource-5` (the newest, which runs on Node 20 as well).
//
// Why the class and not a parser: since 3.0 the package has no parser of its own; it decodes the
// body with a `TextDecoder` and hands the text to `eventsource-parser` (3.x for eventsource 4,
// 4.x for eventsource 5), which has its own adapter. What only this package decides is what
// reaches the user: the event type, `lastEventId`, and what happens at the end of the body. So
// the adapter drives the real class, as a user of the package would meet it.
//
// How: an HTTP server on 127.0.0.1:0 answers the one request with `text/event-stream` and writes
// stdin in `--chunk-size` pieces, each its own `res.write` (waiting only when the socket asks to),
// then ends the response. The source is told to stop at its first `error` event (the end of the
// body makes it schedule a reconnect), is closed, and what it dispatched is printed.
// - A catch-all listener does not exist (events are dispatched by type), so the adapter wraps the
//   instance's own `dispatchEvent` and records each `MessageEvent` before passing it on: every
//   type is seen, including types named "open" or "error" sent by the stream.
// - `"id"` is the `MessageEvent.lastEventId` the class sets, exactly as given.
// What the class cannot express: a `retry:` field sets its reconnection delay but never reaches
// the user (declared as `retry`).
import { createServer } from 'node:http';
import {
  chunks, installedVersion, parseArgs, printCapabilities, readStdin, Sink,
} from '../lib/common.mjs';

const args = parseArgs();
const dir = args.package ?? 'eventsource';
const version = installedVersion(dir);

if (args.capabilities) {
  printCapabilities({
    name: `eventsource@${version.split('.')[0]}`, library: 'eventsource', version,
    modes: ['parse', 'count'], lacks: ['retry'],
    why: { retry: 'EventSource applies a retry field to its reconnection delay and has no way to show it to the user' },
  });
} else {
  const { EventSource } = await import(dir);
  const pieces = chunks(readStdin(), args.chunkSize);
  const server = createServer(async (req, res) => {
    res.socket.setNoDelay(true);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    for (const piece of pieces) {
      if (piece.length && !res.write(piece)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const sink = new Sink(args.count);
  const es = new EventSource(`http://127.0.0.1:${server.address().port}/`);
  await new Promise((done) => {
    const dispatch = es.dispatchEvent.bind(es);
    es.dispatchEvent = (ev) => {
      if (ev instanceof MessageEvent) sink.event(ev.type, ev.data, ev.lastEventId);
      else if (ev.type === 'error') done();
      return dispatch(ev);
    };
  });
  es.close();
  server.closeAllConnections();
  server.close();
  sink.finish();
  // The fetch connection pool would keep the process alive a while longer: nothing is left to do.
  process.stdout.write('', () => process.exit(0));
}
