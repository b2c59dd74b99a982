"""Runs the interleaved wrk rounds of bench/gateway.sh and reports req/s, latency and CPU per request.

python3 gateway.py --duration 5s --rounds 3 --connections 1,32 --out FILE --raw FILE [--meta KEY=VALUE]...
                   --target NAME URL PROXY APP [--target ...]

PROXY and APP say whose CPU is charged to the target: "none", "self:PID" (that process), "tree:PID" (it and all its
descendants) or "descendants:PID" (only its descendants). CPU is utime+stime from /proc/PID/stat, read before and
after each wrk run; a process that starts during the run counts in full. In "tree" and "descendants" selections the
CPU of children reaped during the run (cutime+cstime of their parent, e.g. socat's per-connection children) counts
too, less what they had spent before the run; a process whose parent is outside the selection and exits during the
run is lost (counted in "vanished"). Every round runs every target once per connection count, the order rotated by
one each round.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk-summary.lua")


def read_processes():
    """pid -> (ppid, comm, starttime, own cpu ticks, reaped children's cpu ticks) for every process visible now."""
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                text = stat.read().decode("utf-8", "replace")
        except OSError:
            continue  # exited while scanning
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # fields[0] is field 3 (state) of proc(5): ppid = 4, utime = 14, stime = 15, cutime = 16, cstime = 17,
        # starttime = 22.
        processes[int(entry)] = (int(fields[1]), comm, int(fields[19]), int(fields[11]) + int(fields[12]),
                                 int(fields[13]) + int(fields[14]))
    return processes


def select(processes, spec):
    """The processes a spec names: {(pid, starttime): (comm, ticks, parent key or None)}; ticks include reaped
    children's except for "self"."""
    if spec == "none":
        return {}
    scope, pid = spec.split(":")
    pid = int(pid)
    children = {}
    for child, (parent, *_rest) in processes.items():
        children.setdefault(parent, []).append(child)
    chosen = [] if scope == "descendants" else [pid]
    if scope in ("tree", "descendants"):
        stack = list(children.get(pid, []))
        while stack:
            current = stack.pop()
            chosen.append(current)
            stack.extend(children.get(current, []))
    keys = {p: (p, processes[p][2]) for p in chosen if p in processes}
    return {
        keys[p]: (processes[p][1], processes[p][3] + (0 if scope == "self" else processes[p][4]), keys.get(processes[p][0]))
        for p in keys
    }


def cpu_delta(before, after):
    """CPU µs spent between two selections, by process name, and how many processes vanished in between."""
    by_name = {}
    for key, (comm, ticks, _parent) in after.items():
        spent = (ticks - before[key][1] if key in before else ticks) * TICK_US
        by_name[comm] = by_name.get(comm, 0) + spent
    vanished = 0
    for key, (comm, ticks, parent) in before.items():
        if key in after:
            continue
        if parent in after:
            # Reaped by a parent in the selection: its whole CPU is now in the parent's cutime+cstime.
            by_name[comm] = by_name.get(comm, 0) - ticks * TICK_US
        else:
            vanished += 1
    return by_name, vanished


def run_wrk(url, connections, duration, raw):
    threads = 1 if connections < 2 else 2
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency", "-s", LUA, url]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    raw.write(f"### {' '.join(command)}\n{completed.stdout}{completed.stderr}\n")
    raw.flush()
    lines = [line for line in completed.stdout.splitlines() if line.startswith("wrk-summary ")]
    if completed.returncode != 0 or not lines:
        sys.exit(f"wrk failed ({completed.returncode}) on {url}:\n{completed.stdout}{completed.stderr}")
    summary = json.loads(lines[-1][len("wrk-summary ") :])
    wrk_cpu_us = (after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime) * 1_000_000
    return summary, wrk_cpu_us, threads


def measure(target, connections, duration, raw):
    processes = read_processes()
    proxy_before, app_before = select(processes, target["proxy"]), select(processes, target["app"])
    summary, wrk_cpu_us, threads = run_wrk(target["url"], connections, duration, raw)
    processes = read_processes()
    proxy_cpu, proxy_vanished = cpu_delta(proxy_before, select(processes, target["proxy"]))
    app_cpu, app_vanished = cpu_delta(app_before, select(processes, target["app"]))
    requests = summary["requests"]
    seconds = summary["duration_us"] / 1_000_000
    per_request = lambda us: round(us / requests, 1) if requests else None  # noqa: E731
    node_us = sum(us for name, us in app_cpu.items() if name == "node")
    return {
        "target": target["name"],
        "connections": connections,
        "threads": threads,
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1),
        "p50_ms": summary["p50_us"] / 1000,
        "p90_ms": summary["p90_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "max_ms": summary["max_us"] / 1000,
        "errors": summary["errors"],
        "error_count": sum(summary["errors"].values()),
        "proxy_cpu_us_per_req": per_request(sum(proxy_cpu.values())) if target["proxy"] != "none" else None,
        "app_cpu_us_per_req": per_request(sum(app_cpu.values())),
        "node_cpu_us_per_req": per_request(node_us),
        "wrk_cpu_us_per_req": per_request(wrk_cpu_us),
        "proxy_cpu_by_process_us_per_req": {name: per_request(us) for name, us in sorted(proxy_cpu.items()) if us},
        "app_cpu_by_process_us_per_req": {name: per_request(us) for name, us in sorted(app_cpu.items()) if us},
        "vanished_processes": proxy_vanished + app_vanished,
    }


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def fmt(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="1,32")
    parser.add_argument("--out", required=True)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--meta", action="append", default=[])
    parser.add_argument("--target", nargs=4, action="append", metavar=("NAME", "URL", "PROXY", "APP"), required=True)
    args = parser.parse_args()
    targets = [dict(zip(("name", "url", "proxy", "app"), t)) for t in args.target]
    connection_counts = [int(c) for c in args.connections.split(",")]
    meta = dict(item.split("=", 1) for item in args.meta)
    meta["load_before"] = open("/proc/loadavg").read().split()[:3]

    runs = []
    with open(args.raw, "w") as raw:
        for round_number in range(args.rounds):
            shift = round_number % len(targets)
            order = targets[shift:] + targets[:shift]
            for connections in connection_counts:
                for target in order:
                    result = measure(target, connections, args.duration, raw)
                    result["round"] = round_number + 1
                    runs.append(result)
                    print(
                        f"round {round_number + 1} c{connections:<3} {target['name']:<12} {result['rps']:>9,.0f} req/s"
                        f"  p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms"
                        f"  proxy {fmt(result['proxy_cpu_us_per_req'], 1)} µs/req"
                        f"  app {fmt(result['app_cpu_us_per_req'], 1)} µs/req"
                        + (f"  ERRORS {result['errors']}" if result["error_count"] else ""),
                        file=sys.stderr,
                        flush=True,
                    )
    meta["load_after"] = open("/proc/loadavg").read().split()[:3]

    summary = {}
    for target in targets:
        for connections in connection_counts:
            mine = [r for r in runs if r["target"] == target["name"] and r["connections"] == connections]
            summary.setdefault(target["name"], {})[f"c{connections}"] = {
                key: median([r[key] for r in mine])
                for key in ("rps", "p50_ms", "p99_ms", "proxy_cpu_us_per_req", "app_cpu_us_per_req",
                            "node_cpu_us_per_req", "wrk_cpu_us_per_req")
            } | {"errors": sum(r["error_count"] for r in mine), "rounds": len(mine)}

    def ratio(numerator, denominator):
        return round(numerator / denominator, 3) if numerator is not None and denominator else None

    def get(name, connections, key):
        return summary.get(name, {}).get(f"c{connections}", {}).get(key)

    ratios = {}
    for c in connection_counts:
        ratios[f"ferry_web_over_nginx_rps_c{c}"] = ratio(get("ferry-web", c, "rps"), get("nginx", c, "rps"))
        ratios[f"ferry_web_over_direct_rps_c{c}"] = ratio(get("ferry-web", c, "rps"), get("direct", c, "rps"))
        ratios[f"nginx_over_direct_rps_c{c}"] = ratio(get("nginx", c, "rps"), get("direct", c, "rps"))
        ratios[f"ferry_web_cpu_over_nginx_cpu_c{c}"] = ratio(
            get("ferry-web", c, "proxy_cpu_us_per_req"), get("nginx", c, "proxy_cpu_us_per_req"))
        ratios[f"ferry_event_cpu_over_nginx_cpu_c{c}"] = ratio(
            get("ferry-event", c, "proxy_cpu_us_per_req"), get("nginx", c, "proxy_cpu_us_per_req"))
        ratios[f"event_over_web_rps_c{c}"] = ratio(get("ferry-event", c, "rps"), get("ferry-web", c, "rps"))
        # The bare Kestrel + YARP proxy (bench/BareProxy): what the .NET stack costs, and what Ferry adds to it.
        ratios[f"yarp_over_nginx_rps_c{c}"] = ratio(get("yarp", c, "rps"), get("nginx", c, "rps"))
        ratios[f"yarp_cpu_over_nginx_cpu_c{c}"] = ratio(
            get("yarp", c, "proxy_cpu_us_per_req"), get("nginx", c, "proxy_cpu_us_per_req"))
        ratios[f"ferry_web_over_yarp_rps_c{c}"] = ratio(get("ferry-web", c, "rps"), get("yarp", c, "rps"))
        ratios[f"ferry_web_cpu_over_yarp_cpu_c{c}"] = ratio(
            get("ferry-web", c, "proxy_cpu_us_per_req"), get("yarp", c, "proxy_cpu_us_per_req"))

    with open(args.out, "w") as out:
        json.dump({"meta": meta, "summary": summary, "ratios": ratios, "runs": runs}, out, indent=2)
        out.write("\n")

    # The table: medians over the rounds.
    print(f"medians of {args.rounds} interleaved rounds, wrk -d{args.duration}; CPU = utime+stime from /proc, µs per request")
    print()
    print("| target | conns | req/s | p50 ms | p99 ms | proxy CPU µs/req | app CPU µs/req (node) | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in connection_counts:
        for target in targets:
            s = summary[target["name"]][f"c{c}"]
            print(f"| {target['name']} | {c} | {fmt(s['rps'])} | {fmt(s['p50_ms'], 2)} | {fmt(s['p99_ms'], 2)} "
                  f"| {fmt(s['proxy_cpu_us_per_req'], 1)} | {fmt(s['app_cpu_us_per_req'], 1)} "
                  f"({fmt(s['node_cpu_us_per_req'], 1)}) | {s['errors']} |")
    print()
    print("| ratio (issue 12) | " + " | ".join(f"c{c}" for c in connection_counts) + " |")
    print("| --- | " + " | ".join("---:" for _ in connection_counts) + " |")
    for label, key in (("Ferry web fn / nginx, req/s (goal ≥ 0.9)", "ferry_web_over_nginx_rps"),
                       ("Ferry gateway CPU per request / nginx's, web fn (goal ≤ 2)", "ferry_web_cpu_over_nginx_cpu"),
                       ("Ferry gateway CPU per request / nginx's, event fn", "ferry_event_cpu_over_nginx_cpu"),
                       ("event fn / web fn, req/s (goal ≥ 0.5 at c32)", "event_over_web_rps"),
                       ("nginx / direct, req/s", "nginx_over_direct_rps"),
                       ("Ferry web fn / direct, req/s", "ferry_web_over_direct_rps"),
                       ("bare YARP proxy / nginx, req/s", "yarp_over_nginx_rps"),
                       ("bare YARP proxy CPU per request / nginx's", "yarp_cpu_over_nginx_cpu"),
                       ("Ferry web fn / bare YARP proxy, req/s", "ferry_web_over_yarp_rps"),
                       ("Ferry gateway CPU per request / bare YARP proxy's, web fn", "ferry_web_cpu_over_yarp_cpu")):
        if all(ratios[f"{key}_c{c}"] is None for c in connection_counts):
            continue  # a target of this ratio was not run
        print(f"| {label} | " + " | ".join(fmt(ratios[f'{key}_c{c}'], 2) for c in connection_counts) + " |")
    print()
    print(f"load average before {' '.join(meta['load_before'])}, after {' '.join(meta['load_after'])}")


if __name__ == "__main__":
    main()
