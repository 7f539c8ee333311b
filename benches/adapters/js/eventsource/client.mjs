// Client driver for the `eventsource` package's `EventSource` (docs/client-conformance.md):
//   node client.mjs [--package eventsource|eventsource-5] BASE_URL
// runs the plan of `sse-conformance serve` at BASE_URL: GET /plan, then for each case and scenario
// one EventSource on its URL, POST /report for each, POST /done at the end. It uses the class as a
// page would: a listener for "message" and for each type the plan's `listen` names (there is no
// catch-all listener), `lastEventId` of each MessageEvent, and `readyState` at each `error`.
const argv = process.argv.slice(2);
let dir = 'eventsource';
if (argv[0] === '--package') { dir = argv[1]; argv.splice(0, 2); }
const base = argv[0];
if (!base) {
  process.stderr.write('usage: client.mjs [--package DIR] BASE_URL\n');
  process.exit(2);
}
const { EventSource } = await import(dir);
const STATES = ['connecting', 'open', 'closed'];

// One entry: resolves with {events, errors} once its stop condition holds.
function runEntry(entry, isCase) {
  return new Promise((resolve) => {
    const events = [];
    const errors = [];
    const es = new EventSource(new URL(entry.url, base).href);
    let timer = null;
    const finish = () => {
      if (timer) clearTimeout(timer);
      es.close();
      resolve({ events, errors });
    };
    const onMessage = (ev) => {
      events.push({ event: ev.type, data: ev.data, id: ev.lastEventId });
      if (!isCase && entry.stop?.events !== undefined && events.length >= entry.stop.events) finish();
    };
    for (const type of new Set(['message', ...(entry.listen ?? [])])) es.addEventListener(type, onMessage);
    es.addEventListener('error', () => {
      const state = STATES[es.readyState] ?? String(es.readyState);
      errors.push(state);
      if (isCase || state === 'closed') finish();
    });
    if (!isCase && entry.stop?.ms !== undefined) timer = setTimeout(finish, entry.stop.ms);
  });
}

async function post(path, body) {
  const res = await fetch(new URL(path, base), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  await res.arrayBuffer();
}

const plan = await (await fetch(new URL('/plan', base))).json();
for (const [list, isCase] of [[plan.cases, true], [plan.scenarios, false]]) {
  for (const entry of list) {
    // A browser-shaped EventSource sends GET only, through no proxy it is told of, and a
    // scenario that needs more (`post`, `proxy`, `tls`) is reported as skipped: not applicable.
    if ((entry.needs ?? []).length > 0) {
      await post('/report', { id: entry.id, skipped: true });
      continue;
    }
    const { events, errors } = await runEntry(entry, isCase);
    await post('/report', { id: entry.id, events, errors });
  }
}
await post('/done', {});
process.exit(0);
