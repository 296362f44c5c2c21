// The walkthrough a new user follows (README.md, CLUSTER.md, scripts/run.sh) only uses tools
// the repository provides: no websocat (Debian has none), no `require('ws')` from a directory
// without `ws` installed, the binary as build/switchyard, and no second server on run.sh's
// port 9009 (or in its data directory). Usage: node walkthrough_docs.mjs (exit 0 = passed).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const problems = [];
const read = (f) => fs.readFileSync(path.join(root, f), 'utf8');

// Shell code blocks of a markdown file, as [line number, text] with continuations joined.
function shellLines(file) {
  const out = [];
  let inSh = false;
  let pending = null;
  read(file).split('\n').forEach((line, i) => {
    if (/^```/.test(line)) {
      inSh = !inSh && /^```(sh|bash)\s*$/.test(line);
      return;
    }
    if (!inSh) return;
    if (pending) pending[1] += ' ' + line.trim();
    else pending = [i + 1, line.trim()];
    if (!line.endsWith('\\')) {
      out.push(pending);
      pending = null;
    }
  });
  return out;
}

function checkCommand(where, cmd) {
  if (/\bwebsocat\b/.test(cmd)) problems.push(`${where}: websocat is not packaged in Debian: ${cmd}`);
  if (/require\(['"]ws['"]\)/.test(cmd) && !/cd clients\/js &&/.test(cmd))
    problems.push(`${where}: needs ws, which only clients/js and tests/clients install: ${cmd}`);
  if (/(^|[;&|(]\s*)switchyard\s/.test(cmd))
    problems.push(`${where}: the binary is build/switchyard: ${cmd}`);
  if (/build\/switchyard serve/.test(cmd)) {
    const listen = /--listen\s+\S*:(\d+)/.exec(cmd);
    if (!listen || listen[1] === '9009')
      problems.push(`${where}: a second server on run.sh's port 9009: ${cmd}`);
    if (!/storage\.dir=|SWITCHYARD_DATA_DIR=|storage\.engine=memory/.test(cmd))
      problems.push(`${where}: shares run.sh's data directory (one daemon per storage.dir): ${cmd}`);
  }
  const example = /node (clients\/js\/\S+\.mjs)/.exec(cmd);
  if (example && !fs.existsSync(path.join(root, example[1])))
    problems.push(`${where}: ${example[1]} does not exist`);
}

for (const file of ['README.md', 'CLUSTER.md'])
  for (const [n, cmd] of shellLines(file)) checkCommand(`${file}:${n}`, cmd);

// run.sh prints its examples from a heredoc; every indented line of it is a command or a token.
const runSh = read('scripts/run.sh');
const info = /<<INFO\n([\s\S]*?)\nINFO\n/.exec(runSh);
if (!info) problems.push('scripts/run.sh: no INFO heredoc');
else
  info[1].split('\n').forEach((line, i) => {
    if (line.startsWith('  ')) checkCommand(`scripts/run.sh INFO line ${i + 1}`, line.trim());
  });
if (!/build\/switchyard tail /.test(runSh) || !/build\/switchyard publish /.test(runSh))
  problems.push('scripts/run.sh: no switchyard tail / publish example');
if (!/clients\/js\/examples\/tail\.mjs/.test(runSh))
  problems.push('scripts/run.sh: no JavaScript client example');

if (problems.length) {
  console.error('FAIL:\n' + problems.join('\n'));
  process.exit(1);
}
console.log('PASS walkthrough docs');
