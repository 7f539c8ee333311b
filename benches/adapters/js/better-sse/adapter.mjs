// better-sse (npm): its `EventBuffer`, the public class its `Session` writes every event through,
// used without a connection: per item `.event(type)`, `.id(id)`, `.retry(ms)`, `.data(data)` for
// the keys present, then `.dispatch()`; a comment item is `.comment(text)`; the output is `.read()`.
// Encode mode only: better-sse is a server library and has no parser.
//
// Options: `serializer: (data) => data`. By default better-sse serializes data with
// JSON.stringify, so the string "x" would go out as `"x"` with its quotes (what a client would get
// back is JSON text, not the data). The serializer option is the library's own way of sending
// text as it is. The sanitizer is left as the library's default.
// Nothing is refused by the adapter: better-sse has a method for every kind of item.
import { EventBuffer } from 'better-sse';
import {
  encodeItems, installedVersion, parseArgs, printCapabilities, readStdin,
} from '../lib/common.mjs';

const args = parseArgs();
if (args.capabilities) {
  printCapabilities({
    name: 'better-sse', library: 'better-sse', version: installedVersion('better-sse'),
    modes: ['encode'], lacks: [], why: {},
  });
} else if (args.encode) {
  const buffer = new EventBuffer({ serializer: (data) => data });
  for (const item of encodeItems(readStdin())) {
    if (item.comment !== undefined) {
      buffer.comment(item.comment);
      continue;
    }
    if (item.event !== undefined) buffer.event(item.event);
    if (item.id !== undefined) buffer.id(item.id);
    if (item.retry !== undefined) buffer.retry(item.retry);
    if (item.data !== undefined) buffer.data(item.data);
    buffer.dispatch();
  }
  process.stdout.write(buffer.read());
} else {
  process.stderr.write('better-sse has no SSE parser: only --encode and --capabilities\n');
  process.exit(2);
}
