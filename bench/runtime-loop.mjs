// What Ferry's runtime loops (src/Ferry.Runtime/Bootstrap) spend per invocation, without a gateway or a sandbox:
// a minimal Runtime API in this process (GET …/next, POST …/response, and Ferry's one-round-trip extension,
// Lambda-Runtime-Ferry-Next: 1) hands out events one at a time to a loop started as Ferry starts it, with a handler
// that returns {"ok":true}. For each loop folder given (e.g. main's and this branch's) and each language, in
// interleaved rounds, it reads the loop process's CPU time (the sum of /proc/PID/task/*/schedstat, nanoseconds: all
// its threads) before and after a batch of invocations and prints CPU µs per invocation, Runtime API requests per
// invocation, and the wall time per invocation (medians over the rounds).
//
//   node bench/runtime-loop.mjs --loops NAME=DIR[,NAME=DIR…] [--languages node,python] [--invocations 2000]
//                               [--warmup 300] [--rounds 3] [--cpu-prof DIR]
//
// DIR holds node/bootstrap.mjs and python/bootstrap.py (a copy of src/Ferry.Runtime/Bootstrap). With --cpu-prof,
// each Node loop also runs once more under `node --cpu-prof` and the functions with the most self time are listed.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const loops = (option('loops', '') || '').split(',').filter(Boolean).map((pair) => {
  const [name, dir] = pair.split('=');
  if (!dir || !fs.existsSync(path.join(dir, 'node', 'bootstrap.mjs'))) {
    throw new Error(`--loops: '${pair}' is not NAME=DIR with DIR/node/bootstrap.mjs`);
  }
  return { name, dir: path.resolve(dir) };
});
if (loops.length === 0) throw new Error('--loops NAME=DIR[,NAME=DIR…] is required');
const languages = option('languages', 'node,python').split(',');
const invocations = Number(option('invocations', '2000'));
const warmup = Number(option('warmup', '300'));
const rounds = Number(option('rounds', '3'));
const cpuProfDir = option('cpu-prof', undefined);

const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-loop-bench-'));
fs.writeFileSync(path.join(taskRoot, 'handler.js'), 'exports.handler = async () => ({ ok: true });\n');
fs.writeFileSync(path.join(taskRoot, 'handler.py'), 'def handler(event, context):\n    return {"ok": True}\n');

// ----- the Runtime API -----
let waiting = null; // the response of a long poll waiting for an event
let queued = null; // an event no poll has taken yet
let onReport = null;
let requests = 0;
let sequence = 0;
const eventBody = Buffer.from('{"path":"/node","httpMethod":"GET","headers":{"host":"127.0.0.1"},"body":null}');

function sendEvent(res, id) {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': eventBody.length,
    'Lambda-Runtime-Aws-Request-Id': id,
    'Lambda-Runtime-Deadline-Ms': String(Date.now() + 30_000),
    'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:local:000000000000:function:bench-dev-node',
    'Lambda-Runtime-Trace-Id': `Root=1-00000000-${id.padStart(24, '0')};Sampled=0`,
  });
  res.end(eventBody);
}

let retiring = false; // answer 410 to polls: the loop ends (exit code 0, or 1 for loops that treat it as a failure)

function offer(res) {
  if (retiring) {
    res.writeHead(410, { 'Content-Type': 'application/json' });
    res.end('{"errorType":"InstanceStopped","errorMessage":"This instance is being stopped"}');
    return;
  }
  if (queued !== null) {
    const id = queued;
    queued = null;
    sendEvent(res, id);
  } else {
    waiting = res;
  }
}

function invokeOnce() {
  return new Promise((resolve) => {
    onReport = resolve;
    const id = String(++sequence);
    if (waiting !== null) {
      const res = waiting;
      waiting = null;
      sendEvent(res, id);
    } else {
      queued = id;
    }
  });
}

const server = http.createServer((req, res) => {
  requests++;
  if (req.method === 'GET' && req.url.endsWith('/runtime/invocation/next')) {
    offer(res);
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url.endsWith('/init/error')) {
      process.stderr.write(`init error: ${Buffer.concat(chunks)}\n`);
      process.exit(1);
    }
    const report = onReport;
    onReport = null;
    if (req.headers['lambda-runtime-ferry-next'] === '1') offer(res);
    else {
      res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': 15 });
      res.end('{"status":"OK"}');
    }
    report?.();
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
server.keepAliveTimeout = 0;
const address = `127.0.0.1:${server.address().port}/i/bench`;

function cpuNs(pid) {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended while reading
    }
  }
  return total;
}

