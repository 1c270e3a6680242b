#!/usr/bin/env python3
"""The rest of a working day beside bench/soak.sh's reports: the wall screen's dashboard read
twice a second, a grid worker's patrol sending a batch of fixes every second (a new patrol every
five minutes), and cases carried through the loop (accept, dispatch, start, handle, verify,
close) by a community officer and a grid worker. Prints one line per minute and kind: requests,
failures, p50 and p99 in ms. Usage: base minutes"""
import json, sys, threading, time, urllib.error, urllib.request

base, minutes = sys.argv[1], float(sys.argv[2])
start = time.time()
end = start + minutes * 60
lock = threading.Lock()
stats = {}  # (minute, kind) -> [latencies], failures


def call(token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data, method=method,
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r) if r.status != 204 else None


def timed(kind, token, method, path, body=None):
    t = time.time()
    ok, out = True, None
    try:
        out = call(token, method, path, body)
    except (urllib.error.URLError, OSError, ValueError) as e:
        ok = False
        sys.stderr.write(f"{kind} {path}: {e}\n")
    ms = (time.time() - t) * 1000
    with lock:
        lat, bad = stats.setdefault((int((t - start) // 60), kind), ([], [0]))
        lat.append(ms)
        bad[0] += 0 if ok else 1
    return out


def token(user):
    req = urllib.request.Request(base + "/api/v1/auth/token",
                                 json.dumps({"username": user, "password": "Shanzhi2026"}).encode(),
                                 {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))["token"]


def dashboard():
    t = token("zhzx")
    while time.time() < end:
        timed("dashboard", t, "GET", "/api/v1/dashboard?node=450802")
        time.sleep(0.5)


def patrol():
    t = token("wg0101")
    while time.time() < end:
        p = timed("patrol", t, "POST", "/api/v1/patrols", {"grid": "450802001001001"})
        if not p:
            time.sleep(1)
            continue
        lon, lat, until = 109.5600, 23.0860, min(end, time.time() + 300)
        while time.time() < until:
            now = int(time.time() * 1000)
            fixes = [{"t": now - 1000 + i * 200, "lon": lon + i * 0.00002, "lat": lat, "acc": 8} for i in range(5)]
            lon += 0.0001
            timed("patrol", t, "POST", f"/api/v1/patrols/{p['id']}/fixes", fixes)
            time.sleep(1)
        timed("patrol", t, "POST", f"/api/v1/patrols/{p['id']}/end", {"summary": "长稳测试巡查"})


def steps():
    officer, worker = token("sq01"), token("wg0101")
    n = 0
    while time.time() < end:
        n += 1
        case = timed("steps", worker, "POST", "/api/v1/cases",
                     {"category": "03", "title": f"楼道堆放杂物 {n}", "description": "三楼楼道堆放杂物，影响通行",
                      "node_code": "450802001001001"})
        for who, body in [(officer, {"action": "accept"}), (officer, {"action": "dispatch", "to": "grid"}),
                          (worker, {"action": "start"}), (worker, {"action": "handle", "result": "已清理"}),
                          (officer, {"action": "verify_pass"}), (officer, {"action": "close"})]:
            if not case:
                break
            case = timed("steps", who, "POST", f"/api/v1/cases/{case['id']}/actions", {**body, "version": case["version"]})
        time.sleep(0.5)


threads = [threading.Thread(target=f, daemon=True) for f in (dashboard, patrol, steps)]
for th in threads:
    th.start()
for th in threads:
    th.join()
for (minute, kind), (lat, bad) in sorted(stats.items()):
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]
    print(f"{minute + 1}\t{kind}\t{len(lat)}\t{bad[0]}\t{q(.5):.1f}\t{q(.99):.1f}")
