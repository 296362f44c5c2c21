// Turns one scripts/bench.sh run into bench/results/<stamp>.{json,md} and a gnuplot script
// (<stamp>.gp, rendered to <stamp>.png by bench.sh).
//   node tests/bench/report.js machine.json runs.jsonl bench/results/<stamp>
// A scenario run several times (bench.sh --repeat N) is reported by its median per metric.
'use strict';
const fs = require('fs');
const path = require('path');

const [machineFile, runsFile, outBase] = process.argv.slice(2);
const machine = JSON.parse(fs.readFileSync(machineFile, 'utf8'));
const runs = fs.readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
// baseline: bench.sh --baseline BIN; memory: bench.sh --durability (storage.engine=memory)
// naive: bench.sh --rooms (bench/peers/rooms-naive.js, per-join presence fan-out)
const peerOrder = ['switchyard', 'memory', 'baseline', 'nchan', 'ws', 'naive'];
const peers = peerOrder.filter((p) => runs.some((r) => r.peer === p));
const scenarioOrder = ['1', '2', '3a', '3b', '4', '5', '8a', '8b', '8c', '9a', '9b', '9c', '9d'];
const scenarios = scenarioOrder.filter((s) => runs.some((r) => r.scenario === s));
const boundScenarios = ['6', '7'].filter((s) => runs.some((r) => r.scenario === s));

const get = (o, dotted) => dotted.split('.').reduce((v, k) => (v == null ? v : v[k]), o);
const runsOf = (sc, peer) => runs.filter((r) => r.scenario === sc && r.peer === peer);
const run = (sc, peer) => runsOf(sc, peer)[0];
const repeats = Math.max(1, ...runs.map((r) => r.rep || 1));
const median = (xs) => {
  if (!xs.length) return null;
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

function label(sc) {
  const p = (runs.find((r) => r.scenario === sc && r.params && Object.keys(r.params).length) || {}).params || {};
  const k = (n) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : `${n}`);
  switch (sc) {
    case '1': case '2': return `S${sc}: ${k(p.subscribers)} subs × ${k(p.events)} events, max rate (C=${p.concurrency})`;
    case '3a': case '3b': return `S3: ${k(p.subscribers)} subs @ ${p.rate} events/s (${k(p.events)} events)`;
    case '4': return `S4: ${k(p.subscribers)} idle subscribed connections`;
    case '5': return `S5: REST publish, no subscribers (wrk ${p.threads} threads, ${p.connections} conns, ${p.seconds} s)`;
    case '6': return `S6: retain ${k(p.channels)} channels × ${p.events_per_channel} events × ${p.payload_bytes} B, restart`;
    case '7': return `S7: ${k(p.publishes)} × ${p.payload_bytes.toLocaleString('en-US')} B publishes, unique keys, ${p.channels} channels`;
    case '8a': case '8b': case '8c': return `S${sc}: ${k(p.members)} members join one room within ` +
      `${(p.join_within_ms || 0).toLocaleString('en-US')} ms, ` +
      (sc === '8c' ? 'naive per-join fan-out' : `presence window ${p.presence_window_ms} ms`);
    case '9a': return `S9a: change capture, one ${k(p.rows)}-row INSERT transaction → 1 gateway subscriber`;
    case '9b': return `S9b: the same ${k(p.rows)} rows via POST /workspaces/acme/events (16 conns, closed loop)`;
    case '9c': return `S9c: change capture, ${k(p.rate)} changes/s for ${p.seconds} s (1-row transactions)`;
    case '9d': return `S9d: the same pace via POST /workspaces/acme/events`;
  }
  return sc;
}

