#!/usr/bin/env python3
"""Times resident searches over the HTTP API, one client, as the command centre: exact ID
number (blind index) and name prefix within a community. Usage: base queries.txt count"""
import json, sys, time, urllib.parse, urllib.request

base, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
req = urllib.request.Request(base + "/api/v1/auth/token", json.dumps({"username": "zhzx", "password": "Shanzhi2026"}).encode(),
                             {"Content-Type": "application/json"})
token = json.load(urllib.request.urlopen(req))["token"]
qs = [l.rstrip("\n").split("\t") for l in open(path, encoding="utf-8")]
def run(kind, pairs):
    times, hits = [], 0
    for i in range(count):
        q, node = pairs[i % len(pairs)]
        url = f"{base}/api/v1/residents?q={urllib.parse.quote(q)}&node={node}&limit=50"
        t = time.perf_counter()
        body = urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})).read()
        times.append((time.perf_counter() - t) * 1000)
        hits += body != b"[]"
    times.sort()
    p = lambda x: times[min(len(times) - 1, int(len(times) * x))]
    print(f"| {kind} | {count} | {hits} | {p(.5):.2f} ms | {p(.99):.2f} ms |")
print("| search (HTTP, 1 client) | queries | with results | p50 | p99 |")
print("|---|---|---|---|---|")
run("exact ID number (blind index)", [(q, n) for k, q, n in qs if k == "id"])
run("name prefix (2 chars) in a community", [(q, n) for k, q, n in qs if k == "name"])
