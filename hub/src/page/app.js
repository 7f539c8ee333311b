// The hub's page: plain EventSource and fetch, no build step. The hub URL is this page's
// origin + /.well-known/mercure; the demo (sessions, notifications, dashboard) appears when
// the hub runs with --demo.
'use strict';
const hub = new URL('/.well-known/mercure', location.href);
const $ = (id) => document.getElementById(id);
let source = null;
let notifications = null;
let session = null;
let received = 0;

function log(kind, text, isPrivate) {
  const li = document.createElement('li');
  li.textContent = `${kind}: ${text}`;
  if (isPrivate) li.className = 'private';
  li.dataset.kind = kind;
  $('events').prepend(li);
}

function toast(text) {
  const div = document.createElement('div');
  div.className = 'toast';
  div.textContent = text;
  $('toasts').append(div);
  setTimeout(() => div.remove(), 8000);
}

function setState(text) {
  $('state').textContent = text;
  $('state').dataset.state = text;
}

// One stream for everything the page shows: the chosen topics, the signed-in user's
// notifications and the dashboard. EventSource resumes with Last-Event-ID by itself.
function subscribe() {
  if (source) source.close();
  const url = new URL(hub);
  const param = $('urlpattern').checked ? 'match_urlpattern' : 'match';
  for (const topic of $('topics').value.split('\n').map((t) => t.trim()).filter(Boolean)) {
    url.searchParams.append(param, topic);
  }
  if (notifications) url.searchParams.append('match', notifications);
  if (!$('demo-panel').hidden) url.searchParams.append('match', 'https://example.com/dashboard');
  source = new EventSource(url, { withCredentials: true });
  setState('connecting');
  source.onopen = () => setState('open');
  source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
  source.onmessage = (e) => {
    received += 1;
    document.body.dataset.received = String(received);
    log('message', `${e.lastEventId} ${e.data}`, false);
    try {
      const note = JSON.parse(e.data);
      if (note && note.notification) {
        log('notification', note.notification, true);
        toast(note.notification);
      }
    } catch (_) { /* not JSON: already logged */ }
  };
  source.addEventListener('dashboard', (e) => {
    const d = JSON.parse(e.data);
    $('dash-subscribers').textContent = d.subscribers;
    $('dash-published').textContent = d.published;
    $('dash-delivered').textContent = d.delivered;
    document.body.dataset.dashboard = String(d.published);
  });
}

async function publish(topic, data, isPrivate) {
  const body = new URLSearchParams({ topic, data });
  if (isPrivate) body.append('private', 'on');
  const token = $('publisher-token').value.trim();
  const response = await fetch(hub, {
    method: 'POST',
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    body,
    credentials: 'omit',
  });
  const text = (await response.text()).trim();
  $('publish-result').textContent = `${response.status} ${text}`;
  return response.ok;
}

$('subscribe-form').addEventListener('submit', (e) => { e.preventDefault(); subscribe(); });
$('publish-form').addEventListener('submit', (e) => {
  e.preventDefault();
  publish($('publish-topic').value, $('publish-data').value, $('publish-private').checked);
});

$('session-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const response = await fetch('/demo/session', {
    method: 'POST', body: new URLSearchParams({ user: $('user').value }), credentials: 'same-origin',
  });
  if (!response.ok) { $('session').textContent = await response.text(); return; }
  session = await response.json();
  notifications = session.notifications;
  $('publisher-token').value = session.publisher_token;
  $('session').textContent = `signed in as ${session.user}`;
  document.body.dataset.user = session.user;
  $('notify-self').disabled = false;
  $('notify-other').disabled = false;
  subscribe();
});

const notify = (user) => publish(
  `https://example.com/users/${user}/notifications`,
  JSON.stringify({ notification: `hello ${user}, from ${session.user}` }),
  true,
);
$('notify-self').addEventListener('click', () => notify(session.user));
$('notify-other').addEventListener('click', () => notify($('notify-user').value));

// The demo panel shows when the hub serves sessions.
fetch('/demo/session', { method: 'POST', body: new URLSearchParams({ user: '' }) })
  .then((r) => { if (r.status === 400) $('demo-panel').hidden = false; })
  .finally(subscribe);
