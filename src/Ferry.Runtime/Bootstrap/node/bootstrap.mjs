// Ferry's Lambda runtime loop for Node.js (20+, no dependencies).
//
// Speaks the Lambda Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API: loads the handler named by
// $_HANDLER from $LAMBDA_TASK_ROOT once, then fetches events one at a time, calls the handler and posts
// its result or error. Any failure to talk to the Runtime API is fatal: the process exits with code 1
// and Ferry replaces the instance.
//
// In a sandbox with a private network Ferry also sets $FERRY_RUNTIME_API_SOCKET, the UNIX socket that the
// sandbox's 127.0.0.1:9001 forwards to: the loop connects to it directly (same paths), which spares every
// invocation the forwarder's two extra hops. The HTTP client is http-connection.mjs (why: see that file).
//
// Stem mode (FERRY_STEM_CELL=1): started before any function is known, the loop first asks Ferry which
// function it becomes (GET .../ferry/identity), takes that function's whole environment, and then goes
// on exactly as above.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { HttpConnection } from './http-connection.mjs';

const awsSdkV2 = createRequire(import.meta.url)('./aws-sdk-v2-endpoints.cjs');

const API_VERSION = '2018-06-01';
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];

/** A failure with a Lambda error type, e.g. Runtime.HandlerNotFound. */
class RuntimeError extends Error {
  constructor(errorType, message, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.errorType = errorType;
  }
}

// ---------------------------------------------------------------------------------------------
// Runtime API client
// ---------------------------------------------------------------------------------------------

/** Thrown when Ferry answers 410: the instance is being stopped, and the loop ends quietly (exit code 0). */
class InstanceStopped extends Error {}

const NEXT_ROUTE = '/runtime/invocation/next';

class RuntimeApiClient {
  // One kept-alive connection: the loop never has two requests in flight.
  #connection;
  #basePath;

  /**
   * @param {string} address host:port with an optional path prefix, e.g. 127.0.0.1:9001/i/abc
   * @param {string | undefined} socketPath a UNIX socket that reaches the same API, used instead of host:port
   */
  constructor(address, socketPath) {
    const url = new URL(`http://${address}/${API_VERSION}`);
    this.#connection = new HttpConnection(socketPath
      ? { path: socketPath }
      : { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) });
    this.#basePath = url.pathname;
  }

  /** Long-polls for the next event. */
  async nextInvocation() {
    const res = await this.#request('GET', NEXT_ROUTE, undefined, undefined);
    if (res.status === 410) throw new InstanceStopped();
    if (res.status !== 200) {
      throw new Error(`GET ${NEXT_ROUTE} answered ${res.status}: ${res.body}`);
    }
    return invocationFrom(res, `GET ${NEXT_ROUTE}`);
  }

  /**
   * Stem mode: waits until Ferry gives this process a function; resolves with that function's environment,
   * or with null when the stem cell is stopped instead.
   */
  async identity() {
    const res = await this.#request('GET', '/ferry/identity', undefined, undefined);
    if (res.status === 410) return null;
    if (res.status !== 200) {
      throw new Error(`GET /ferry/identity answered ${res.status}: ${res.body}`);
    }
    const environment = JSON.parse(res.body)?.environment;
    if (typeof environment !== 'object' || environment === null
        || !Object.values(environment).every((value) => typeof value === 'string')) {
      throw new Error('GET /ferry/identity answered without an "environment" object of strings');
    }
    return environment;
  }

  /**
   * Posts the result. With `next`, asks Ferry (Lambda-Runtime-Ferry-Next: 1) to answer with the next invocation,
   * which it resolves with; null when the server answered otherwise (Lambda's 202, or a refusal): then GET …/next.
   */
  postInvocationResponse(requestId, json, next, silent) {
    return this.#post(`/runtime/invocation/${encodeURIComponent(requestId)}/response`, json, next, undefined, silent);
  }

  postInvocationError(requestId, error, next, silent) {
    return this.#post(`/runtime/invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(error), next,
      headerSafe(error.errorType), silent);
  }

  postInitError(error) {
    return this.#post('/runtime/init/error', JSON.stringify(error), false, headerSafe(error.errorType));
  }

  /**
   * Posts a report; a 4xx (e.g. the invocation already timed out) is logged, not fatal. `silent` names the output
   * streams that got no marker for this invocation (see markOutputEnd).
   */
  async #post(route, body, next, errorType, silent) {
    const payload = Buffer.from(body, 'utf8');
    const headers = { 'Content-Type': 'application/json', 'Content-Length': payload.length };
    if (next) headers['Lambda-Runtime-Ferry-Next'] = '1';
    if (errorType !== undefined) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
    if (silent !== undefined) headers['Lambda-Runtime-Ferry-Silent'] = silent;
    const res = await this.#request('POST', route, payload, headers);
    if (res.status === 200 && next) return invocationFrom(res, `POST ${route}`);
    if (res.status === 410 && next) throw new InstanceStopped();
    if (res.status >= 500) {
      throw new Error(`POST ${route} answered ${res.status}: ${res.body}`);
    }
    if (res.status >= 300) {
      process.stderr.write(`ferry-runtime: POST ${route} was refused with ${res.status}: ${res.body}\n`);
    }
    return null;
  }

  async #request(method, route, payload, headers) {
    try {
      return await this.#connection.request(method, this.#basePath + route, payload, headers);
    } catch (err) {
      throw new Error(`${method} ${route} failed: ${err.message}`, { cause: err });
    }
  }
}

