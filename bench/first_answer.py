#!/usr/bin/env python3
"""Time to an app's first answer, bare and through Ferry, measured the same way by one long-lived client.

    first_answer.py --name NAME --runs N [--warmup W] --json FILE
        --bare-dir DIR --bare-port PORT --bare-command "CMD"     # started on the host, polled until it answers
        [--bare-path PATH]                                       # what is polled (default /)
        --ferry-prepare "CMD" --ferry-url URL                    # untimed (a deploy), then one request

Bare: the clock starts when CMD (split like a shell word list, no shell) is spawned in a session of its own, and stops
when an HTTP GET of PATH on 127.0.0.1:PORT, retried every 0.5 ms while the connection is refused, has its whole answer; the
session is then killed and the port waited free (untimed). Ferry: after the prepare command (untimed), the clock runs
from the request to its whole answer. Both sides pay one TCP connect and one HTTP exchange from this same process, and
neither pays a client's process start: timing `curl` as a process (hyperfine) added its 5-9 ms start to the Ferry side
only, since on the bare side it overlapped the app's own start. Runs alternate bare / Ferry so drift hits both.
Appends {"name", "bare": [ms...], "ferry": [ms...]} to the JSON list in FILE.
"""
import argparse
import http.client
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

POLL = 0.0005


def get(host, port, path, timeout=30.0):
    """One GET on a new connection; the status once the whole answer is read."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def refused(port):
    with socket.socket() as probe:
        try:
            probe.connect(("127.0.0.1", port))
            return False
        except ConnectionRefusedError:
            return True


def bare_run(directory, command, port, path="/", limit=120.0):
    while not refused(port):
        time.sleep(0.05)  # the previous run's app still holds the port
    started = time.perf_counter()
    app = subprocess.Popen(command, cwd=directory, start_new_session=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                status = get("127.0.0.1", port, path)
                elapsed = (time.perf_counter() - started) * 1000
                break
            except ConnectionRefusedError:
                if app.poll() is not None:
                    sys.exit(f"bare {shlex.join(command)} exited with {app.returncode} before answering")
                if time.perf_counter() - started > limit:
                    sys.exit(f"bare {shlex.join(command)} did not answer within {limit:.0f} s")
                time.sleep(POLL)
        if status >= 400:
            sys.exit(f"bare {shlex.join(command)} answered {status}")
        return elapsed
    finally:
        try:
            os.killpg(app.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        app.wait()


def ferry_run(prepare, url):
    subprocess.run(prepare, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = urlsplit(url)
    started = time.perf_counter()
    status = get(parts.hostname, parts.port or 80, parts.path or "/")
    elapsed = (time.perf_counter() - started) * 1000
    if status >= 400:
        sys.exit(f"Ferry answered {status} at {url}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--json", required=True)
    parser.add_argument("--bare-dir", required=True)
    parser.add_argument("--bare-port", type=int, required=True)
    parser.add_argument("--bare-command", required=True)
    parser.add_argument("--bare-path", default="/")
    parser.add_argument("--ferry-prepare", required=True)
    parser.add_argument("--ferry-url", required=True)
    args = parser.parse_args()

    command = shlex.split(args.bare_command)
    bare, ferry = [], []
    for run in range(args.warmup + args.runs):
        b = bare_run(args.bare_dir, command, args.bare_port, args.bare_path)
        f = ferry_run(args.ferry_prepare, args.ferry_url)
        if run >= args.warmup:
            bare.append(b)
            ferry.append(f)
        print(f"{args.name} run {run + 1 - args.warmup}: bare {b:.1f} ms, Ferry {f:.1f} ms"
              + (" (warm-up)" if run < args.warmup else ""), file=sys.stderr)

    results = json.load(open(args.json)) if os.path.exists(args.json) else []
    results.append({"name": args.name, "bare": bare, "ferry": ferry})
    with open(args.json, "w") as out:
        json.dump(results, out, indent=1)
    print(f"{args.name}: bare median {statistics.median(bare):.1f} ms, Ferry median {statistics.median(ferry):.1f} ms",
          file=sys.stderr)


if __name__ == "__main__":
    main()
