'use strict';
// How Ferry's framework launchers (nuxt-launcher.mjs, next-launcher.cjs) take over the body of a Node HTTP response
// the app writes, whatever mix of writeHead, write, flushHeaders and end it uses with Node's optional arguments.

function setHeaders(response, headers) {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      response.setHeader(headers[i], headers[i + 1]);
    }
  } else if (headers) {
    for (const [name, value] of Object.entries(headers)) {
      response.setHeader(name, value);
    }
  }
}

function toBuffer(chunk, encoding) {
  if (Buffer.isBuffer(chunk)) {
    return chunk;
  }
  if (chunk instanceof Uint8Array) {
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  return Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8');
}

/**
 * Hooks `response` so that `open(original)` runs once, when the app first commits to its head (writeHead, flushHeaders,
 * or its first write or end), with the status and headers the app set. It may change the headers, and returns where the
 * body goes:
 *  - null: nowhere new; the response's own methods take over again, untouched from then on;
 *  - a sink `{ write(buffer, callback) → boolean, end(buffer, callback), holdHead }`, which gets every chunk as a Buffer
 *    and writes through `original.write(buffer, callback)` / `original.end(buffer, callback)`. With `holdHead` the head is
 *    not sent before the sink's end writes (which may set headers first, e.g. Content-Length); else it is sent at once.
 */
function takeOverBody(response, open) {
  const { writeHead, write, end } = response;
  const original = {
    write: (buffer, callback) => write.call(response, buffer, callback),
    end: (buffer, callback) => end.call(response, buffer, callback),
  };
  let sink;
  const restore = () => {
    delete response.writeHead;
    delete response.write;
    delete response.end;
  };
  const opened = () => {
    if (sink === undefined) {
      sink = response.headersSent ? null : open(original);
      if (sink === null) {
        restore();
      }
    }
    return sink;
  };

  response.writeHead = function ferryWriteHead(statusCode, message, headers) {
    if (typeof message !== 'string') {
      [message, headers] = [undefined, message];
    }
    setHeaders(response, headers);
    response.statusCode = statusCode;
    if (message !== undefined) {
      response.statusMessage = message;
    }
    const body = opened();
    if (body?.holdHead) {
      return response;
    }
    delete response.writeHead;
    return writeHead.call(response, statusCode);
  };
  response.write = function ferryWrite(chunk, encoding, callback) {
    const body = opened();
    if (body === null) {
      return write.call(response, chunk, encoding, callback);
    }
    if (typeof encoding === 'function') {
      [encoding, callback] = [undefined, encoding];
    }
    return body.write(toBuffer(chunk, encoding), callback);
  };
  response.end = function ferryEnd(chunk, encoding, callback) {
    if (typeof chunk === 'function') {
      [chunk, encoding, callback] = [undefined, undefined, chunk];
    } else if (typeof encoding === 'function') {
      [encoding, callback] = [undefined, encoding];
    }
    const body = opened();
    // The last call: from here Node's own methods finish the response (and send a held head).
    restore();
    if (body === null) {
      return end.call(response, chunk, encoding, callback);
    }
    body.end(chunk === undefined || chunk === null ? Buffer.alloc(0) : toBuffer(chunk, encoding), callback);
    return response;
  };
}

module.exports = { takeOverBody };
