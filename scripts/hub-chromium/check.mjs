// Drives headless Chromium against a running ssewire-hub started with --demo (see
// scripts/hub-chromium.sh and docs/hub-page.md): two users in separate browser contexts
// (separate cookie jars), each on the hub's own page, signed in through the demo.
//
//   node check.mjs --hub http://127.0.0.1:PORT [--screenshot docs/hub-page.png]
//                  [--chromium /usr/bin/chromium]
//
// Each page reaches the hub through a TCP relay of its own, so that a check can cut one
// user's network (reset every connection, refuse new ones) while the hub and the other user
// stay up. Prints PASS/FAIL per check and "N passed, N failed"; exits 1 when any failed.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const HUB = new URL(args.hub ?? '');
const SCREENSHOT = args.screenshot ?? '';
const EXECUTABLE = args.chromium ?? '/usr/bin/chromium';
const NONCE = randomBytes(3).toString('hex');
const started = Date.now();

const results = [];
const ms = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
function pass(name, detail) {
  results.push(true);
  console.log(`PASS ${name}${detail ? ` (${detail})` : ''}`);
}
function fail(name, why) {
  results.push(false);
  console.log(`FAIL ${name}: ${why}`);
}
class CheckError extends Error {}
function assert(condition, why) {
  if (!condition) throw new CheckError(why);
}
async function check(name, body) {
  try {
    const detail = await body();
    pass(name, detail);
  } catch (e) {
    fail(name, e instanceof CheckError ? e.message : (e.stack ?? String(e)));
  }
}

