// @microsoft/fetch-event-source: its parse functions, `getLines(getMessages(onId, onRetry,
// onMessage))`, fed the raw byte pieces, exactly as its `fetchEventSource` wires them over a
// response body (lib/esm/fetch.js). The CommonJS build is imported: the package has no
// `exports` and its ESM build is not marked as a module, so Node cannot load lib/esm directly.
//
// What the adapter adds, because the API leaves it to its caller:
// - The type default: a message without `event:` has event ""; printed as "message".
// - The last event ID: a message carries only its own block's id ("" when none), but `onId` is
//   called for every `id:` field, so `last` is set there (contract section 3), as
//   `fetchEventSource` does for its Last-Event-ID header.
// - Every call of `onMessage` is printed as an event: that is what `fetchEventSource` hands to its
//   caller's `onmessage`, which includes what the library makes of a block without data.
// - The bytes go in unchanged: the library decodes each field itself. At end of input nothing
//   more is fed (the library has no end-of-stream call).
import { getLines, getMessages } from '@microsoft/fetch-event-source/lib/cjs/parse.js';
import {
  chunks, installedVersion, parseArgs, printCapabilities, readStdin, Sink,
} from '../lib/common.mjs';

const args = parseArgs();
if (args.capabilities) {
  printCapabilities({
    name: 'fetch-event-source', library: '@microsoft/fetch-event-source',
    version: installedVersion('@microsoft/fetch-event-source'),
    modes: ['parse', 'count'], lacks: [], why: {},
  });
} else {
  const sink = new Sink(args.count);
  let last = '';
  const onChunk = getLines(getMessages(
    (id) => { last = id; },
    (ms) => sink.retry(ms),
    (msg) => sink.event(msg.event || 'message', msg.data, last),
  ));
  for (const piece of chunks(readStdin(), args.chunkSize)) onChunk(new Uint8Array(piece));
  sink.finish();
}
