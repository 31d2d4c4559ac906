#!/usr/bin/env python3
"""Regenerates polygon_prob.tsv: the probability that a 2-D isotropic Gaussian
point (mean mx, my; per-axis standard deviation sigma, metres) lies inside a
polygon, the reference for eng_prob_in_polygon (engine/polyprob.c).

Method, deliberately different from the engine's (which sums signed triangles
around the mean in polar coordinates): integrate over x, and for each x
integrate over y exactly.  A vertical line at x meets the polygon in a set of
y-intervals; the Gaussian mass over them is a sum of differences of the
normal CDF (math.erf), times the normal density in x.  As a function of x
that is smooth between consecutive vertex abscissae, so x is cut there into
slabs; in each slab the edges crossing it and their order are fixed, taken at
the slab's midpoint (so slab ends get the one-sided limits, which matters at
vertical edges).  Each slab, clipped to mx +- 10 sigma (2 Phi(-10) < 1e-22 is
left out), is integrated with composite Simpson's rule, the step being
sigma / (K max(1, |slope|)) over the slab's edges, so that even a steep edge's
CDF term is resolved.  Python floats and the math module only.

Convergence: every row is computed with K = 64 and again with K = 128 (the
step halved); the table holds the K = 128 value.  Simpson's error falls
16-fold when the step is halved, so the K = 128 error is about a fifteenth of
the change.  The script prints the largest change over the table and stops if
it exceeds 1e-7; at the time of writing it was 3.4e-10, so the table is good
to about 2e-11, far inside the 1e-6 asked of it.  As an independent check,
rows on rectangles (the square, the street, and the street turned 30 degrees
after turning the mean back) are compared with the exact product of two CDF
differences, which holds because the x and y of an isotropic Gaussian are
independent; the largest difference was 1.3e-11 (the script stops above
1e-8).

Run: python3 tests/data/make_polygon_prob.py   (writes the table next to it)
A changed table is a reviewed change.
"""
import math
import os
import sys

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def rotated(poly, deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return [(c * x - s * y, s * x + c * y) for x, y in poly]


def regular(n, radius):
    return [(radius * math.cos(2 * math.pi * k / n), radius * math.sin(2 * math.pi * k / n))
            for k in range(n)]


SQUARE = [(0.0, 0.0), (150.0, 0.0), (150.0, 150.0), (0.0, 150.0)]
ELL = [(0.0, 0.0), (200.0, 0.0), (200.0, 80.0), (80.0, 80.0), (80.0, 200.0), (0.0, 200.0)]
YOO = [(0.0, 0.0), (300.0, 0.0), (300.0, 300.0), (200.0, 300.0), (200.0, 100.0),
       (100.0, 100.0), (100.0, 300.0), (0.0, 300.0)]
STREET = [(0.0, 0.0), (800.0, 0.0), (800.0, 10.0), (0.0, 10.0)]

POLYGONS = {
    "square150_ccw": SQUARE,
    "square150_cw": SQUARE[::-1],
    "ell_ccw": ELL,
    "ell_cw": ELL[::-1],
    "u_ccw": YOO,
    "u_cw": YOO[::-1],
    "circle16_r200": regular(16, 200.0),
    "street_10x800": STREET,
    "street_rot30_cw": rotated(STREET, 30.0)[::-1],
}


def rows():
    """(polygon, mx, my, sigma) for every row of the table."""
    out = []
    # The square: centre, corner, edge midpoint, 50 m outside, far
    # outside, on every sigma from GNSS to cell-tower accuracy.
    for s in (1.0, 20.0, 100.0, 300.0, 1000.0):
        for mx, my in ((75, 75), (0, 0), (75, 0), (75, -50), (75, -2500)):
            out.append(("square150_ccw", mx, my, s))
    out += [("square150_ccw", 30, 110, 50), ("square150_ccw", -50, 0, 100),
            ("square150_ccw", 400, 400, 300), ("square150_ccw", 150, 75, 1)]
    # The same square clockwise.
    for mx, my, s in ((75, 75, 300), (0, 0, 300), (75, 0, 20), (75, -50, 100), (30, 110, 50),
                      (75, 75, 1)):
        out.append(("square150_cw", mx, my, s))
    # Non-convex L: its inner corner, the reflex vertex (80, 80), the notch
    # (outside), an arm, an edge, outside.
    for mx, my in ((40, 40), (80, 80), (140, 140), (40, 160), (200, 40), (260, 40)):
        for s in (20.0, 100.0):
            out.append(("ell_ccw", mx, my, s))
    out += [("ell_ccw", 140, 140, 300), ("ell_ccw", 80, 80, 1)]
    for mx, my, s in ((140, 140, 100), (80, 80, 20), (40, 40, 300)):
        out.append(("ell_cw", mx, my, s))
    # Concave U: inside the notch (outside the polygon), the notch floor and
    # mouth, the bar, an arm, a reflex vertex.
    for mx, my in ((150, 200), (150, 100), (150, 300), (150, 50), (50, 200), (100, 100)):
        for s in (10.0, 50.0):
            out.append(("u_ccw", mx, my, s))
    out += [("u_ccw", 150, 200, 150), ("u_ccw", 150, 220, 1), ("u_ccw", 150, 150, 300)]
    for mx, my, s in ((150, 200, 50), (50, 200, 150)):
        out.append(("u_cw", mx, my, s))
    # A circle of radius 200 m as a 16-gon: centre, off centre, a vertex, an
    # edge midpoint, outside.
    mid = 200.0 * math.cos(math.pi / 16)
    for mx, my in ((0, 0), (100, 0), (200, 0), (mid * math.cos(math.pi / 16),
                                                   mid * math.sin(math.pi / 16)), (0, 250)):
        for s in (20.0, 100.0):
            out.append(("circle16_r200", mx, my, s))
    out += [("circle16_r200", 0, 0, 300), ("circle16_r200", 0, 0, 1000),
            ("circle16_r200", 100, 0, 300)]
    # A street, 10 m by 800 m: its centre line, a kerb, 20 m off, its end, a
    # corner, and far beside it.
    for mx, my in ((400, 5), (400, 0), (400, -20), (800, 5), (0, 0)):
        for s in (5.0, 20.0):
            out.append(("street_10x800", mx, my, s))
    out += [("street_10x800", 400, 5, 100), ("street_10x800", 400, 500, 100),
            ("street_10x800", 400, 5, 1)]
    # The street rotated 30 degrees and clockwise: no edge is axis-parallel.
    for (px, py), s in (((400, 5), 10.0), ((400, 5), 50.0), ((400, -20), 10.0),
                        ((810, 5), 10.0), ((-30, -30), 50.0)):
        mx, my = rotated([(px, py)], 30.0)[0]
        out.append(("street_rot30_cw", mx, my, s))
    return out


# Simpson steps per sigma (over the steepest edge's slope): the table is
# computed with 2 K_COARSE and checked against K_COARSE.
K_COARSE = 64


def normal_cdf(z):
    return 0.5 * (1.0 + math.erf(z * SQRT1_2))


def slabs(poly):
    """Yield (x0, x1, edges): x-slabs between consecutive vertex abscissae and
    the non-vertical edges crossing each, as (slope, intercept), sorted in y."""
    xs = sorted(set(x for x, _ in poly))
    n = len(poly)
    for x0, x1 in zip(xs, xs[1:]):
        xm = 0.5 * (x0 + x1)
        lines = []
        for i in range(n):
            (ax, ay), (bx, by) = poly[i], poly[(i + 1) % n]
            if min(ax, bx) <= x0 and max(ax, bx) >= x1 and ax != bx:
                slope = (by - ay) / (bx - ax)
                lines.append((slope, ay - slope * ax))
        lines.sort(key=lambda L: L[0] * xm + L[1])
        assert len(lines) % 2 == 0
        yield x0, x1, lines


def probability(poly, mx, my, sigma, k):
    total = 0.0
    for x0, x1, lines in slabs(poly):
        lo, hi = max(x0, mx - 10 * sigma), min(x1, mx + 10 * sigma)
        if hi <= lo:
            continue
        steep = max([1.0] + [abs(s) for s, _ in lines])
        panels = max(2, 2 * math.ceil((hi - lo) * k * steep / (2 * sigma)))
        h = (hi - lo) / panels
        acc = 0.0
        for i in range(panels + 1):
            x = lo + i * h
            inner = 0.0
            for j in range(0, len(lines), 2):
                y0 = lines[j][0] * x + lines[j][1]
                y1 = lines[j + 1][0] * x + lines[j + 1][1]
                inner += normal_cdf((y1 - my) / sigma) - normal_cdf((y0 - my) / sigma)
            zx = (x - mx) / sigma
            f = inner * math.exp(-0.5 * zx * zx) * INV_SQRT_2PI / sigma
            acc += f * (1 if i in (0, panels) else 4 if i % 2 else 2)
        total += acc * h / 3.0
    return total


def rectangle_probability(poly, mx, my, sigma):
    """Closed form for an axis-parallel rectangle: the x and y axes of an
    isotropic Gaussian are independent, so P is a product of two CDF
    differences.  None for any other polygon."""
    xs, ys = sorted(set(x for x, _ in poly)), sorted(set(y for _, y in poly))
    if len(poly) != 4 or len(xs) != 2 or len(ys) != 2:
        return None
    return ((normal_cdf((xs[1] - mx) / sigma) - normal_cdf((xs[0] - mx) / sigma)) *
            (normal_cdf((ys[1] - my) / sigma) - normal_cdf((ys[0] - my) / sigma)))


def main():
    worst = worst_closed = 0.0
    lines = []
    for name, mx, my, sigma in rows():
        poly = POLYGONS[name]
        coarse = probability(poly, mx, my, sigma, K_COARSE)
        fine = probability(poly, mx, my, sigma, 2 * K_COARSE)
        worst = max(worst, abs(fine - coarse))
        closed = rectangle_probability(poly, mx, my, sigma)
        if name == "street_rot30_cw":
            # Rotation invariance: the same street and mean, turned back.
            ux, uy = rotated([(mx, my)], -30.0)[0]
            closed = rectangle_probability(STREET, ux, uy, sigma)
        if closed is not None:
            worst_closed = max(worst_closed, abs(fine - closed))
        lines.append("%s\t%.17g\t%.17g\t%g\t%.12f" % (name, mx, my, sigma, fine))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "polygon_prob.tsv")
    with open(path, "w") as f:
        f.write("# polygon_prob.tsv - made by tests/data/make_polygon_prob.py (x-slabs,\n"
                "# Simpson in x, erf in y); do not edit by hand.  Halving the step changed\n"
                "# no value by more than %.1e.\n" % worst)
        f.write("# Polygons, as vertex lists x y x y ... in local metres:\n")
        for name, poly in POLYGONS.items():
            f.write("# polygon %s %s\n" % (name, " ".join("%.17g %.17g" % p for p in poly)))
        f.write("# polygon\tmx_m\tmy_m\tsigma_m\tprobability\n")
        f.write("\n".join(lines) + "\n")
    print("%d rows, largest change on halving the step %.2e, largest difference from the "
          "rectangle closed form %.2e" % (len(lines), worst, worst_closed), file=sys.stderr)
    assert worst < 1e-7 and worst_closed < 1e-8


if __name__ == "__main__":
    main()