// A TCP relay to the hub that can go down: every connection reset (RST), new ones refused
// (reset at once) until it is up again. It notes each request line and whether the request
// carried Last-Event-ID, to show how a stream resumed.
function relay(target) {
  const sockets = new Set();
  const requests = [];
  let down = false;
  let unavailable = false;
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    if (unavailable) {
      client.on('error', () => {});
      client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 8192));
      const line = /^(GET|POST|HEAD|OPTIONS) (\S+) HTTP\/1\.1\r\n/.exec(head);
      if (line) {
        const header = /\r\nlast-event-id: *([^\r\n]*)/i.exec(head);
        requests.push({ at: Date.now(), method: line[1], target: line[2], lastEventId: header ? header[1] : null });
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return {
    requests,
    listen: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}/`))),
    down() {
      down = true;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
    },
    up() { down = false; unavailable = false; },
    // Every connection reset; new ones answered 503 (as an overloaded hub would): the
    // browser gives up on an EventSource that gets an error status, so the page must retry.
    unavailable() {
      unavailable = true;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// Publishes straight to the hub (not through a page) with a publisher token.
async function publishDirect(token, topic, data, isPrivate) {
  const body = new URLSearchParams({ topic, data });
  if (isPrivate) body.append('private', 'on');
  const response = await fetch(new URL('/.well-known/mercure', HUB), {
    method: 'POST', headers: { Authorization: `Bearer ${token}` }, body,
  });
  const text = (await response.text()).trim();
  assert(response.ok, `publishing to ${topic} answered ${response.status} ${text}`);
  return text;
}

const notificationsTopic = (user) => `https://example.com/users/${user}/notifications`;
const PUBLIC_TOPIC = 'https://example.com/books/1';

// What a page has received, oldest first.
const events = (page) => page.$$eval('#events li', (lis) => lis
  .map((li) => ({ kind: li.dataset.kind, id: li.dataset.id, seq: Number(li.dataset.seq), data: li.querySelector('.data').textContent }))
  .sort((a, b) => a.seq - b.seq));
const notificationIds = (page) => page.$$eval('#notifications li[data-id]', (lis) => lis.map((li) => li.dataset.id));

async function waitForIds(page, ids, timeout = 10000) {
  await page.waitForFunction(
    (wanted) => wanted.every((id) => document.querySelector(`#events li[data-id="${CSS.escape(id)}"]`)),
    ids, { timeout, polling: 100 },
  ).catch(() => {});
  const got = new Set((await events(page)).map((e) => e.id));
  const missing = ids.filter((id) => !got.has(id));
  assert(missing.length === 0, `${missing.length} of ${ids.length} never arrived: ${missing.join(', ')}`);
}

// Each of ids arrived exactly once, in this order.
async function assertOnceInOrder(page, ids, who) {
  const list = await events(page);
  const seqs = [];
  for (const id of ids) {
    const hits = list.filter((e) => e.id === id);
    assert(hits.length === 1, `${who}: ${id} arrived ${hits.length} times`);
    seqs.push(hits[0].seq);
  }
  assert(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `${who}: out of order (arrival positions ${seqs.join(',')})`);
  const all = list.map((e) => e.id);
  const dupes = all.filter((id, i) => all.indexOf(id) !== i);
  assert(dupes.length === 0, `${who}: ids received twice: ${[...new Set(dupes)].join(', ')}`);
}

// Sends a notification from a page's own demo form; returns the update id.
async function notifyFrom(page, to, text) {
  const before = Number((await page.getAttribute('#publish-result', 'data-attempt')) ?? 0);
  await page.fill('#notify-text', text);
  if (to === null) {
    await page.click('#notify-self');
  } else {
    await page.fill('#notify-user', to);
    await page.click('#notify-other');
  }
  await page.waitForFunction(
    (n) => {
      const r = document.getElementById('publish-result');
      return Number(r.dataset.attempt) > n && r.dataset.status !== 'pending';
    },
    before, { timeout: 10000 },
  );
  const status = await page.getAttribute('#publish-result', 'data-status');
  assert(status === '200', `the page's publish answered ${status}: ${await page.textContent('#publish-result')}`);
  return page.getAttribute('#publish-result', 'data-id');
}

async function main() {
  assert(HUB.protocol === 'http:', 'usage: node check.mjs --hub http://127.0.0.1:PORT [--screenshot FILE]');
  const browser = await chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  console.log(`chromium ${browser.version()}; hub ${HUB.origin}; run ${NONCE}`);
  const users = {};
  const pageErrors = [];
  try {
    for (const name of ['alice', 'bob']) {
      const link = relay(HUB);
      const url = await link.listen();
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
      users[name] = { name, link, url, context, page, got: [], sentTo: [] };
    }
    await run(users);
    await check('no uncaught error on either page', async () => {
      assert(pageErrors.length === 0, pageErrors.join('; '));
    });
  } finally {
    for (const u of Object.values(users)) u.link.close();
    await browser.close();
  }
}

async function run({ alice, bob }) {
  const both = [alice, bob];
  let token = '';

  // 0. Sign in. Without it nothing else can be checked.
  let signedIn = false;
  await check('sign-in: each page signs in through /demo/session and subscribes with its cookie', async () => {
    for (const u of both) {
      await u.page.goto(u.url);
      await u.page.waitForSelector('#demo-panel:not([hidden])', { timeout: 10000 });
      await u.page.fill('#user', u.name);
      await u.page.click('#session-form button[type=submit]');
      await u.page.waitForSelector(`body[data-user="${u.name}"]`, { timeout: 10000 });
      await u.page.waitForSelector('#state[data-state=open]', { timeout: 10000 });
      const cookies = await u.context.cookies();
      const cookie = cookies.find((c) => c.name === 'mercure_access_token');
      assert(cookie, `${u.name}: no access-token cookie set`);
      assert(cookie.httpOnly && cookie.path === '/.well-known/mercure' && cookie.sameSite === 'Strict',
        `${u.name}: cookie attributes ${JSON.stringify(cookie)}`);
      assert(!(await u.page.evaluate(() => document.cookie)).includes('mercure_access_token'), `${u.name}: the cookie is readable by scripts`);
    }
    token = await alice.page.inputValue('#publisher-token');
    assert(token.split('.').length === 3, 'no publisher token in the page');
    signedIn = true;
    return 'HttpOnly, SameSite=Strict, Path=/.well-known/mercure; separate cookie jars';
  });
  if (!signedIn) return;

  // 1. Private notifications: each sees exactly its own.
  const sent = []; // { to, from, text, id }
  await check('private: alice sees only alice\'s notifications, bob only bob\'s (not even an id of the other\'s)', async () => {
    // Each page also asks for the other's notifications topic: the hub must still deliver
    // only what the page's cookie grants.
    for (const u of both) {
      const other = u === alice ? bob : alice;
      const opens = Number(await u.page.getAttribute('body', 'data-opens'));
      await u.page.fill('#topics', `${PUBLIC_TOPIC}\n${notificationsTopic(other.name)}`);
      await u.page.click('#subscribe-form button[type=submit]');
      await u.page.waitForFunction((n) => Number(document.body.dataset.opens) > n
        && document.getElementById('state').dataset.state === 'open', opens, { timeout: 10000 });
    }
    const plan = [
      [alice, bob, `bob, the report is ready (from alice, ${NONCE}-1)`],
      [bob, alice, `alice, lunch at noon? (from bob, ${NONCE}-2)`],
      [alice, alice, `alice, remember the demo (note to self, ${NONCE}-3)`],
      [bob, bob, `bob, water the plants (note to self, ${NONCE}-4)`],
    ];
    for (const [from, to, text] of plan) {
      const id = await notifyFrom(from.page, from === to ? null : to.name, text);
      sent.push({ from: from.name, to: to.name, text, id });
    }
    for (const u of both) {
      const mine = sent.filter((s) => s.to === u.name);
      await waitForIds(u.page, mine.map((s) => s.id));
      for (const s of mine) {
        const toast = await u.page.$(`#toasts .toast[data-id="${s.id}"]`);
        assert(toast && (await toast.textContent()) === s.text, `${u.name}: no toast "${s.text}"`);
        const note = await u.page.$(`#notifications li[data-id="${s.id}"]`);
        assert(note && (await note.textContent()).startsWith(s.text), `${u.name}: "${s.text}" not in the notifications list`);
      }
    }
    await new Promise((r) => setTimeout(r, 1500)); // room for a leak to show up
    for (const u of both) {
      const mine = sent.filter((s) => s.to === u.name);
      const ids = await notificationIds(u.page);
      assert(ids.length === mine.length && mine.every((s) => ids.includes(s.id)),
        `${u.name}: notifications list holds ${ids.join(', ')}; expected exactly ${mine.map((s) => s.id).join(', ')}`);
      const got = (await events(u.page)).filter((e) => e.kind === 'notification');
      assert(got.length === mine.length, `${u.name}: ${got.length} notification events, expected ${mine.length}`);
      await assertNoLeak(u, sent);
    }
    return `${sent.length} notifications, 2 each way, each page also asking for the other's topic; ids and texts of the other's absent from the page`;
  });

  // 2. A public update reaches both.
  await check('public: an update on a public topic reaches both pages', async () => {
    const id = await publishDirect(token, PUBLIC_TOPIC, JSON.stringify({ title: `public ${NONCE}` }), false);
    for (const u of both) {
      await waitForIds(u.page, [id]);
      await assertOnceInOrder(u.page, [id], u.name);
      const e = (await events(u.page)).find((x) => x.id === id);
      assert(e.kind === 'message' && e.data.includes(`public ${NONCE}`), `${u.name}: shown as ${JSON.stringify(e)}`);
    }
    return `published from the driver with the demo publisher token, id ${id}`;
  });

  // 3. The dashboard's periodic public update.
  await check('dashboard: the periodic public update refreshes the numbers on both pages', async () => {
    const details = [];
    for (const u of both) {
      const before = Number(await u.page.getAttribute('#dashboard', 'data-updates'));
      const published = Number(await u.page.textContent('#dash-published'));
      await u.page.waitForFunction((n) => Number(document.getElementById('dashboard').dataset.updates) >= n + 2,
        before, { timeout: 10000 }).catch(() => {});
      const after = Number(await u.page.getAttribute('#dashboard', 'data-updates'));
      assert(after >= before + 2, `${u.name}: ${after - before} dashboard updates in 10 s`);
      const numbers = await u.page.$$eval('#dashboard dd', (dds) => dds.map((d) => d.textContent));
      assert(numbers.every((n) => /^\d+$/.test(n)), `${u.name}: dashboard shows ${numbers.join(', ')}`);
      assert(Number(numbers[1]) > published, `${u.name}: published stayed at ${numbers[1]}`);
      details.push(`${u.name} ${after - before} updates, published ${published}→${numbers[1]}`);
    }
    return details.join('; ');
  });

  // 4a. A dropped connection: bob's network goes down (every connection reset, new ones
  // refused) while updates are published, then comes back.
  await check('resume after a network drop: nothing missed, nothing twice, in order', async () => {
    const opens = Number(await bob.page.getAttribute('body', 'data-opens'));
    const from = bob.link.requests.length;
    const downAt = Date.now();
    bob.link.down();
    await bob.page.waitForSelector('#state:not([data-state=open])', { timeout: 5000 });
    const ids = [];
    for (let i = 1; i <= 6; i++) {
      if (i === 3 || i === 6) {
        const text = `bob, sent while you were offline (${NONCE}-drop-${i})`;
        const id = await notifyFrom(alice.page, 'bob', text);
        sent.push({ from: 'alice', to: 'bob', text, id });
        ids.push(id);
      } else {
        ids.push(await publishDirect(token, PUBLIC_TOPIC, JSON.stringify({ title: `while bob is offline ${i}`, run: NONCE }), false));
      }
      await new Promise((r) => setTimeout(r, 400));
    }
    await waitForIds(alice.page, ids.filter((id) => !sent.some((s) => s.id === id)));
    const duringDrop = await bob.page.$$eval('#events li', (lis, wanted) => lis.filter((li) => wanted.includes(li.dataset.id)).length, ids);
    assert(duringDrop === 0, `bob got ${duringDrop} updates while his network was down`);
    await new Promise((r) => setTimeout(r, 2000));
    const upAt = Date.now();
    bob.link.up();
    await waitForIds(bob.page, ids, 30000);
    await bob.page.waitForSelector('#state[data-state=open]', { timeout: 10000 });
    await assertOnceInOrder(bob.page, ids, 'bob');
    const reopened = Number(await bob.page.getAttribute('body', 'data-opens'));
    assert(reopened > opens, 'the stream never reopened');
    const streams = bob.link.requests.slice(from).filter((r) => r.method === 'GET' && r.target.startsWith('/.well-known/mercure'));
    const resumed = streams.find((r) => r.lastEventId || r.target.includes('last_event_id='));
    assert(resumed, `no reconnection carried Last-Event-ID or last_event_id (${streams.length} attempts)`);
    const how = resumed.lastEventId ? `the browser's own reconnection, Last-Event-ID: …${resumed.lastEventId.slice(-8)}` : 'the page\'s reconnection with last_event_id';
    return `${ids.length} updates (4 public, 2 private) while down ${((upAt - downAt) / 1000).toFixed(1)} s; ${streams.length} stream request(s) reached the hub after the drop; ${how}`;
  });

  // 4b. The hub answers 503 for a while: the browser's EventSource gives up (an error status
  // is final for it), and the page reconnects by itself, with last_event_id.
  await check('resume after 503s (the browser gives up, the page retries with last_event_id): nothing missed, nothing twice, in order', async () => {
    const from = bob.link.requests.length;
    const downAt = Date.now();
    bob.link.unavailable();
    await bob.page.waitForSelector('#state:not([data-state=open])', { timeout: 5000 });
    const ids = [];
    for (let i = 1; i <= 3; i++) {
      ids.push(await publishDirect(token, i === 2 ? notificationsTopic('bob') : PUBLIC_TOPIC,
        JSON.stringify(i === 2 ? { notification: `bob, while the hub said 503 (${NONCE}-503)` } : { title: `during 503s ${i}` }), i === 2));
      await new Promise((r) => setTimeout(r, 700));
    }
    sent.push({ from: 'driver', to: 'bob', text: `bob, while the hub said 503 (${NONCE}-503)`, id: ids[1] });
    await bob.page.waitForSelector('#state[data-retry-in]', { timeout: 15000 }); // the page's own retry
    const shown = await bob.page.textContent('#state');
    bob.link.up();
    const upAt = Date.now();
    await waitForIds(bob.page, ids, 40000);
    await bob.page.waitForSelector('#state[data-state=open]', { timeout: 10000 });
    await assertOnceInOrder(bob.page, ids, 'bob');
    const resumed = bob.link.requests.slice(from).filter((r) => r.method === 'GET' && r.target.includes('last_event_id='));
    assert(resumed.length > 0, `the page did not reconnect with last_event_id: ${JSON.stringify(bob.link.requests.slice(from))}`);
    return `${ids.length} updates during ${((upAt - downAt) / 1000).toFixed(1)} s of 503s; the page showed "${shown}" and resumed ${((Date.now() - upAt) / 1000).toFixed(1)} s after the hub came back`;
  });

  // 4c. The page's own Pause/Resume: the stream is closed, then reopened with
  // last_event_id=<the last id seen>.
  await check('resume from the page\'s Pause/Resume (last_event_id): nothing missed, nothing twice, in order', async () => {
    const from = alice.link.requests.length;
    await alice.page.click('#pause');
    await alice.page.waitForSelector('#state[data-state=paused]');
    const last = await alice.page.getAttribute('body', 'data-last-event-id');
    const ids = [];
    for (let i = 1; i <= 4; i++) {
      ids.push(await publishDirect(token, i === 2 ? notificationsTopic('alice') : PUBLIC_TOPIC,
        JSON.stringify(i === 2 ? { notification: `alice, while paused (${NONCE}-pause)` } : { title: `while alice paused ${i}` }), i === 2));
    }
    sent.push({ from: 'driver', to: 'alice', text: `alice, while paused (${NONCE}-pause)`, id: ids[1] });
    await new Promise((r) => setTimeout(r, 500));
    assert((await alice.page.$$eval('#events li', (lis, w) => lis.filter((li) => w.includes(li.dataset.id)).length, ids)) === 0,
      'alice got updates while paused');
    await alice.page.click('#pause');
    await waitForIds(alice.page, ids);
    await assertOnceInOrder(alice.page, ids, 'alice');
    const get = alice.link.requests.slice(from).find((r) => r.method === 'GET' && r.target.startsWith('/.well-known/mercure'));
    assert(get && new URL(get.target, HUB).searchParams.get('last_event_id') === last, `the reopened stream did not ask for last_event_id=${last}`);
    return `${ids.length} updates while paused, replayed after last_event_id=…${last.slice(-8)}`;
  });

  // After everything, still no leak either way.
  await check('private, after all of the above: still no trace of the other user\'s notifications', async () => {
    for (const u of both) await assertNoLeak(u, sent);
    return `${sent.length} private updates checked against both pages`;
  });

  // 5. The screenshot: alice's page with a toast on it.
  if (SCREENSHOT) {
    await check(`screenshot of alice's page with a toast: ${SCREENSHOT}`, async () => {
      const text = 'alice, the build is green (from bob)';
      const id = await notifyFrom(bob.page, 'alice', text);
      sent.push({ from: 'bob', to: 'alice', text, id });
      // After a fresh dashboard tick (both users connected again), while the toast shows.
      const ticks = Number(await alice.page.getAttribute('#dashboard', 'data-updates'));
      await alice.page.waitForFunction((n) => Number(document.getElementById('dashboard').dataset.updates) > n,
        ticks, { timeout: 5000 }).catch(() => {});
      await alice.page.waitForSelector(`#toasts .toast[data-id="${id}"]`, { timeout: 10000 });
      await alice.page.waitForTimeout(300); // the toast's slide-in
      await alice.page.screenshot({ path: SCREENSHOT });
      return '1100x700';
    });
  }
}

// Nothing of an update meant for another user shows on u's page: not in what it received,
// and, unless u sent it (its own publish result names the id), nowhere in the document.
async function assertNoLeak(u, sent) {
  const received = await u.page.evaluate(() => ['events', 'notifications', 'toasts']
    .map((id) => document.getElementById(id).outerHTML).join('\n'));
  const whole = await u.page.evaluate(() => `${document.documentElement.outerHTML}\n${document.body.innerText}`);
  for (const s of sent.filter((x) => x.to !== u.name)) {
    for (const secret of [s.id, s.text]) {
      assert(!received.includes(secret), `${u.name} received "${secret}", meant for ${s.to}`);
      if (s.from !== u.name) assert(!whole.includes(secret), `${u.name}'s page shows "${secret}", meant for ${s.to}`);
    }
  }
}

await main().catch((e) => {
  console.log(`FAIL driver: ${e.stack ?? e}`);
  results.push(false);
});
const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`hub-chromium: ${ms()}`);
console.log(`hub-chromium: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
