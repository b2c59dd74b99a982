// A minimal HTTP/1.1 client for the runtime loop's one conversation: one request at a time over one kept-alive
// connection (TCP or a UNIX socket), the body read whole.
//
// Why not node:http: the loop's own work per invocation is two small HTTP messages, and node:http's client
// (ClientRequest, Agent, IncomingMessage streams) costs more CPU than everything else the loop does: about 125 µs per
// invocation against 55 µs with this client (bench/README.md, issue 12, step 9). The official runtime client,
// aws-lambda-ric, avoids it for the same reason with a native HTTP client.
//
// It speaks what any HTTP/1.1 server may answer: Content-Length, chunked transfer coding (with trailers) or a body
// that ends with the connection, "Connection: close", and answers split over any number of reads. A request on a kept
// connection that the server had already closed (an idle keep-alive timeout) is sent once more on a new one.

import net from 'node:net';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** Answers larger than this fail the request (Ferry's payload limit is 6 MiB; headers are small). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export class HttpConnection {
  #connect;
  #hostHeader;
  /** @type {net.Socket | null} */
  #socket = null;
  /** Requests answered on the current socket: a failure before any answer on a reused socket is retried once. */
  #answered = 0;
  /** The answer being read: { resolve, reject, parser } */
  #pending = null;

  /**
   * @param {{ path: string } | { host: string, port: number }} endpoint a UNIX socket path, or host and port
   */
  constructor(endpoint) {
    this.#connect = 'path' in endpoint
      ? () => net.createConnection({ path: endpoint.path })
      : () => net.createConnection({ host: endpoint.host, port: endpoint.port, noDelay: true });
    this.#hostHeader = 'path' in endpoint
      ? 'localhost'
      : `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
  }

  /**
   * Sends one request and resolves with { status, headers (lower-case names), body (UTF-8 string) }.
   * @param {string} method
   * @param {string} path
   * @param {Buffer | undefined} payload
   * @param {Record<string, string | number> | undefined} headers
   */
  async request(method, path, payload, headers) {
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n`;
    if (headers !== undefined) {
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    }
    if (payload !== undefined && (headers === undefined || !('Content-Length' in headers))) {
      head += `Content-Length: ${payload.length}\r\n`;
    }
    head += '\r\n';
    const message = payload === undefined || payload.length === 0
      ? Buffer.from(head, 'latin1')
      : Buffer.concat([Buffer.from(head, 'latin1'), payload]);

    const reused = this.#socket !== null && this.#answered > 0;
    try {
      return await this.#send(message);
    } catch (err) {
      if (!reused || !err.beforeAnswer) throw err;
      return await this.#send(message); // the server closed the idle connection as this request went out
    }
  }

  #send(message) {
    if (this.#pending !== null) throw new Error('HttpConnection: a request is already in flight');
    if (this.#socket === null) this.#open();
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject, parser: new AnswerParser() };
      this.#socket.ref(); // a request in flight keeps the process alive
      this.#socket.write(message);
    });
  }

  #open() {
    const socket = this.#connect();
    this.#socket = socket;
    this.#answered = 0;
    socket.on('data', (chunk) => this.#onData(socket, chunk));
    socket.on('end', () => this.#onEnd(socket));
    socket.on('error', (err) => this.#fail(socket, err));
    socket.on('close', () => this.#fail(socket, new Error('the connection was closed')));
  }

  #onData(socket, chunk) {
    const pending = this.#pending;
    if (socket !== this.#socket || pending === null) {
      socket.destroy(); // bytes nobody asked for: this connection can't be trusted any more
      return;
    }
    let answer;
    try {
      answer = pending.parser.push(chunk);
    } catch (err) {
      this.#fail(socket, err);
      return;
    }
    if (answer !== null) this.#finish(socket, answer);
  }

  #onEnd(socket) {
    const pending = this.#pending;
    if (socket === this.#socket && pending !== null) {
      const answer = pending.parser.end();
      if (answer !== null) {
        this.#finish(socket, answer);
        return;
      }
    }
    this.#fail(socket, new Error('the connection was closed'));
  }

  #finish(socket, answer) {
    const { resolve } = this.#pending;
    this.#pending = null;
    this.#answered++;
    if (answer.close) this.#drop(socket);
    // An idle kept connection does not keep the process alive (as node:http's agent does not): the event loop may
    // drain while a handler runs, which is how a callback-style handler that never calls back finishes.
    else socket.unref();
    resolve({ status: answer.status, headers: answer.headers, body: answer.body });
  }

  #fail(socket, err) {
    if (socket !== this.#socket) return;
    this.#drop(socket);
    const pending = this.#pending;
    if (pending === null) return; // an idle connection went away: the next request opens a new one
    this.#pending = null;
    const error = new Error(err.message, { cause: err });
    error.beforeAnswer = !pending.parser.started;
    pending.reject(error);
  }

  #drop(socket) {
    if (this.#socket === socket) this.#socket = null;
    socket.destroy();
  }
}