/** An invocation from the answer to GET …/next (or to a post with Lambda-Runtime-Ferry-Next: 1). */
function invocationFrom(res, call) {
  const headers = res.headers;
  const requestId = headers['lambda-runtime-aws-request-id'];
  if (!requestId) {
    throw new Error(`${call} answered without a Lambda-Runtime-Aws-Request-Id header`);
  }
  return {
    requestId,
    deadlineMs: Number(headers['lambda-runtime-deadline-ms']) || Date.now() + 900_000,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'] ?? '',
    traceId: headers['lambda-runtime-trace-id'],
    clientContext: headers['lambda-runtime-client-context'],
    cognitoIdentity: headers['lambda-runtime-cognito-identity'],
    body: res.body,
  };
}

function headerSafe(value) {
  return String(value).replace(/[^\x20-\x7e]/g, '?');
}

// ---------------------------------------------------------------------------------------------
// Handler loading
// ---------------------------------------------------------------------------------------------

/**
 * Ferry provides the AWS SDKs as /node_modules (scripts/setup.sh installs them); when a missing module is one of them
 * and that folder is missing, say how to install it.
 */
function awsSdkHint(message) {
  if (!/Cannot find (module|package) '(aws-sdk|@aws-sdk\/[^']+)'/.test(message ?? '')) return '';
  return fs.existsSync('/node_modules/aws-sdk') || fs.existsSync('/node_modules/@aws-sdk')
    ? ''
    : ' (Ferry provides the AWS SDK for JavaScript to functions once scripts/setup.sh has installed it into /usr/local/lib/ferry/aws-sdk; or bundle it with the app)';
}

