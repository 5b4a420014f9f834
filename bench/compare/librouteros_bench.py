#!/usr/bin/env python3
"""librouteros (PyPI) against the same simulator as the Rust benchmarks.

Usage: librouteros_bench.py --addr HOST:PORT --mode bulk|rtt [--reps N] [--round-trips N]
                            [--user U] [--password P]

bulk: /ip/firewall/address-list/print, every row counted and its `address` read.
rtt:  N sequential /system/identity/print round trips on one connection.

Connecting and logging in are not timed. One untimed warm-up, then --reps timed repetitions.
Prints one JSON object: times, best and median (ms), items per repetition, and the peak
resident set size of this process (getrusage ru_maxrss, KiB on Linux).
"""

import argparse
import importlib.metadata
import json
import resource
import statistics
import sys
import time

import librouteros
from librouteros.login import plain


def bulk(api):
    rows = 0
    touched = 0
    for row in api("/ip/firewall/address-list/print"):
        rows += 1
        touched += len(row.get("address", ""))
    if rows and not touched:
        raise RuntimeError("rows carried no address")
    return rows


def rtt(api, n):
    for _ in range(n):
        rows = list(api("/system/identity/print"))
        if not rows or "name" not in rows[0]:
            raise RuntimeError("identity reply had no name")
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", required=True)
    parser.add_argument("--mode", choices=["bulk", "rtt"], required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--round-trips", type=int, default=1000)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="")
    args = parser.parse_args()

    host, port = args.addr.rsplit(":", 1)
    api = librouteros.connect(
        host, args.user, args.password, port=int(port), login_method=plain, timeout=60
    )
    run = (lambda: bulk(api)) if args.mode == "bulk" else (lambda: rtt(api, args.round_trips))
    times = []
    items = 0
    for rep in range(args.reps + 1):
        start = time.perf_counter()
        items = run()
        elapsed = (time.perf_counter() - start) * 1e3
        if rep > 0:
            times.append(elapsed)
    api.close()
    print(
        json.dumps(
            {
                "client": f"{args.mode}-librouteros",
                "version": importlib.metadata.version("librouteros"),
                "best_ms": min(times),
                "median_ms": statistics.median(times),
                "times_ms": times,
                "items": items,
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