// [metric name, value(result) or key path]
const fanout = [
  ['deliveries/s', 'deliveries_per_s'],
  ['publishes/s', 'publishes_per_s'],
  ['server CPU µs/delivery', 'cpu_us_per_delivery'],
  ['server CPU s', 'server_cpu_s'],
  ['latency p50 µs', 'latency_us.p50'],
  ['latency p99 µs', 'latency_us.p99'],
  ['lost', 'lost'],
  ['duplicates', 'duplicates'],
  ['server RSS at end KiB', 'server_rss_kb.end'],
  ['client CPU s', 'client_cpu_s'],
];
const latency = [
  ['latency p50 µs', 'latency_us.p50'],
  ['latency p90 µs', 'latency_us.p90'],
  ['latency p99 µs', 'latency_us.p99'],
  ['latency p999 µs', 'latency_us.p999'],
  ['server CPU µs/delivery', 'cpu_us_per_delivery'],
  ['lost', 'lost'],
  ['duplicates', 'duplicates'],
];
const idle = [
  ['RSS bytes/connection', 'rss_per_conn_bytes'],
  ['server RSS subscribed KiB', 'server_rss_kb.after_subscribe'],
  ['server RSS before KiB', 'server_rss_kb.before_connect'],
  ['subscribed', 'subscribed'],
  ['connect+subscribe s', 'connect_s'],
];
const wrk = [
  ['requests/s', 'requests_per_s'],
  ['latency p50 µs', 'latency_us.p50'],
  ['latency p99 µs', 'latency_us.p99'],
  ['errors', (r) => r.errors_connect + r.errors_read + r.errors_write + r.errors_status + r.errors_timeout],
  ['server CPU µs/request', (r) => (r.requests > 0 ? (r.server_cpu_s * 1e6) / r.requests : null)],
];
// Scenario 8 (bench.sh --rooms): one room's join storm; "last join" = the last join frame sent.
const storm = [
  ['converge after last join ms', 'converge_after_last_join_ms'],
  ['view converged p50 ms after last join', 'view_converge_after_last_join_ms.p50'],
  ['join → own joined p50 ms', 'join_to_joined_ms.p50'],
  ['join → own joined p99 ms', 'join_to_joined_ms.p99'],
  ['last join sent at ms', 'last_join_sent_ms'],
  ['presence frames', 'presence_frames'],
  ['presence frames per join', 'presence_frames_per_join'],
  ['presence frames, most to one member', 'presence_frames_per_member_max'],
  ['KiB received per member', (r) => (r.members > 0 ? r.bytes_received / r.members / 1024 : null)],
  ['server CPU s', 'server_cpu_s'],
  ['server CPU µs per join', 'cpu_us_per_join'],
  ['client CPU s', 'client_cpu_s'],
  // Large: the load client, not the server, was behind (it shares the 2 cores).
  ['client unread KiB, max', 'client_unread_max_kb'],
  ['client unread KiB after last join', 'client_unread_after_last_join_kb'],
];
// Scenario 9 (bench.sh --cdc): one PostgreSQL source and one gateway subscriber; 9b/9d are the
// same rows through REST. "commit" = the event's timestamp (a captured change's commit time, a
// REST event's sequencing time); "sent" = the client's INSERT statement or POST left.
const cdcBulk = [
  ['changes/s, first → last delivery', 'delivered_per_s'],
  ['start → first delivery ms', 'start_to_first_ms'],
  ['start → last delivery ms', 'start_to_last_ms'],
  ['commit → last delivery ms', 'commit_to_last_ms'],
  ['server CPU µs/change', 'server_cpu_us_per_change'],
  ['server CPU s', 'server_cpu_s'],
  ['walsender CPU s', 'walsender_cpu_s'],
  ['lost', 'lost'],
  ['duplicates', 'duplicates'],
];
const cdcSteady = [
  ['changes/s delivered', 'delivered_per_s'],
  ['commit → delivery p50 ms', 'timestamp_to_delivery_ms.p50'],
  ['commit → delivery p99 ms', 'timestamp_to_delivery_ms.p99'],
  ['commit → delivery max ms', 'timestamp_to_delivery_ms.max'],
  ['sent → delivery p50 ms', 'send_to_delivery_ms.p50'],
  ['sent → delivery p99 ms', 'send_to_delivery_ms.p99'],
  ['transactions / requests', 'statements'],
  ['server CPU µs/change', 'server_cpu_us_per_change'],
  ['walsender CPU s', 'walsender_cpu_s'],
  ['lost', 'lost'],
  ['duplicates', 'duplicates'],
];
const metricsFor = (sc) => ({ '1': fanout, '2': fanout, '3a': latency, '3b': latency, '4': idle, '5': wrk,
  '8a': storm, '8b': storm, '8c': storm, '9a': cdcBulk, '9b': cdcBulk, '9c': cdcSteady, '9d': cdcSteady }[sc]);