function start(loop, language, extraNodeArgs = []) {
  const command = language === 'node'
    ? ['node', ...extraNodeArgs, path.join(loop.dir, 'node', 'bootstrap.mjs')]
    : ['python3', '-u', path.join(loop.dir, 'python', 'bootstrap.py')];
  const child = spawn(command[0], command.slice(1), {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH,
      AWS_LAMBDA_RUNTIME_API: address,
      _HANDLER: 'handler.handler',
      LAMBDA_TASK_ROOT: taskRoot,
      FERRY_OUTPUT_MARKERS: '1', // as Ferry starts its own loops
      AWS_LAMBDA_FUNCTION_NAME: 'bench-dev-node',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume(); // read and drop, as Ferry's output pump reads the pipes
  child.stderr.resume();
  return child;
}

async function measure(loop, language) {
  waiting = null;
  queued = null;
  const child = start(loop, language);
  for (let i = 0; i < warmup; i++) await invokeOnce();
  const cpuBefore = cpuNs(child.pid);
  const requestsBefore = requests;
  const wallBefore = process.hrtime.bigint();
  for (let i = 0; i < invocations; i++) await invokeOnce();
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1000 / invocations;
  const cpu = (cpuNs(child.pid) - cpuBefore) / 1000 / invocations;
  const perInvocation = (requests - requestsBefore) / invocations;
  child.kill();
  await new Promise((resolve) => child.once('exit', resolve));
  return { cpu, wall, perInvocation };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const results = {};
for (let round = 0; round < rounds; round++) {
  const order = loops.map((_, i) => loops[(i + round) % loops.length]);
  for (const language of languages) {
    for (const loop of order) {
      const key = `${language} ${loop.name}`;
      const run = await measure(loop, language);
      (results[key] ??= []).push(run);
      process.stderr.write(`round ${round + 1} ${key}: ${run.cpu.toFixed(1)} µs CPU, ${run.wall.toFixed(1)} µs wall, ${run.perInvocation.toFixed(2)} requests per invocation\n`);
    }
  }
}

console.log(`| loop | CPU µs/invocation | wall µs/invocation | Runtime API requests/invocation |`);
console.log('| --- | ---: | ---: | ---: |');
for (const [key, runs] of Object.entries(results)) {
  console.log(`| ${key} | ${median(runs.map((r) => r.cpu)).toFixed(1)} | ${median(runs.map((r) => r.wall)).toFixed(1)} | ${median(runs.map((r) => r.perInvocation)).toFixed(2)} |`);
}
console.log(`\n${invocations} invocations per run after ${warmup} warm-up, ${rounds} rounds, medians; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version}`);

if (cpuProfDir !== undefined && languages.includes('node')) {
  fs.mkdirSync(cpuProfDir, { recursive: true });
  for (const loop of loops) {
    waiting = null;
    queued = null;
    const dir = path.resolve(cpuProfDir, loop.name);
    fs.rmSync(dir, { recursive: true, force: true });
    const child = start(loop, 'node', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < warmup + invocations; i++) await invokeOnce();
    // --cpu-prof writes its profile when the process exits by itself: retire the loop as Ferry does (410).
    retiring = true;
    if (waiting !== null) offer(waiting);
    await exited;
    retiring = false;
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    if (files.length === 0) {
      console.log(`\n${loop.name}: no profile written (node writes it only when the process exits normally)`);
      continue;
    }
    summarize(loop.name, JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8')));
  }
}

/** Self time per function of a .cpuprofile, per invocation. */
function summarize(name, profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const frame = node.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${path.basename(frame.url || '')}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${name}: --cpu-prof, ${warmup + invocations} invocations, ${(total / (warmup + invocations)).toFixed(1)} µs sampled per invocation (idle included); top self time per invocation:`);
  for (const [key, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`  ${(us / (warmup + invocations)).toFixed(1).padStart(7)} µs  ${key}`);
  }
}

server.close();
server.closeAllConnections();
fs.rmSync(taskRoot, { recursive: true, force: true });
