// The admin console: sign-in, the live overview (console.stats), the channel browser, a
// publish form and the cluster's members. Plain DOM, no framework; every server value is put
// in the page as text (textContent), never as markup.
import * as api from './api.js';
import { LiveStats } from './live.js';

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(c instanceof Node ? wrap(c) : el('td', c));
  return tr;
}

function wrap(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}

function showError(id, err) {
  $(id).textContent = err ? (err.message || String(err)) : '';
}

// -- sign-in -------------------------------------------------------------------------------------

let live = null;

async function signIn(value) {
  api.setCredential(value);
  try {
    const t = await api.consoleToken(); // proves the credential is an admin's
    $('who').textContent = 'signed in as ' + t.sub;
  } catch (e) {
    api.setCredential('');
    $('login-error').textContent = e.status === 401 || e.status === 403
      ? 'Not an admin credential (' + e.message + ')' : e.message;
    return showLogin();
  }
  showConsole();
}

function signOut(message) {
  if (live) live.stop();
  live = null;
  api.setCredential('');
  $('who').textContent = '';
  $('login-error').textContent = message || '';
  showLogin();
}

function showLogin() {
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('credential').value = '';
  $('credential').focus();
}

function showConsole() {
  $('login').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = false;
  live = new LiveStats({
    onStats: renderStats,
    onState: (state, detail) => {
      document.body.dataset.live = state;
      $('live-state').textContent = state;
      $('live-state').className = 'pill ' + state;
      $('live-error').textContent = state === 'live' ? '' : detail;
    },
    onAuthFailed: (e) => signOut('Signed out: ' + e.message),
  });
  live.start();
  selectTab('overview');
}

// -- overview ------------------------------------------------------------------------------------

const rates = [];

function renderStats(d, timestamp) {
  for (const node of document.querySelectorAll('[data-stat]')) {
    const v = d[node.dataset.stat];
    if (typeof v !== 'number') continue;
    node.dataset.value = String(v);
    node.textContent = fmt.format(v);
  }
  const body = $('by-dialect');
  body.replaceChildren();
  for (const [name, n] of Object.entries(d.connectionsByDialect || {}))
    body.append(row([name, fmt.format(n)]));
  rates.push(d.publishRate || 0);
  if (rates.length > 60) rates.shift();
  drawSpark();
  $('updated').textContent = timestamp || new Date().toISOString();
  if (!$('tab-cluster').hidden && d.clusterMembers) renderMembersSummary(d.clusterMembers);
}

function drawSpark() {
  const box = $('spark');
  const max = Math.max(1, ...rates);
  box.replaceChildren();
  for (const r of rates) {
    const bar = el('span');
    bar.style.height = Math.max(2, Math.round((r / max) * 100)) + '%';
    bar.title = fmt.format(r) + ' / s';
    box.append(bar);
  }
}

// -- channels --------------------------------------------------------------------------------

let listNext = null;
let selected = null;
let historyNext = null;

async function loadChannels(append) {
  showError('channels-error', null);
  if (!append) {
    $('channel-rows').replaceChildren();
    listNext = null;
  }
  try {
    const page = await api.listChannels($('prefix').value.trim(), append ? listNext : null);
    for (const c of page.channels || []) {
      const link = el('button', c.name, 'link');
      link.type = 'button';
      link.addEventListener('click', () => openChannel(c.name));
      $('channel-rows').append(row([link, c.subscribers, c.lastSeq, c.retained, c.epoch]));
    }
    listNext = page.next || null;
  } catch (e) {
    showError('channels-error', e);
    listNext = null;
  }
  $('channels-more').hidden = !listNext;
}