const value = (r, m) => {
  if (!r || !r.result) return null;
  const v = typeof m[1] === 'function' ? m[1](r.result) : get(r.result, m[1]);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
};
// The median over the repetitions that completed (every repetition if none did).
const values = (sc, p, m) => {
  const all = runsOf(sc, p);
  const ok = all.filter((r) => r.exit === 0);
  return (ok.length ? ok : all).map((r) => value(r, m)).filter((v) => v != null);
};
const med = (sc, p, m) => median(values(sc, p, m));

function fmt(v) {
  if (v == null) return '–';
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return Number.isInteger(v) ? `${v}` : v.toFixed(2);
}

// ---- JSON -------------------------------------------------------------------------------------
const out = { machine, scenarios: {} };
for (const sc of [...scenarios, ...boundScenarios]) {
  out.scenarios[sc] = { label: label(sc), peers: {} };
  for (const p of peers) {
    const rs = runsOf(sc, p);
    if (!rs.length) continue;
    const r = rs[0];
    const entry = { exit: r.exit, params: r.params, result: r.result };
    if (metricsFor(sc) && (rs.length > 1 || repeats > 1)) {
      // Every repetition, and the median of each reported metric.
      entry.runs = rs.map((x) => ({ rep: x.rep, loadavg: x.loadavg, exit: x.exit, result: x.result }));
      entry.median = {};
      for (const m of metricsFor(sc) || []) entry.median[m[0]] = med(sc, p, m);
      delete entry.result;
    } else {
      entry.loadavg = r.loadavg;
    }
    out.scenarios[sc].peers[p] = entry;
  }
}
fs.writeFileSync(`${outBase}.json`, JSON.stringify(out, null, 1) + '\n');