/** Reads one HTTP/1.1 answer from the bytes of a connection, in whatever pieces they arrive. */
class AnswerParser {
  /** Bytes of the head, or of the chunked body, not parsed yet. */
  #buffer = EMPTY;
  #status = 0;
  #headers = null;
  #close = false;
  /** 'head', 'length', 'chunked' or 'until-close' */
  #mode = 'head';
  /** The announced length ('length'); -1 once the last chunk was read ('chunked'). */
  #length = 0;
  #received = 0;
  /** The body's pieces: kept as they come and joined once, so a large body is copied once. */
  #chunks = [];
  started = false;

  /** Adds bytes; returns the answer once it is complete, else null. */
  push(chunk) {
    this.started = true;
    if (this.#mode === 'length' || this.#mode === 'until-close') return this.#addBody(chunk);
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#buffer.length > MAX_ANSWER_BYTES) throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    if (this.#mode === 'head') {
      if (!this.#readHead()) return null;
      if (this.#mode !== 'chunked') {
        const rest = this.#buffer;
        this.#buffer = EMPTY;
        return this.#addBody(rest);
      }
    }
    return this.#readChunks();
  }

  /** The connection ended: the answer, when its end is the connection's end; null when it is cut short. */
  end() {
    return this.#mode === 'until-close' ? this.#answer(Buffer.concat(this.#chunks)) : null;
  }

  #addBody(chunk) {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#received += chunk.length;
    }
    if (this.#received > MAX_ANSWER_BYTES) throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    if (this.#mode === 'until-close' || this.#received < this.#length) return null;
    if (this.#received > this.#length) throw new Error('the server sent more than the answer it announced');
    return this.#answer(this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks));
  }

  #readHead() {
    const end = this.#buffer.indexOf(HEADER_END);
    if (end < 0) return false;
    const lines = this.#buffer.toString('latin1', 0, end).split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (statusLine === null) throw new Error(`not an HTTP/1.x answer: ${JSON.stringify(lines[0].slice(0, 100))}`);
    this.#status = Number(statusLine[2]);
    const headers = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(lines[i].slice(0, 100))}`);
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    this.#headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.#close = connection.includes('close') || (statusLine[1] === '0' && !connection.includes('keep-alive'));
    this.#buffer = this.#buffer.subarray(end + HEADER_END.length);

    if (this.#status < 200) throw new Error(`unexpected interim answer ${this.#status}`);
    if (this.#status === 204 || this.#status === 304) {
      this.#mode = 'length';
      this.#length = 0;
    } else if (/(^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '')) {
      this.#mode = 'chunked';
    } else if (headers['content-length'] !== undefined) {
      if (!/^\d+$/.test(headers['content-length'])) throw new Error(`malformed Content-Length: ${headers['content-length']}`);
      this.#mode = 'length';
      this.#length = Number(headers['content-length']);
      if (this.#length > MAX_ANSWER_BYTES) throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    } else {
      this.#mode = 'until-close';
      this.#close = true;
    }
    return true;
  }

  /** Consumes whole chunks; the answer once the last chunk and the trailers are in. */
  #readChunks() {
    for (;;) {
      if (this.#length < 0) {
        // After the last chunk: trailer lines, then an empty line.
        const lineEnd = this.#buffer.indexOf(CRLF);
        if (lineEnd < 0) return null;
        this.#buffer = this.#buffer.subarray(lineEnd + CRLF.length);
        if (lineEnd === 0) {
          if (this.#buffer.length > 0) throw new Error('the server sent more than the answer it announced');
          return this.#answer(Buffer.concat(this.#chunks));
        }
        continue;
      }
      const lineEnd = this.#buffer.indexOf(CRLF);
      if (lineEnd < 0) return null;
      const sizeText = this.#buffer.toString('latin1', 0, lineEnd).split(';')[0].trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`malformed chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        this.#buffer = this.#buffer.subarray(lineEnd + CRLF.length);
        this.#length = -1;
        continue;
      }
      const dataStart = lineEnd + CRLF.length;
      if (this.#buffer.length < dataStart + size + CRLF.length) return null;
      if (this.#buffer[dataStart + size] !== 13 || this.#buffer[dataStart + size + 1] !== 10) {
        throw new Error('malformed chunk: its data does not end with CRLF');
      }
      this.#chunks.push(this.#buffer.subarray(dataStart, dataStart + size));
      this.#buffer = this.#buffer.subarray(dataStart + size + CRLF.length);
    }
  }

  #answer(body) {
    return { status: this.#status, headers: this.#headers, close: this.#close, body: body.toString('utf8') };
  }
}
