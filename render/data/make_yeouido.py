#!/usr/bin/env python3
"""make_yeouido.py SRC.osm OUT.osm - the major streets of the Yeouido
OpenStreetMap extract (OpenStreetMap contributors, ODbL 1.0) for the map's
basemap: ways tagged highway = motorway, trunk, primary, secondary or
tertiary (and their links), with only their highway and name tags, and the
nodes they use, with only id, lat and lon.  Still OSM XML (the map reads it
with expat); ways keep their OSM ids, nodes their coordinates unchanged.
"""
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

KEEP = {"motorway", "trunk", "primary", "secondary", "tertiary",
        "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link"}


def main(src, out):
    root = ET.parse(src).getroot()
    nodes = {n.get("id"): (n.get("lat"), n.get("lon")) for n in root.iter("node")}
    ways, used = [], set()
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        if tags.get("highway") not in KEEP:
            continue
        refs = [nd.get("ref") for nd in w.iter("nd") if nd.get("ref") in nodes]
        if len(refs) < 2:
            continue
        ways.append((w.get("id"), refs, tags))
        used.update(refs)
    with open(out, "w", encoding="utf-8") as f:
        f.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        f.write('<osm version="0.6" generator="proxwatch make_yeouido.py">\n')
        f.write("<!-- Map data (c) OpenStreetMap contributors, ODbL 1.0, "
                "https://www.openstreetmap.org/copyright -->\n")
        for nid in sorted(used, key=int):
            lat, lon = nodes[nid]
            f.write('<node id="%s" lat="%s" lon="%s"/>\n' % (nid, lat, lon))
        for wid, refs, tags in ways:
            f.write('<way id="%s">' % wid)
            f.write("".join('<nd ref="%s"/>' % r for r in refs))
            f.write('<tag k="highway" v=%s/>' % quoteattr(tags["highway"]))
            if tags.get("name"):
                f.write('<tag k="name" v=%s/>' % quoteattr(tags["name"]))
            f.write("</way>\n")
        f.write("</osm>\n")
    print("%d ways, %d nodes written to %s" % (len(ways), len(used), out))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_yeouido.py SRC.osm OUT.osm")
    main(sys.argv[1], sys.argv[2])
