// hono (npm): the SSE helper of its server framework, `streamSSE` from `hono/streaming`, in a real
// `Hono` app answered in process with `app.request('/')`; each item is one `stream.writeSSE({data,
// event, id, retry})` and the response body is what is printed. Encode mode only: hono has no
// SSE parser (nothing in its dist reads a text/event-stream).
//
// What the library cannot express, so the adapter refuses it (exit status 2, as PROTOCOL.md's
// encode mode says for an item an encoder must refuse):
// - a comment: `SSEStreamingApi` has no comment method (only raw `write`, which is no encoding).
// An item `writeSSE` throws on (it checks event, id and retry for CR and LF, and needs `data`)
// is refused with the library's own message, having written nothing for it.
// Items are passed as given: keys absent in the input stay absent in the `writeSSE` argument.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  encodeItems, installedVersion, parseArgs, printCapabilities, readStdin, refuse,
} from '../lib/common.mjs';

const args = parseArgs();
if (args.capabilities) {
  printCapabilities({
    name: 'hono', library: 'hono', version: installedVersion('hono'),
    modes: ['encode'], lacks: ['retry-without-event'],
    why: { 'retry-without-event': 'writeSSE takes a message with data; a retry can only go out with an event' },
  });
} else if (args.encode) {
  const items = encodeItems(readStdin());
  let refused = null;
  const app = new Hono();
  app.get('/', (c) => streamSSE(c, async (stream) => {
    for (const item of items) {
      if (item.comment !== undefined) {
        refused = 'hono has no way to write a comment';
        return;
      }
      const message = {};
      for (const key of ['data', 'event', 'id', 'retry']) if (key in item) message[key] = item[key];
      try {
        await stream.writeSSE(message);
      } catch (e) {
        refused = `hono's writeSSE threw: ${e.message}`;
        return;
      }
    }
  }));
  const body = await (await app.request('/')).text();
  if (refused !== null) refuse(refused, body);
  else process.stdout.write(body);
} else {
  process.stderr.write('hono has no SSE parser: only --encode and --capabilities\n');
  process.exit(2);
}
