// The hub's page: plain EventSource and fetch, no build step. The hub URL is this page's
// origin + /.well-known/mercure; the demo (sessions, notifications, dashboard) appears when
// the hub runs with --demo.
//
// One stream carries everything the page shows: the chosen topics, the signed-in user's
// notifications and the dashboard. When it drops, the browser reconnects by itself and sends
// Last-Event-ID; if the browser gives up (the stream ended with an error status, or the
// user paused it), the page reconnects with last_event_id=<the last id seen>, so the hub
// replays whatever was published meanwhile. The page never drops or reorders what arrives:
// what the list shows is what the hub sent.
//
// For scripts/hub-chromium.sh, the state is also in data-* attributes: #state[data-state],
// body[data-last-event-id], [data-id] on every event, notification and toast.
'use strict';
const hub = new URL('/.well-known/mercure', location.href);
const DASHBOARD = 'https://example.com/dashboard';
const $ = (id) => document.getElementById(id);

let source = null;
let notifications = null; // the signed-in user's notifications topic
let session = null;
let lastEventId = '';
let received = 0;
let opens = 0;
let paused = false;
let retryTimer = null;
let retryDelay = 1000;
let sent = 0;

function setState(state, detail) {
  const el = $('state');
  delete el.dataset.retryIn;
  el.dataset.state = state;
  el.textContent = detail ? `${state} (${detail})` : state;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
}

function remember(id) {
  if (!id) return;
  lastEventId = id;
  document.body.dataset.lastEventId = id;
  $('last-id').textContent = `last id …${id.slice(-8)}`;
  $('last-id').dataset.id = id;
}

function time() {
  return new Date().toLocaleTimeString([], { hour12: false });
}

function logEvent(kind, id, text) {
  received += 1;
  const counter = $('received');
  counter.dataset.count = String(received);
  counter.textContent = `${received} received`;
  const li = document.createElement('li');
  li.dataset.kind = kind;
  li.dataset.id = id;
  li.dataset.seq = String(received);
  const head = document.createElement('div');
  head.className = 'meta';
  const tag = document.createElement('b');
  tag.textContent = kind;
  const at = document.createElement('time');
  at.textContent = time();
  const code = document.createElement('code');
  code.textContent = id;
  head.append(tag, at, code);
  const body = document.createElement('div');
  body.className = 'data';
  body.textContent = text;
  li.append(head, body);
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 500) list.lastElementChild.remove();
}

function toast(text, id) {
  const div = document.createElement('div');
  div.className = 'toast';
  div.dataset.id = id;
  div.textContent = text;
  $('toasts').append(div);
  while ($('toasts').children.length > 4) $('toasts').firstElementChild.remove();
  setTimeout(() => div.remove(), 8000);
}

function showNotification(text, id) {
  const list = $('notifications');
  list.querySelector('.empty')?.remove();
  const li = document.createElement('li');
  li.dataset.id = id;
  li.textContent = text;
  const at = document.createElement('time');
  at.textContent = time();
  li.append(at);
  list.prepend(li);
  while (list.children.length > 50) list.lastElementChild.remove();
  toast(text, id);
}

function onMessage(e) {
  remember(e.lastEventId);
  let note = null;
  try {
    const data = JSON.parse(e.data);
    if (data && typeof data.notification === 'string') note = data.notification;
  } catch (_) { /* not JSON: shown as it came */ }
  logEvent(note === null ? 'message' : 'notification', e.lastEventId, e.data);
  if (note !== null) showNotification(note, e.lastEventId);
}

function onDashboard(e) {
  remember(e.lastEventId);
  let d;
  try { d = JSON.parse(e.data); } catch (_) { return; }
  $('dash-subscribers').textContent = d.subscribers;
  $('dash-published').textContent = d.published;
  $('dash-delivered').textContent = d.delivered;
  $('dash-at').textContent = `at ${time()}`;
  const panel = $('dashboard');
  panel.dataset.updates = String(Number(panel.dataset.updates) + 1);
  panel.dataset.published = String(d.published);
}

function streamUrl(resume) {
  const url = new URL(hub);
  const param = $('urlpattern').checked ? 'match_urlpattern' : 'match';
  for (const topic of $('topics').value.split('\n').map((t) => t.trim()).filter(Boolean)) {
    url.searchParams.append(param, topic);
  }
  if (notifications) url.searchParams.append('match', notifications);
  if (!$('demo-panel').hidden) url.searchParams.append('match', DASHBOARD);
  if (resume && lastEventId) url.searchParams.set('last_event_id', lastEventId);
  return url;
}

