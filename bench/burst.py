"""Sends N requests at once to a URL and reports when each was answered: python3 burst.py URL N.

One thread and non-blocking sockets: all N connections are opened first, then the N requests are written back to back
and the answers are read as they arrive (epoll). An earlier version used a thread per request; its own GIL and thread
switches took 15-23 ms to collect 50 answers from a Node server that does nothing, more than the bursts it measured.
Run with URL pointing at such a server to see this client's own floor (bench/burst.sh does, as its baseline).
"""
import selectors
import socket
import statistics
import sys
import time
from urllib.parse import urlsplit

TIMEOUT_S = 60


class Exchange:
    """One request on its own connection, and the answer read so far."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()
        self.sent = 0.0
        self.answered = None
        self.status = None

    def answer_complete(self, closed):
        """Parses what has arrived; True once the whole answer is here (Content-Length, chunked, or end of stream)."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if closed:
                raise ConnectionError("the server closed the connection before answering")
            return False
        lines = bytes(self.buffer[:head_end]).decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = memoryview(self.buffer)[head_end + 4:]
        if "content-length" in headers:
            return len(body) >= int(headers["content-length"])
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return chunked_body_complete(body)
        return closed


def chunked_body_complete(body):
    position = 0
    while True:
        line_end = bytes(body[position:position + 32]).find(b"\r\n")
        if line_end < 0:
            return False
        size = int(bytes(body[position:position + line_end]).split(b";")[0], 16)
        position += line_end + 2
        if size == 0:
            trailers = bytes(body[position:])  # none: just the final CRLF; else header lines and a blank line
            return trailers == b"\r\n" or trailers.endswith(b"\r\n\r\n")
        position += size + 2
        if position > len(body):
            return False


def main():
    url, count = urlsplit(sys.argv[1]), int(sys.argv[2])
    request = (f"GET {url.path or '/'} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
               f"User-Agent: ferry-burst\r\nAccept: */*\r\n\r\n").encode("ascii")

    exchanges = []
    for _ in range(count):
        sock = socket.create_connection((url.hostname, url.port), timeout=TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        exchanges.append(Exchange(sock))

    selector = selectors.DefaultSelector()
    began = time.perf_counter()
    for exchange in exchanges:
        exchange.sent = time.perf_counter()
        exchange.sock.send(request)  # a few hundred bytes into an empty socket buffer: never partial
        selector.register(exchange.sock, selectors.EVENT_READ, exchange)

    waiting = count
    deadline = began + TIMEOUT_S
    while waiting:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            sys.exit(f"burst.py: {waiting} of {count} requests unanswered after {TIMEOUT_S} s")
        for key, _ in selector.select(remaining):
            exchange = key.data
            chunk = exchange.sock.recv(65536)
            exchange.buffer += chunk
            if exchange.answer_complete(closed=not chunk):
                exchange.answered = time.perf_counter()
                selector.unregister(exchange.sock)
                exchange.sock.close()
                waiting -= 1
    total = max(exchange.answered for exchange in exchanges) - began

    latencies = sorted(exchange.answered - exchange.sent for exchange in exchanges)
    statuses = {}
    for exchange in exchanges:
        statuses[exchange.status] = statuses.get(exchange.status, 0) + 1
    print(
        f"{count} requests: all answered after {total * 1000:.1f} ms; "
        f"latency min {latencies[0] * 1000:.1f} / median {statistics.median(latencies) * 1000:.1f} / "
        f"max {latencies[-1] * 1000:.1f} ms; statuses {statuses}"
    )


if __name__ == "__main__":
    main()
