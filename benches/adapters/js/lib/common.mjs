// Shared plumbing for the JavaScript adapters (conformance/PROTOCOL.md v1 plus the v2 contract):
// argument parsing, stdin, chunking, the output lines, `--capabilities` and `--encode` input.
// Nothing here parses text/event-stream: that is left to each library.
import { readFileSync } from 'node:fs';

/** The installed version of the package installed under `dir` in node_modules (an npm alias too). */
export function installedVersion(dir) {
  const url = new URL(`../node_modules/${dir}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

/** `--chunk-size N`, `--count`, `--encode`, `--capabilities`, and `--package DIR` (which alias). */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = { chunkSize: 0, count: false, encode: false, capabilities: false, package: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--chunk-size') args.chunkSize = Number(argv[++i]);
    else if (a === '--count') args.count = true;
    else if (a === '--encode') args.encode = true;
    else if (a === '--capabilities') args.capabilities = true;
    else if (a === '--package') args.package = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

export function printCapabilities(caps) {
  process.stdout.write(JSON.stringify({ protocol: 2, language: 'JavaScript', ...caps }) + '\n');
}

export function readStdin() {
  return readFileSync(0);
}

/** The input split in `size`-byte pieces (one piece when size is 0). */
export function chunks(bytes, size) {
  if (!size || size >= bytes.length) return [bytes];
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Collects the output lines (or the counts with `--count`) and writes them at the end. */
export class Sink {
  constructor(count) {
    this.count = count;
    this.lines = [];
    this.events = 0;
    this.retries = 0;
    this.dataBytes = 0;
  }
  event(type, data, id) {
    if (this.count) {
      this.events++;
      this.dataBytes += Buffer.byteLength(data, 'utf8');
    } else this.lines.push(JSON.stringify({ event: type, data, id }));
  }
  retry(ms) {
    if (this.count) this.retries++;
    else this.lines.push(JSON.stringify({ retry: ms }));
  }
  note(text) {
    if (!this.count) this.lines.push(JSON.stringify({ note: text }));
  }
  error(text) {
    if (!this.count) this.lines.push(JSON.stringify({ error: text }));
  }
  finish() {
    const out = this.count
      ? JSON.stringify({ events: this.events, retries: this.retries, data_bytes: this.dataBytes }) + '\n'
      : this.lines.map((l) => l + '\n').join('');
    process.stdout.write(out);
  }
}

/** The `--encode` input: one item per non-empty JSON line. */
export function encodeItems(bytes) {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Refuse an item: a one-line reason on stderr and exit status 2, once stdout has drained. */
export function refuse(reason, written) {
  process.stderr.write(reason.replace(/[\r\n]+/g, ' ') + '\n');
  process.stdout.write(written, () => process.exit(2));
}