function close() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) {
    source.close();
    source = null;
  }
}

// Opens the stream; with resume, from the last event id seen (the hub replays what came
// after it from its history).
function open(resume) {
  close();
  paused = false;
  const url = streamUrl(resume);
  if (![...url.searchParams.keys()].some((k) => k.startsWith('match'))) {
    setState('idle', 'no topics');
    return;
  }
  const es = new EventSource(url, { withCredentials: true });
  source = es;
  setState(resume && lastEventId ? 'resuming' : 'connecting');
  es.onopen = () => {
    if (source !== es) return;
    opens += 1;
    retryDelay = 1000;
    document.body.dataset.opens = String(opens);
    setState('open');
  };
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CONNECTING) {
      // The browser reconnects by itself, sending Last-Event-ID.
      setState('reconnecting');
      return;
    }
    // The browser gave up (an error status, or a response that is not an event stream):
    // retry ourselves, with back-off, from the last id seen.
    es.close();
    source = null;
    const delay = retryDelay;
    retryDelay = Math.min(retryDelay * 2, 30000);
    setState('reconnecting', `in ${Math.round(delay / 1000)} s`);
    $('state').dataset.retryIn = String(delay);
    retryTimer = setTimeout(() => open(true), delay);
  };
  es.onmessage = onMessage;
  es.addEventListener('dashboard', onDashboard);
}

function pause() {
  close();
  paused = true;
  setState('paused');
}

async function publish(topic, data, isPrivate) {
  const body = new URLSearchParams({ topic, data });
  if (isPrivate) body.append('private', 'on');
  const token = $('publisher-token').value.trim();
  const result = $('publish-result');
  sent += 1;
  const attempt = String(sent);
  result.dataset.attempt = attempt;
  result.dataset.status = 'pending';
  let response;
  try {
    response = await fetch(hub, {
      method: 'POST',
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      body,
      credentials: 'omit',
    });
  } catch (e) {
    result.dataset.status = 'error';
    result.className = 'error';
    result.textContent = `not sent: ${e.message}`;
    return null;
  }
  const text = (await response.text()).trim();
  result.dataset.status = String(response.status);
  result.dataset.id = response.ok ? text : '';
  result.className = response.ok ? 'ok' : 'error';
  result.textContent = response.ok ? `published ${text}` : `${response.status}: ${text}`;
  return response.ok ? text : null;
}

// Back online while the page waits to retry: retry now rather than after the back-off.
window.addEventListener('online', () => { if (retryTimer) open(true); });

$('subscribe-form').addEventListener('submit', (e) => { e.preventDefault(); open(false); });
$('pause').addEventListener('click', () => (paused ? open(true) : pause()));
$('publish-form').addEventListener('submit', (e) => {
  e.preventDefault();
  publish($('publish-topic').value, $('publish-data').value, $('publish-private').checked);
});

$('session-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const response = await fetch('/demo/session', {
    method: 'POST', body: new URLSearchParams({ user: $('user').value }), credentials: 'same-origin',
  });
  if (!response.ok) {
    $('session').textContent = (await response.text()).trim();
    $('session').className = 'note error';
    return;
  }
  session = await response.json();
  notifications = session.notifications;
  $('publisher-token').value = session.publisher_token;
  $('session').textContent = `Signed in as ${session.user}: this page now also reads ${session.notifications}.`;
  $('session').className = 'note ok';
  document.body.dataset.user = session.user;
  if ($('notify-user').value === session.user) $('notify-user').value = session.user === 'bob' ? 'alice' : 'bob';
  $('notify-self').disabled = false;
  $('notify-other').disabled = false;
  open(false);
});

function notify(user) {
  const text = $('notify-text').value.trim() || `hello ${user}, from ${session.user}`;
  return publish(
    `https://example.com/users/${user}/notifications`,
    JSON.stringify({ notification: text }),
    true,
  );
}
// A sent message is cleared from the form; one that failed stays for another try.
const sendNote = async (user) => { if (await notify(user)) $('notify-text').value = ''; };
$('notify-form').addEventListener('submit', (e) => { e.preventDefault(); sendNote($('notify-user').value); });
$('notify-self').addEventListener('click', () => sendNote(session.user));

// The demo panel shows when the hub serves sessions (an empty user is answered 400 there,
// 404 elsewhere).
fetch('/demo/session', { method: 'POST', body: new URLSearchParams({ user: '' }) })
  .then((r) => { if (r.status === 400) $('demo-panel').hidden = false; })
  .catch(() => {})
  .finally(() => { if (!source) open(false); });
