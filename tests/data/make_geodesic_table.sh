#!/usr/bin/env bash
# Regenerates geodesic_seoul.tsv: reference geodesic distances on WGS84 from
# GeographicLib's GeodSolve (Debian package geographiclib-tools).  Points are
# drawn with a fixed LCG, so the same tool version gives the same table.
# Even rows are long pairs (both ends anywhere within 49.5 km of the origin);
# odd rows are short (second end 1 m to 2 km from the first), where the alarm
# radius lives.  A changed table is a reviewed change.
set -euo pipefail
LAT0=37.5665 LON0=126.9780   # Seoul City Hall, the region origin of the tests
N=${1:-240}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# plan: az1 d1 az2 d2 kind   (kind 0: end 2 from the origin, 1: from end 1)
awk -v n="$N" 'function r() { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
BEGIN { s = 12345
  for (i = 0; i < n; i++) {
    az1 = r() * 360 - 180; d1 = sqrt(r()) * 49500
    az2 = r() * 360 - 180; u = r()
    if (i % 2 == 0) printf "%.9f %.3f %.9f %.3f 0\n", az1, d1, az2, sqrt(u) * 49500
    else            printf "%.9f %.3f %.9f %.3f 1\n", az1, d1, az2, 1 + u * 1999
  } }' > "$tmp/plan"
awk -v a="$LAT0" -v o="$LON0" '{print a, o, $1, $2}' "$tmp/plan" | GeodSolve -p 9 | awk '{print $1, $2}' > "$tmp/p1"
paste -d' ' "$tmp/p1" "$tmp/plan" | awk -v a="$LAT0" -v o="$LON0" \
  '{ if ($7 == 0) print a, o, $5, $6; else print $1, $2, $5, $6 }' | GeodSolve -p 9 | awk '{print $1, $2}' > "$tmp/p2"
paste -d' ' "$tmp/p1" "$tmp/p2" | GeodSolve -i -p 6 | awk '{print $3}' > "$tmp/s12"
{
  echo "# lat1	lon1	lat2	lon2	s12_m"
  echo "# Reference: GeographicLib GeodSolve $(GeodSolve --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1) (geod_inverse), WGS84, -p 6"
  echo "# Points: tests/data/make_geodesic_table.sh, around ${LAT0} ${LON0}"
  paste -d' ' "$tmp/p1" "$tmp/p2" "$tmp/s12" | awk '{printf "%s\t%s\t%s\t%s\t%s\n", $1, $2, $3, $4, $5}'
} > "$(dirname "$0")/geodesic_seoul.tsv"