/** Loads "path/to/file.export" relative to the task root; throws RuntimeError for init failures. */
async function loadHandler(taskRoot, handlerName) {
  const dot = handlerName.lastIndexOf('.');
  if (dot <= 0 || dot === handlerName.length - 1) {
    throw new RuntimeError('Runtime.MalformedHandlerName',
      `Handler '${handlerName}' is malformed: expected 'path/to/file.export', e.g. 'index.handler'.`);
  }
  const modulePath = handlerName.slice(0, dot);
  const exportName = handlerName.slice(dot + 1);

  const file = MODULE_EXTENSIONS
    .map((ext) => path.resolve(taskRoot, modulePath + ext))
    .find((candidate) => fs.statSync(candidate, { throwIfNoEntry: false })?.isFile());
  if (file === undefined) {
    throw new RuntimeError('Runtime.ImportModuleError',
      `Error: Cannot find module '${modulePath}': none of ${MODULE_EXTENSIONS.map((e) => modulePath + e).join(', ')} exists in ${taskRoot}.`);
  }

  let mod;
  try {
    // import() honours the nearest package.json "type" and loads CommonJS as well as ES modules.
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err?.name === 'SyntaxError') {
      // CommonJS syntax errors start their stack with "file:line"; ES module ones carry no location.
      const where = /^(\/[^\n]+):(\d+)\n/.exec(err.stack ?? '');
      const location = where
        ? `${path.relative(taskRoot, where[1])}:${where[2]}`
        : `while loading ${path.relative(taskRoot, file)}`;
      throw new RuntimeError('Runtime.UserCodeSyntaxError', `${err.name}: ${err.message} (${location})`, err);
    }
    if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${err.message}${awsSdkHint(err.message)}`, err);
    }
    throw err; // An exception thrown by the module's own top-level code is reported as is.
  }

  // CommonJS exports the lexer can't see statically only appear on the default export.
  const handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound',
      `${handlerName} is undefined or not exported: ${path.relative(taskRoot, file)} has no function export '${exportName}'.`);
  }
  return handler;
}

// ---------------------------------------------------------------------------------------------
// Invocation
// ---------------------------------------------------------------------------------------------

function parseJsonHeader(value) {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** Builds the context object; `settle` ends the invocation (used by the legacy done/succeed/fail). */
function createContext(invocation, settle) {
  const env = process.env;
  const identity = parseJsonHeader(invocation.cognitoIdentity);
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: invocation.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '',
    awsRequestId: invocation.requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    identity: identity === undefined ? undefined : {
      cognitoIdentityId: identity.cognitoIdentityId,
      cognitoIdentityPoolId: identity.cognitoIdentityPoolId,
    },
    clientContext: parseJsonHeader(invocation.clientContext),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadlineMs - Date.now()),
    done: (err, result) => settle(err, result),
    succeed: (result) => settle(null, result),
    fail: (err) => settle(err ?? new Error('context.fail() was called without an error'), undefined),
  };
}

/**
 * Runs the handler and resolves with its result or rejects with its error. Supports async handlers,
 * synchronous return values, and callback-style handlers (event, context, callback).
 */
function runHandler(handler, event, invocation, state) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== null && err !== undefined) reject(err);
      else resolve(result);
    };
    state.settle = settle;

    const context = createContext(invocation, settle);
    let returned;
    try {
      returned = handler(event, context, settle);
    } catch (err) {
      settle(err ?? new Error('The handler threw a nullish value'));
      return;
    }
    if (typeof returned?.then === 'function') {
      returned.then((result) => settle(null, result),
        (err) => settle(err ?? new Error('The handler rejected with a nullish value')));
    } else if (returned !== undefined || handler.length < 3) {
      settle(null, returned);
    }
    // Otherwise a callback-style handler will call back (or the event loop drains, see beforeExit).
  });
}

function toErrorPayload(err) {
  if (err instanceof RuntimeError) {
    return { errorType: err.errorType, errorMessage: err.message, stackTrace: stackLines(err.cause) };
  }
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, stackTrace: stackLines(err) };
  }
  let message;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err);
  }
  return { errorType: typeof err, errorMessage: message, stackTrace: [] };
}

/** The "at ..." lines of an error's stack, without Node's internals and this loop's own frames. */
function stackLines(err) {
  if (typeof err?.stack !== 'string') return [];
  return err.stack.split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at ') && !line.includes('node:internal/') && !line.includes(import.meta.url));
}

/**
 * When Ferry asks for it (FERRY_OUTPUT_MARKERS=1), a marker line on stdout and stderr tells it that everything the
 * handler printed for this request came before: its END line then follows the handler's last line exactly.
 * A stream the invocation wrote nothing to (through process.stdout / process.stderr, which console.* and logging
 * libraries use) gets no marker, and the post names it instead (Lambda-Runtime-Ferry-Silent): there is nothing on it
 * to wait for, and Ferry saves a pipe read and a wake-up per stream. Output that bypasses those streams (a child
 * process's inherited stdio, fs.writeSync(1, …)) in an invocation that printed nothing else there is still stored
 * and attributed in the order it is read, but the END line does not wait for it.
 */
let outputMarkers = false;

/** Bytes written through a stream so far; null where the stream does not count them (a file rather than a pipe). */
function bytesWritten(stream) {
  const written = stream.bytesWritten;
  return typeof written === 'number' ? written : null;
}

/** What markOutputEnd compares with: the bytes written on [stdout, stderr] when an invocation starts. */
function outputPosition() {
  return outputMarkers ? [bytesWritten(process.stdout), bytesWritten(process.stderr)] : undefined;
}

/**
 * Prints the invocation's marker on each stream written to since `start` (outputPosition()); returns the streams
 * left without one ('stdout', 'stderr' or 'stdout,stderr') for the post, or undefined.
 */
function markOutputEnd(requestId, start) {
  if (!outputMarkers) return undefined;
  let silent;
  const streams = [process.stdout, process.stderr];
  for (let i = 0; i < 2; i++) {
    const before = start?.[i] ?? null;
    if (before !== null && bytesWritten(streams[i]) === before) {
      const name = i === 0 ? 'stdout' : 'stderr';
      silent = silent === undefined ? name : `${silent},${name}`;
    } else {
      streams[i].write(`\x1eferry:flushed ${requestId}\n`);
    }
  }
  return silent;
}

/**
 * Resolves once everything written to stdout and stderr so far has been handed to the OS; undefined when that is
 * already so (the usual case: Node writes to pipes synchronously), which saves two promises per invocation.
 */
function flushOutput() {
  const { stdout, stderr } = process;
  if (stdout.writableLength === 0 && !stdout.writableNeedDrain && stderr.writableLength === 0 && !stderr.writableNeedDrain) {
    return undefined;
  }
  const flush = (stream) => new Promise((resolve) => {
    if (stream.writableLength === 0 && !stream.writableNeedDrain) resolve();
    else stream.write('', () => resolve());
  });
  return Promise.all([flush(stdout), flush(stderr)]);
}

/** Runs `post` once the output is flushed (at once when it already is). */
function afterFlush(post) {
  const flushed = flushOutput();
  return flushed === undefined ? post() : flushed.then(post);
}

function logError(prefix, payload) {
  process.stderr.write(`${prefix} ${JSON.stringify(payload)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Main loop
// ---------------------------------------------------------------------------------------------

const TRACE_VARIABLE = '_X_AMZN_TRACE_ID';

/**
 * Makes process.env keep _X_AMZN_TRACE_ID in JavaScript instead of the C environment. Every invocation gives it a new
 * value, and an assignment to process.env calls setenv(3), where glibc keeps every value ever set (it cannot know
 * whether a pointer to an old one is still held): about 110 bytes per invocation, 112 MB in a runtime after a million
 * invocations. Through this Proxy handler code reads, writes, deletes and enumerates the variable as before, and child
 * processes get it (child_process copies the keys of process.env); only native code calling getenv(3) does not see it.
 * Every other variable goes to the real environment object, as before.
 */
function keepTraceVariableInJs() {
  const environment = process.env;
  let trace = environment[TRACE_VARIABLE];
  delete environment[TRACE_VARIABLE];
  const isTrace = (key) => key === TRACE_VARIABLE;
  process.env = new Proxy(environment, {
    get: (target, key) => (isTrace(key) ? trace : Reflect.get(target, key)),
    set: (target, key, value) => {
      if (!isTrace(key)) return Reflect.set(target, key, value);
      trace = `${value}`; // process.env holds strings only
      return true;
    },
    deleteProperty: (target, key) => {
      if (!isTrace(key)) return Reflect.deleteProperty(target, key);
      trace = undefined;
      return true;
    },
    defineProperty: (target, key, descriptor) => {
      if (!isTrace(key)) return Reflect.defineProperty(target, key, descriptor);
      trace = `${descriptor.value}`;
      return true;
    },
    has: (target, key) => (isTrace(key) ? trace !== undefined : Reflect.has(target, key)),
    ownKeys: (target) => (trace === undefined ? Reflect.ownKeys(target) : [...Reflect.ownKeys(target), TRACE_VARIABLE]),
    getOwnPropertyDescriptor: (target, key) => {
      if (!isTrace(key)) return Reflect.getOwnPropertyDescriptor(target, key);
      return trace === undefined ? undefined : { value: trace, writable: true, enumerable: true, configurable: true };
    },
  });
}

/** The invocation in flight, so process-level failures can be reported against it. */
let current = null;
let api = null;
/** Set when a process-level failure is being reported: the process ends, so it asks for no more invocations. */
let stopping = false;

/**
 * Runs one invocation and posts its outcome, asking Ferry to answer the post with the next invocation (one Runtime
 * API round trip per invocation); resolves with that next invocation, or null when there is none (then GET …/next).
 */
async function invoke(handler, invocation) {
  if (invocation.traceId) process.env[TRACE_VARIABLE] = invocation.traceId; // no setenv(3): keepTraceVariableInJs
  else delete process.env[TRACE_VARIABLE];

  const requestId = invocation.requestId;
  const state = { requestId, settle: null, report: null, output: outputPosition() };
  current = state;
  try {
    let event;
    try {
      event = invocation.body === '' ? null : JSON.parse(invocation.body);
    } catch (err) {
      throw new RuntimeError('Runtime.UnmarshalError', `Unable to parse the event as JSON: ${err.message}`, err);
    }
    const result = await runHandler(handler, event, invocation, state);

    let json;
    try {
      json = JSON.stringify(result === undefined ? null : result) ?? 'null';
    } catch (err) {
      throw new RuntimeError('Runtime.MarshalError', `Unable to stringify the handler's result: ${err.message}`, err);
    }
    if (state.report !== null) return null; // A process-level failure already reported this invocation.
    const silent = markOutputEnd(requestId, state.output);
    state.report = afterFlush(() => api.postInvocationResponse(requestId, json, true, silent));
    return await state.report;
  } catch (err) {
    if (state.report !== null) throw err; // Posting itself failed: fatal.
    const payload = toErrorPayload(err);
    logError('Invoke Error', payload);
    const silent = markOutputEnd(requestId, state.output);
    state.report = afterFlush(() => api.postInvocationError(requestId, payload, true, silent));
    return await state.report;
  } finally {
    current = null;
  }
}

/** Writes the reason to stderr and exits with code 1; `detail` is a message or an error (shown with its stack). */
async function fatal(message, detail) {
  process.stderr.write(`ferry-runtime: ${message}: ${detail?.stack ?? detail}\n`);
  await flushOutput();
  process.exit(1);
}

/** Uncaught exceptions and unhandled rejections fail the invocation in flight and end the process. */
async function onProcessFailure(err, errorType) {
  const state = current;
  try {
    stopping = true;
    if (state !== null && state.report === null) {
      const payload = { ...toErrorPayload(err), ...(errorType ? { errorType } : {}) };
      logError('Invoke Error', payload);
      const silent = markOutputEnd(state.requestId, state.output);
      // No next invocation: this process ends once the failure is reported.
      state.report = afterFlush(() => api.postInvocationError(state.requestId, payload, false, silent));
    }
    await state?.report;
  } catch (postErr) {
    process.stderr.write(`ferry-runtime: could not report the failure: ${postErr?.message ?? postErr}\n`);
  }
  await fatal(errorType ?? 'uncaught exception', err);
}

/**
 * Replaces the whole environment with the function's. Assigning TZ resets Node's time zone cache; variables
 * only read at process start (NODE_OPTIONS, LANG…) are equal to the cell's, or Ferry would not use a cell.
 */
function becomeFunction(environment) {
  for (const name of Object.keys(process.env)) {
    if (!Object.hasOwn(environment, name)) delete process.env[name];
  }
  for (const [name, value] of Object.entries(environment)) process.env[name] = value;
}

async function main() {
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) {
    await fatal('cannot start', 'AWS_LAMBDA_RUNTIME_API is not set (expected host:port[/prefix])');
    return;
  }
  api = new RuntimeApiClient(address, process.env.FERRY_RUNTIME_API_SOCKET);
  keepTraceVariableInJs();

  process.on('uncaughtException', (err) => void onProcessFailure(err, undefined));
  process.on('unhandledRejection', (reason) => void onProcessFailure(reason, 'Runtime.UnhandledPromiseRejection'));
  // A callback-style handler that never calls back finishes when its work is done, as on Lambda.
  process.on('beforeExit', () => current?.settle?.(null, undefined));

  if (process.env.FERRY_STEM_CELL === '1') {
    const environment = await api.identity();
    if (environment === null) process.exit(0);
    becomeFunction(environment);
  }

  awsSdkV2.install();
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER ?? '');
  } catch (err) {
    const payload = toErrorPayload(err);
    logError('Init Error', payload);
    try {
      await flushOutput();
      await api.postInitError(payload);
    } catch (postErr) {
      process.stderr.write(`ferry-runtime: could not report the init error: ${postErr.message}\n`);
    }
    await fatal('handler could not be loaded', payload.errorType);
    return;
  }

  outputMarkers = process.env.FERRY_OUTPUT_MARKERS === '1';
  let invocation = await api.nextInvocation();
  for (;;) {
    const next = await invoke(handler, invocation);
    if (stopping) return; // onProcessFailure ends the process.
    invocation = next ?? await api.nextInvocation();
  }
}

main().catch(async (err) => {
  if (err instanceof InstanceStopped) {
    // Ferry is stopping this instance (idle, replaced, server shutdown): not a failure.
    const flushed = flushOutput();
    if (flushed !== undefined) await flushed;
    process.exit(0);
  }
  await fatal('Runtime API failure', err?.message ?? err);
});
