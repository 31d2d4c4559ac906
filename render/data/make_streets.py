#!/usr/bin/env python3
"""make_streets.py SRC.geojson OUT.geojson - the major streets of central
Seoul for the map's basemap, from the project's shared copy of the osmnx
street graph (junggu_jongno_streets.geojson, OpenStreetMap data, ODbL 1.0).

Keeps primary, secondary and tertiary streets and their links (the ones a
map at city scale draws), one LineString per street segment in either
direction (the graph has both directions of two-way streets), coordinates
unchanged but rounded to 1e-5 degree (about 1 m), and the properties the
map uses: highway (the class) and name (Korean) where OpenStreetMap has it.
"""
import json
import sys

KEEP = {"primary", "secondary", "tertiary", "primary_link", "secondary_link", "tertiary_link",
        "trunk", "trunk_link", "motorway", "motorway_link"}


def first(v):
    return v[0] if isinstance(v, list) else v


def main(src, out):
    d = json.load(open(src, encoding="utf-8"))
    seen, feats = set(), []
    for f in d["features"]:
        p = f["properties"]
        h = first(p.get("highway"))
        if h not in KEEP:
            continue
        key = tuple(sorted((p["from"], p["to"]))) + (len(f["geometry"]["coordinates"]),)
        if key in seen:
            continue
        seen.add(key)
        q = {"highway": h}
        if p.get("name"):
            q["name"] = first(p["name"])
        coords = [[round(x, 5), round(y, 5)] for x, y in f["geometry"]["coordinates"]]
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                      "properties": q})
    with open(out, "w", encoding="utf-8") as fo:
        fo.write('{"type":"FeatureCollection",\n"attribution":"Map data (c) OpenStreetMap contributors, ODbL 1.0",\n"features":[\n')
        fo.write(",\n".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in feats))
        fo.write("\n]}\n")
    print("%d street segments written to %s" % (len(feats), out))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_streets.py SRC.geojson OUT.geojson")
    main(sys.argv[1], sys.argv[2])
