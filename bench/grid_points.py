"""Prints, as a Lua table for wrk, one point inside each comprehensive grid of the demo
district (the mean of the grid's vertices): `python3 bench/grid_points.py demo.json`."""
import json
import sys

doc = json.load(open(sys.argv[1]))
print("return {")
for f in doc["features"]:
    if len(f["properties"]["code"]) == 15 and f["properties"].get("class", "comprehensive") == "comprehensive":
        ring = f["geometry"]["coordinates"][0][:-1]
        print("{%.7f,%.7f}," % (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)))
print("}")
