// eventsource-parser (npm, rexxars): `createParser` fed with text. `--package DIR` picks the
// install under node_modules: `eventsource-parser` (what npm installs on Node 20: 3.x, since 4.x
// declares node >= 22.12), `eventsource-parser-4` (the newest, which runs on Node 20 all the same)
// or `eventsource-parser-1` (1.x, its older function-callback API, still widely depended on).
//
// What the adapter adds, because the API leaves it to its caller:
// - UTF-8 decoding: `feed` takes strings, so the bytes go through one streaming `TextDecoder`
//   (replacement on invalid UTF-8, a leading BOM removed, as the spec's UTF-8 decode does and as
//   the `eventsource` package does in front of this parser with `TextDecoderStream`).
// - The type default: the parser leaves `event` undefined when none was given; printed as "message".
// - The last event ID: events carry only their own block's id (undefined when the block set none,
//   "" for an empty id), so the adapter keeps `last` (contract section 3). Where the parser has an
//   `onId` callback (it is called for every block that set an id, data or not) `last` is set there
//   as well (4.x). 1.x does not reset the id after a block without data, so such an id arrives
//   with the next event. Whether an id-only block is seen is found out with a probe stream.
// - At end of input nothing more is fed: the parser keeps an unterminated block, never dispatches it.
import {
  chunks, installedVersion, parseArgs, printCapabilities, readStdin, Sink,
} from '../lib/common.mjs';

const args = parseArgs();
const dir = args.package ?? 'eventsource-parser';
const version = installedVersion(dir);
const major = Number(version.split('.')[0]);
const { createParser } = await import(dir);

// 1.x takes one function called with {type:"event"|"reconnect-interval", ...}; later versions
// take an object of callbacks.
function make({ onEvent, onRetry, onId }) {
  if (major < 2) {
    return createParser((msg) => {
      if (msg.type === 'event') onEvent(msg);
      else if (msg.type === 'reconnect-interval') onRetry(msg.value);
    });
  }
  return createParser({ onEvent, onRetry, onId });
}

// Does the id of a block without data reach the caller at all (through onId, or carried into the
// next event's own id)? Found out by feeding a probe, not from the version number.
function idOnlyBlockSeen() {
  let seen = false;
  const see = (id) => { if (id === 'probe') seen = true; };
  make({ onEvent(ev) { see(ev.id); }, onRetry() {}, onId: see }).feed('id: probe\n\ndata: x\n\n');
  return seen;
}

if (args.capabilities) {
  const caps = {
    name: `eventsource-parser@${major}`, library: 'eventsource-parser', version,
    modes: ['parse', 'count'], lacks: [], why: {},
  };
  if (!idOnlyBlockSeen()) {
    caps.lacks.push('id-only-blocks');
    caps.why['id-only-blocks'] = 'an event carries only the id of its own block and there is no onId callback in this version, so an id set in a block without data never reaches the caller';
  }
  printCapabilities(caps);
} else {
  const sink = new Sink(args.count);
  let last = '';
  const parser = make({
    onId(id) { last = id; },
    onEvent(ev) {
      if (ev.id !== undefined) last = ev.id;
      sink.event(ev.event || 'message', ev.data, last);
    },
    onRetry(ms) { sink.retry(ms); },
  });
  const decoder = new TextDecoder('utf-8');
  for (const piece of chunks(readStdin(), args.chunkSize)) {
    const text = decoder.decode(piece, { stream: true });
    if (text !== '') parser.feed(text);
  }
  const tail = decoder.decode();
  if (tail !== '') parser.feed(tail);
  sink.finish();
}
