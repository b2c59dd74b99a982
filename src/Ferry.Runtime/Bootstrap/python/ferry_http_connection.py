"""A minimal HTTP/1.1 client for the runtime loop's one conversation with the Runtime API.

One request at a time over one kept-alive connection (TCP or a UNIX socket), the answer's body read whole. It speaks
what any HTTP/1.1 server may answer: Content-Length, chunked transfer coding (with trailers), a body that ends with
the connection, "Connection: close", answers split over any number of reads. A request on a kept connection that the
server had already closed (an idle keep-alive timeout) is sent once more on a new one.

Why not http.client: per invocation the loop exchanges two small HTTP messages, and http.client's machinery
(HTTPResponse over a buffered file, email-style header parsing) costs more CPU than the rest of the loop
(bench/README.md, issue 12, step 9). The official runtime client, awslambdaric, avoids it for the same reason with a
native HTTP client.
"""

import re
import socket

_HEADER_END = b"\r\n\r\n"
_MAX_ANSWER_BYTES = 64 * 1024 * 1024
_STATUS_LINE = re.compile(rb"^HTTP/1\.([01]) (\d{3})")
_CHUNKED = re.compile(r"(^|,)\s*chunked\s*$", re.IGNORECASE)


class HttpConnectionError(Exception):
    """The request failed; before_answer tells whether no byte of an answer had arrived."""

    def __init__(self, message, before_answer=False):
        super().__init__(message)
        self.before_answer = before_answer


class HttpConnection:
    def __init__(self, host=None, port=None, socket_path=None):
        if socket_path is not None:
            self._address = (socket.AF_UNIX, socket_path)
            self._host_header = "localhost"
        else:
            self._address = (socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))
            self._host_header = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._socket = None
        self._answered = 0

    def request(self, method, path, body=None, headers=None):
        """Sends one request; returns (status, headers with lower-case names, body bytes)."""
        head = [f"{method} {path} HTTP/1.1\r\nHost: {self._host_header}\r\n"]
        if headers:
            head.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        if body is not None and not (headers and "Content-Length" in headers):
            head.append(f"Content-Length: {len(body)}\r\n")
        head.append("\r\n")
        message = "".join(head).encode("latin-1") + (body or b"")

        reused = self._socket is not None and self._answered > 0
        try:
            return self._send(message)
        except HttpConnectionError as err:
            if not reused or not err.before_answer:
                raise
            return self._send(message)  # the server closed the idle connection as this request went out

    def close(self):
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _send(self, message):
        if self._socket is None:
            family, address = self._address
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.connect(address)
            except OSError as err:
                sock.close()
                raise HttpConnectionError(str(err), before_answer=True) from err
            if family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket = sock
            self._answered = 0
        parser = _AnswerParser()
        try:
            self._socket.sendall(message)
            answer = None
            while answer is None:
                chunk = self._socket.recv(65536)
                answer = parser.push(chunk) if chunk else parser.end()
        except (OSError, HttpConnectionError) as err:
            self.close()
            before = not parser.started
            raise HttpConnectionError(str(err), before_answer=before) from err
        status, response_headers, body, close = answer
        self._answered += 1
        if close:
            self.close()
        return status, response_headers, body


class _AnswerParser:
    """Reads one HTTP/1.1 answer from the bytes of a connection, in whatever pieces they arrive."""

    def __init__(self):
        self.started = False
        self._buffer = bytearray()
        self._mode = "head"  # then "length", "chunked" or "until-close"
        self._length = 0
        self._status = 0
        self._headers = None
        self._close = False
        self._chunks = []

    def push(self, chunk):
        """Adds bytes; the answer (status, headers, body, close) once complete, else None."""
        self.started = True
        self._buffer += chunk
        if len(self._buffer) > _MAX_ANSWER_BYTES:
            raise HttpConnectionError(f"the answer is larger than {_MAX_ANSWER_BYTES} bytes")
        if self._mode == "head" and not self._read_head():
            return None
        if self._mode == "length":
            if len(self._buffer) < self._length:
                return None
            if len(self._buffer) > self._length:
                raise HttpConnectionError("the server sent more than the answer it announced")
            return self._answer(bytes(self._buffer))
        if self._mode == "chunked":
            return self._read_chunks()
        return None  # until the connection ends

    def end(self):
        """The connection ended: the answer when its end is the connection's end; an error when it was cut short."""
        if self._mode == "until-close":
            return self._answer(bytes(self._buffer))
        raise HttpConnectionError("the connection was closed", before_answer=not self.started)

    def _read_head(self):
        end = self._buffer.find(_HEADER_END)
        if end < 0:
            return False
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        match = _STATUS_LINE.match(lines[0])
        if match is None:
            raise HttpConnectionError(f"not an HTTP/1.x answer: {lines[0][:100].decode('latin-1')!r}")
        self._status = int(match.group(2))
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon or not name.strip():
                raise HttpConnectionError(f"malformed header line: {line[:100].decode('latin-1')!r}")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self._headers = headers
        connection = headers.get("connection", "").lower()
        self._close = "close" in connection or (match.group(1) == b"0" and "keep-alive" not in connection)
        del self._buffer[: end + len(_HEADER_END)]

        if self._status < 200:
            raise HttpConnectionError(f"unexpected interim answer {self._status}")
        if self._status in (204, 304):
            self._mode, self._length = "length", 0
        elif _CHUNKED.search(headers.get("transfer-encoding", "")):
            self._mode = "chunked"
        elif "content-length" in headers:
            if not headers["content-length"].isdigit():
                raise HttpConnectionError(f"malformed Content-Length: {headers['content-length']}")
            self._mode, self._length = "length", int(headers["content-length"])
            if self._length > _MAX_ANSWER_BYTES:
                raise HttpConnectionError(f"the answer is larger than {_MAX_ANSWER_BYTES} bytes")
        else:
            self._mode, self._close = "until-close", True
        return True

    def _read_chunks(self):
        buffer = self._buffer
        while True:
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                return None
            if self._length < 0:
                # After the last chunk: trailer lines, then an empty line.
                del buffer[: line_end + 2]
                if line_end == 0:
                    if buffer:
                        raise HttpConnectionError("the server sent more than the answer it announced")
                    return self._answer(b"".join(self._chunks))
                continue
            size_text = bytes(buffer[:line_end]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise HttpConnectionError(f"malformed chunk size: {size_text[:20]!r}") from None
            if size == 0:
                del buffer[: line_end + 2]
                self._length = -1
                continue
            start = line_end + 2
            if len(buffer) < start + size + 2:
                return None
            if buffer[start + size : start + size + 2] != b"\r\n":
                raise HttpConnectionError("malformed chunk: its data does not end with CRLF")
            self._chunks.append(bytes(buffer[start : start + size]))
            del buffer[: start + size + 2]

    def _answer(self, body):
        return self._status, self._headers, body, self._close
