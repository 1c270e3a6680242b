#!/usr/bin/env python3
"""Times the dashboard API for one month of a street and of the whole generated city, one
client, as the city's command centre (an account the bench makes: administrators see no
figures), warm (five requests first). Usage: base month street rounds [username]"""
import json, sys, time, urllib.request

base, month, street, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
user = sys.argv[5] if len(sys.argv) > 5 else "cc4509"
req = urllib.request.Request(base + "/api/v1/auth/token", json.dumps({"username": user, "password": "Shanzhi2026"}).encode(),
                             {"Content-Type": "application/json"})
token = json.load(urllib.request.urlopen(req))["token"]
for label, node in [("street", street), ("city", "4509")]:
    url = f"{base}/api/v1/dashboard?node={node}&month={month}"
    get = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    times = []
    for i in range(rounds + 5):
        t = time.perf_counter()
        body = json.load(urllib.request.urlopen(get))
        if i >= 5:
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(len(times) * q))]
    print(f"| dashboard API, {label} {node}, {month} | {rounds} | {body['cases']['received']} "
          f"| {p(.5):.2f} ms | **{p(.95):.2f} ms** |")
