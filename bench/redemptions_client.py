#!/usr/bin/env python3
"""64 clients racing to redeem from one 爱心超市 shelf of limited stock, through the real API.

Setup (not timed): the community officer registers one member per client at the counter and
verifies enough declared service for each to afford more than their share, and puts one good
on the shelf. Race (timed): every client redeems one item at a time with a fresh
Idempotency-Key (every tenth request resends the previous key: a retry that must not post
again) until the shelf is empty. Then the books are checked: items sold = stock, each member's
balance = points earned - 5 × items they got, reconciliation exact.

Usage: base clients stock"""
import json, sys, threading, time, urllib.error, urllib.request

base, clients, stock = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
community, price, earned = "450802001001", 5, 100


def call(method, path, token=None, body=None, key=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


_, tok = call("POST", "/api/v1/auth/token", body={"username": "sq01", "password": "Shanzhi2026"})
officer = tok["token"]
today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
members = []
for i in range(clients):
    s, m = call("POST", "/api/v1/members", officer, {
        "community": community, "kind": "volunteer", "name": f"压测志愿者{i}", "phone": f"1365551{i:04d}",
        "commitment": "每周服务一次"})
    assert s == 201, m
    for _ in range(earned // 20):
        s, d = call("POST", "/api/v1/services", officer, {
            "member_id": m["id"], "category": "civility", "activity": "楼道清理", "served_on": today, "minutes": 120})
        assert s == 201, d
        s, v = call("POST", f"/api/v1/services/{d['id']}/verification", officer, {"approve": True})
        assert s == 200, v
    members.append(m["id"])
s, item = call("POST", "/api/v1/shop/items", officer, {"community": community, "name": "压测大米", "price": price, "stock": stock})
assert s == 201, item

lock = threading.Lock()
got = {m: 0 for m in members}
latencies, outcomes = [], {"created": 0, "replayed": 0, "out_of_stock": 0, "short": 0, "other": 0}


def racer(member):
    n, last = 0, None
    while True:
        n += 1
        key = last if (n % 10 == 0 and last) else f"bench-{member}-{n}"
        t = time.perf_counter()
        s, r = call("POST", "/api/v1/shop/redemptions", officer, {"member_id": member, "item_id": item["id"], "quantity": 1}, key)
        dt = (time.perf_counter() - t) * 1000
        with lock:
            latencies.append(dt)
            if s == 201:
                outcomes["created"] += 1
                got[member] += 1
            elif s == 200 and r.get("replayed"):
                outcomes["replayed"] += 1
            elif s == 409 and "库存不足" in r["error"]["message"]:
                outcomes["out_of_stock"] += 1
                return
            elif s == 409 and "积分不足" in r["error"]["message"]:
                outcomes["short"] += 1
                return
            else:
                outcomes["other"] += 1
                print("unexpected", s, r, file=sys.stderr)
                return
        last = key


threads = [threading.Thread(target=racer, args=(m,)) for m in members]
start = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - start

s, items = call("GET", f"/api/v1/shop/items?community={community}", officer)
left = next(i["stock"] for i in items if i["id"] == item["id"])
balances_ok = all(
    call("GET", f"/api/v1/points/statement?member={m}", officer)[1]["balance"] == earned - price * got[m] for m in members)
s, rec = call("GET", f"/api/v1/points/reconciliation?community={community}", officer)
exact = (not rec["balance_mismatches"] and not rec["stock_mismatches"] and not rec["unbalanced_postings"]
         and not rec["negative_accounts"] and rec["total"] == 0)
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]
print(f"| {clients} clients, stock {stock} | {len(latencies)} | {outcomes['created']} sold, {outcomes['replayed']} retries answered once, "
      f"{outcomes['out_of_stock']} refused (库存不足), {outcomes['other']} other | **{outcomes['created'] / elapsed:.0f} redemptions/s** "
      f"| {p(.5):.1f} ms | {p(.99):.1f} ms | stock left {left}; sold = stock: {outcomes['created'] == stock}; "
      f"every balance = earned − spent: {balances_ok}; reconciliation exact: {exact} |")
