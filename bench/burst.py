"""Sends N requests at once to a URL and reports when each was answered: python3 burst.py URL N."""
import http.client
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

url, count = urlsplit(sys.argv[1]), int(sys.argv[2])
start_gate = threading.Barrier(count + 1)
results = [None] * count


def request(index):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    connection.connect()
    start_gate.wait()
    sent = time.perf_counter()
    connection.request("GET", url.path)
    response = connection.getresponse()
    response.read()
    results[index] = (response.status, time.perf_counter() - sent)


threads = [threading.Thread(target=request, args=(i,)) for i in range(count)]
for thread in threads:
    thread.start()
start_gate.wait()
began = time.perf_counter()
for thread in threads:
    thread.join()
total = time.perf_counter() - began

latencies = sorted(seconds for _, seconds in results)
statuses = {}
for status, _ in results:
    statuses[status] = statuses.get(status, 0) + 1
print(
    f"{count} requests: all answered after {total * 1000:.0f} ms; "
    f"latency min {latencies[0] * 1000:.0f} / median {statistics.median(latencies) * 1000:.0f} / "
    f"max {latencies[-1] * 1000:.0f} ms; statuses {statuses}"
)