// ---- Markdown ---------------------------------------------------------------------------------
// Ratio columns: Switchyard/<peer> for the baseline build and for Nchan, when both ran.
const ratios = peers.includes('switchyard') ? ['memory', 'baseline', 'nchan'].filter((p) => peers.includes(p)) : [];
const ratioName = { memory: 'Switchyard/memory', baseline: 'Switchyard/baseline', nchan: 'Switchyard/Nchan' };
const head = ['scenario', 'metric', ...peers, ...ratios.map((p) => ratioName[p])];
const loadText = (l) => (Array.isArray(l) ? l.join(' / ') : '?');
const lines = [
  `# Switchyard benchmark ${machine.utc}${machine.quick ? ' (quick)' : ''}`,
  '',
  `Machine: ${machine.nproc} cores (${machine.cpu}), ${Math.round(machine.mem_kb / 1048576)} GiB, ` +
    `kernel ${machine.kernel}. Switchyard ${machine.switchyard_git}` +
    // bench.sh --rooms runs Switchyard alone: no peer versions to show.
    (machine.cdc ? `, PostgreSQL ${machine.postgres}, storage.engine rocksdb, storage.sync ${machine.storage_sync}.`
      : machine.rooms ? '.' : `, nginx ${machine.nginx} + nchan ${machine.nchan}, node ${machine.node} + ` +
      `ws ${machine.ws}, wrk ${machine.wrk}.`) +
    (peers.includes('baseline') ? ` Baseline: Switchyard ${machine.baseline_git}, same flags.` : ''),
  'Load client and servers share the machine; compare peers within this run only.',
  ...(peers.includes('memory')
    ? [`Peers: \`switchyard\` = storage.engine rocksdb, storage.sync ${machine.storage_sync}; ` +
       '`memory` = the same binary with storage.engine memory.']
    : []),
  ...(repeats > 1
    ? [`Each cell of scenarios 1–5, 8 and 9 is the median of ${repeats} repetitions (peers interleaved ` +
       'within each repetition); every repetition is in the JSON.']
    : []),
  ...(machine.loadavg_start
    ? [`Load average (1/5/15 min) at start ${loadText(machine.loadavg_start)}, at end ` +
       `${loadText(machine.loadavg_end)}.`]
    : []),
  '',
  // Only scenarios 6 and 7 (bench.sh --durability --scenarios 6,7): no rate table.
  ...(scenarios.length
    ? [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`]
    : []),
];
const notes = [];
for (const sc of scenarios) {
  let first = true;
  for (const m of metricsFor(sc)) {
    const cells = peers.map((p) => {
      let c = fmt(med(sc, p, m));
      for (const r of runsOf(sc, p)) {
        if (r.exit !== 0 && first) {
          if (!c.endsWith('⚠')) c += ' ⚠';
          notes.push(`${label(sc)} on ${p}${repeats > 1 ? ` (repetition ${r.rep})` : ''}: exit ${r.exit}` +
            (r.result && r.result.error ? ` (${r.result.error})` : ''));
        }
      }
      return c;
    });
    const row = [first ? label(sc) : '', m[0], ...cells];
    for (const p of ratios) {
      const a = med(sc, 'switchyard', m);
      const b = med(sc, p, m);
      row.push(a != null && b ? `${(a / b).toFixed(2)}×` : '–');
    }
    lines.push(`| ${row.join(' | ')} |`);
    first = false;
  }
}
if (boundScenarios.length) lines.push('', ...boundTable());
const stormScenarios = ['8a', '8b', '8c'].filter((s) => scenarios.includes(s));
if (stormScenarios.length) lines.push('', ...stormTargets());
if (scenarios.includes('9a') || scenarios.includes('9c')) lines.push('', ...cdcTargets());
if (notes.length) lines.push('', ...notes.map((n) => `⚠ ${n}`));
const charted = ['1', '2', '4'].some((s) => scenarios.includes(s));
lines.push('', ...(charted ? [`Chart: [${path.basename(outBase)}.png](${path.basename(outBase)}.png)`, ''] : []));
fs.writeFileSync(`${outBase}.md`, lines.join('\n'));

// Scenarios 6 and 7: bounds, not rates (one run each): peak RSS against storage.cache_bytes +
// 200 MB, and the restart time.
function boundTable() {
  const mb = (kb) => (kb == null || kb < 0 ? '–' : `${Math.round(kb / 1024).toLocaleString('en-US')} MiB`);
  const t = ['## Durable store: memory bound and restart', '',
    '| scenario | peer | figure | value | target | |', '|---|---|---|---:|---:|---|'];
  const verdict = (ok) => (ok == null ? '' : ok ? 'met' : '**missed**');
  for (const sc of boundScenarios) {
    for (const p of peers) {
      const r = run(sc, p);
      if (!r) continue;
      const x = r.result || {};
      const pub = x.publish || {};
      const lim = x.rss_limit_kb;
      const rows = [];
      if (sc === '6') {
        rows.push(['retained data', `${(x.retained_data_bytes / 1e9).toFixed(2)} GB in ${x.channels} channels` +
          ` (store on disk ${mb(x.store_dir_kb)})`, '≥ 1 GB, ≥ 2,000 channels',
        verdict(x.retained_data_bytes >= 1e9 && x.channels >= 2000)]);
        rows.push(['publishes/s (durable, no subscribers)', fmt(pub.publishes_per_s),
          '', pub.publish_fail ? `${pub.publish_fail} failed` : '']);
      } else {
        rows.push(['publishes', `${fmt(pub.publish_ok)} ok, ${fmt(pub.publish_fail)} failed, ` +
          `${fmt(pub.publishes_per_s)}/s`, '', '']);
      }
      rows.push(['peak RSS (VmHWM)', mb(x.vmhwm_kb), `≤ ${mb(lim)}`,
        verdict(x.vmhwm_kb > 0 && lim ? x.vmhwm_kb <= lim : null)]);
      if (sc === '6') {
        rows.push(['SIGTERM to exit', `${fmt(x.sigterm_exit_ms)} ms`, '', '']);
        rows.push(['restart: exec → first GET with its events', x.restart_serving_ms >= 0
          ? `${fmt(x.restart_serving_ms)} ms (${x.restart_events_read}/${x.restart_expected_events} events)`
          : `never (HTTP ${x.restart_status})`, '≤ 3,000 ms',
        verdict(x.restart_serving_ms >= 0 && x.restart_serving_ms <= 3000 &&
          x.restart_events_read === x.restart_expected_events)]);
      }
      rows.forEach((row, i) => t.push(`| ${i ? '' : label(sc)} | ${i ? '' : p} | ${row.join(' | ')} |`));
      if (r.exit !== 0) notes.push(`${label(sc)} on ${p}: exit ${r.exit}`);
    }
  }
  t.push('', `Load average after each: ${boundScenarios.map((sc) => peers.filter((p) => run(sc, p))
    .map((p) => `S${sc} ${p} ${loadText(run(sc, p).loadavg)}`).join(', ')).join(', ')}.`);
  return t;
}

// Scenario 8: the issue's targets, per repetition: every view the same full member list within
// 1 s of the last join sent.
function stormTargets() {
  const t = ['## Room join storm: targets', '',
    '| scenario | peer | rep | converged after last join | ≤ 1,000 ms | views the same full list | loadavg |',
    '|---|---|---:|---:|---|---|---|'];
  for (const sc of stormScenarios) {
    for (const p of peers) {
      runsOf(sc, p).forEach((r, i) => {
        const x = r.result || {};
        const ms = x.complete ? x.converge_after_last_join_ms : null;
        const same = x.complete ? (x.views_identical ? `yes (${x.converged} views)` :
          `**no** (${x.views_differing} differ, ${x.duplicate_joins} duplicate joins)`) : '–';
        t.push(`| ${i ? '' : `S${sc}`} | ${i ? '' : p} | ${r.rep || 1} | ` +
          `${ms == null ? `never (${x.error || `exit ${r.exit}`})` : `${fmt(ms)} ms`} | ` +
          `${ms == null ? '**missed**' : ms <= 1000 ? 'met' : '**missed**'} | ${same} | ${loadText(r.loadavg)} |`);
      });
    }
  }
  return t;
}

// Scenario 9: the aims per repetition: 9a >= 20,000 changes/s, 9c commit -> delivery p99 <= 50 ms;
// CPU per change next to the REST route's in the same repetition.
function cdcTargets() {
  const t = ['## Change capture: aims', '',
    '| peer | rep | 9a changes/s | ≥ 20,000/s | 9c p99 ms | ≤ 50 ms | CPU µs/change 9a / 9b / 9c / 9d | loadavg |',
    '|---|---:|---:|---|---:|---|---|---|'];
  const verdict = (ok) => (ok == null ? '–' : ok ? 'met' : '**missed**');
  for (const p of peers) {
    for (const a of runsOf('9a', p)) {
      const same = (sc) => runs.find((r) => r.scenario === sc && r.peer === p && r.rep === a.rep);
      const c = same('9c');
      const rate = value(a, ['', 'delivered_per_s']);
      const p99 = value(c, ['', 'timestamp_to_delivery_ms.p99']);
      const cpu = ['9a', '9b', '9c', '9d'].map((sc) => fmt(value(same(sc), ['', 'server_cpu_us_per_change'])));
      t.push(`| ${p} | ${a.rep || 1} | ${fmt(rate)} | ${verdict(rate == null ? null : rate >= 20000)} | ` +
        `${fmt(p99)} | ${verdict(p99 == null ? null : p99 <= 50)} | ${cpu.join(' / ')} | ${loadText(a.loadavg)} |`);
    }
  }
  return t;
}

// ---- gnuplot ----------------------------------------------------------------------------------
const block = (name, scs, key) => {
  const rows = scs.filter((s) => scenarios.includes(s)).map((s) =>
    `"S${s}" ${peers.map((p) => { const v = med(s, p, [0, key]); return v == null ? '?' : v; }).join(' ')}`);
  return rows.length ? `$${name} << EOD\n${rows.join('\n')}\nEOD\n` : '';
};
const panels = [
  ['dps', ['1', '2'], 'deliveries_per_s', 'deliveries/s (higher is better)'],
  ['cpu', ['1', '2'], 'cpu_us_per_delivery', 'server CPU µs per delivery (lower is better)'],
  ['rss', ['4'], 'rss_per_conn_bytes', 'server RSS bytes per idle connection (lower is better)'],
].filter((p) => p[1].some((s) => scenarios.includes(s)));
if (panels.length) {
  let gp = `set terminal pngcairo size ${420 * panels.length},420 font "sans,9"\n` +
    `set output "${outBase}.png"\nset datafile missing "?"\nset style data histograms\n` +
    `set style histogram clustered gap 1\nset style fill solid 0.85 border -1\nset boxwidth 0.9\n` +
    `set grid ytics\nset yrange [0:*]\nset key below horizontal\n` +
    `set multiplot layout 1,${panels.length} title "Switchyard vs peers — ${machine.utc}${machine.quick ? ' (quick)' : ''}"\n`;
  for (const [name, scs, key, title] of panels) {
    gp += block(name, scs, key);
    gp += `set title "${title}"\n`;
    gp += 'plot ' + peers.map((p, i) => `$${name} using ${i + 2}:xtic(1) title "${p}"`).join(', ') + '\n';
  }
  gp += 'unset multiplot\n';
  fs.writeFileSync(`${outBase}.gp`, gp);
}