async function openChannel(name) {
  selected = name;
  $('channel-detail').hidden = false;
  $('detail-name').textContent = name;
  $('detail-fields').replaceChildren();
  $('detail-presence').replaceChildren();
  showError('detail-error', null);
  // The detail and the history are separate routes: one failing leaves the other shown.
  const info = api.channelInfo(name).then((c) => {
    if (selected !== name) return;
    for (const k of ['subscribers', 'lastSeq', 'retained', 'epoch']) {
      $('detail-fields').append(el('dt', k), el('dd', c[k] ?? '–'));
    }
    const members = c.presence && c.presence.members ? c.presence.members : [];
    if (!c.presence) $('detail-presence').append(el('li', 'no room'));
    for (const m of members)
      $('detail-presence').append(el('li', JSON.stringify(m)));
  }, (e) => { if (selected === name) showError('detail-error', e); });
  historyNext = null;
  $('history-rows').replaceChildren();
  await Promise.all([info, loadHistory(name)]);
}

async function loadHistory(name) {
  showError('history-error', null);
  try {
    const page = await api.history(name, historyNext);
    if (selected !== name) return;
    for (const e of page.events || [])
      $('history-rows').append(row([e.seq, e.timestamp, e.type, el('code', JSON.stringify(e.data))]));
    if ((page.events || []).length === 0 && !historyNext)
      $('history-rows').append(row(['', '', '', 'no retained events']));
    historyNext = page.hasMore ? page.nextCursor : null;
  } catch (e) {
    showError('history-error', e);
    historyNext = null;
  }
  $('history-more').hidden = !historyNext;
}

// -- publish ---------------------------------------------------------------------------------

async function publishForm(ev) {
  ev.preventDefault();
  const out = $('publish-result');
  out.className = '';
  let data;
  try {
    data = JSON.parse($('pub-data').value);
  } catch (e) {
    out.className = 'error';
    out.textContent = 'Data is not JSON: ' + e.message;
    return;
  }
  const body = { data };
  const type = $('pub-type').value.trim();
  const key = $('pub-key').value.trim();
  if (type) body.type = type;
  if (key) body.idempotencyKey = key;
  try {
    const e = await api.publish($('pub-channel').value.trim(), body);
    out.className = 'ok';
    out.textContent = `${e.duplicate ? 'Duplicate of' : 'Published'} ${e.channel} #${e.seq} (${e.id})`;
  } catch (e) {
    out.className = 'error';
    out.textContent = e.message;
  }
}

// -- cluster ---------------------------------------------------------------------------------

async function loadCluster() {
  showError('cluster-error', null);
  $('cluster-rows').replaceChildren();
  try {
    const c = await api.cluster();
    $('cluster-summary').textContent = c.enabled
      ? `${c.members.length} member(s); this node is ${c.self}`
      : 'Not clustered: this node serves every channel (cluster.port is 0).';
    for (const m of c.members || [])
      $('cluster-rows').append(row([m.nodeId + (m.self ? ' (this node)' : ''), m.host, m.port,
        m.state, m.since || '–']));
  } catch (e) {
    showError('cluster-error', e);
  }
}

function renderMembersSummary(members) {
  const up = members.filter((m) => m.state === 'up').length;
  if (members.length) $('cluster-summary').textContent = `${up} of ${members.length} member(s) up (live)`;
}

// -- tabs and wiring -------------------------------------------------------------------------

function selectTab(name) {
  for (const b of document.querySelectorAll('[data-tab]'))
    b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const t of document.querySelectorAll('.tab')) t.hidden = t.id !== 'tab-' + name;
  if (name === 'channels' && !$('channel-rows').children.length) loadChannels(false);
  if (name === 'cluster') loadCluster();
}

function wire() {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    signIn($('credential').value.trim());
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  for (const b of document.querySelectorAll('[data-tab]'))
    b.addEventListener('click', () => selectTab(b.dataset.tab));
  $('channel-filter').addEventListener('submit', (ev) => { ev.preventDefault(); loadChannels(false); });
  $('channels-more').addEventListener('click', () => loadChannels(true));
  $('channel-open').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = $('open-name').value.trim();
    if (name) openChannel(name);
  });
  $('history-more').addEventListener('click', () => selected && loadHistory(selected));
  $('publish-form').addEventListener('submit', publishForm);
  $('cluster-refresh').addEventListener('click', loadCluster);
  if (api.credential()) signIn(api.credential());
  else showLogin();
}

wire();
