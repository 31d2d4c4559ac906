/*
 * polyprob.c - the probability that a Gaussian position lies inside a
 * polygon zone.  Pure function of its arguments; no allocation.
 *
 * The polygon is split into signed triangles (mean, A, B), one per edge AB;
 * their Gaussian masses add up to the polygon's whichever side of each edge
 * the mean lies, so one sum covers convex and non-convex polygons and means
 * inside or outside.  In polar coordinates around the mean the mass of one
 * triangle is
 *   (1 / 2 pi) * integral over theta of (1 - exp(-r(theta)^2 / 2 s^2)) dtheta.
 * Integrated in theta, the integrand turns into a spike of width h / s as the
 * edge's distance h from the mean goes to zero (the mean on an edge line),
 * which no fixed rule follows.  So the integral is taken along the edge
 * instead.  With lengths in units of s sqrt(2), t the position along the edge
 * measured from the foot of the perpendicular from the mean and q the signed
 * distance of the edge's line, dtheta = q dt / (q^2 + t^2) and the mass is
 *   (q / 2 pi) * integral from tA to tB of E(q^2 + t^2) dt,
 *   E(w) = (1 - exp(-w)) / w,
 * where E is an entire function bounded by 1: no singularity at q = 0 or at a
 * vertex on the mean, and a smooth bump of width about 1 in t.
 *
 * Where w >= T_NEAR^2 the exponential is below exp(-16) and E is 1 / w, whose
 * integral is the plain angle the piece of edge subtends.  So an edge needs
 * quadrature only over the part with |t| < T_NEAR, and only when
 * |q| < T_NEAR; the rest of it counts by its angle.  Leaving exp(-w) / w out
 * there costs under 6e-11 per clipped end and under 8e-9 per whole edge
 * (bounded by (1 / 2 pi) (e^-q^2 / q) sqrt(pi) at q = 4).  The part that is
 * integrated, at most 8 long, is cut into panels of at most 2 with
 * Gauss-Legendre on each (edge_integral), each panel within about 1e-8.
 * The far edges' angles are not even computed: with the winding number they
 * are known from the near edges' (eng_prob_in_polygon).
 *
 * Checked against tests/data/polygon_prob.tsv, made by another method (slabs
 * in x, erf in y): within 2e-8 on every row.
 */
#include "engine.h"

#include <math.h>

/* Edges nearer than this to the mean, in units of sigma sqrt(2), are
 * integrated; 4 of those units are 5.7 sigma. */
#define T_NEAR 4.0
/* The longest panel, in the same units: the 6-point rule's. */
#define PANEL_MAX 2.0
/* The bounding-box shortcut: beyond 7 sigma the mass is Phi(-7) = 1.3e-12. */
#define BOX_SIGMAS 7.0

/* Gauss-Legendre rules of 2 to 6 points on [-1, 1]: the positive nodes and
 * their weights, and the weight of the node at 0 for odd orders. */
typedef struct gl_rule {
    int pairs;
    double centre_weight;
    double node[3], weight[3];
} gl_rule;

static const gl_rule gl_rules[5] = {
    {1, 0.0, {0.5773502691896257645}, {1.0}},
    {1, 0.8888888888888888889, {0.7745966692414833770}, {0.5555555555555555556}},
    {2, 0.0, {0.3399810435848562648, 0.8611363115940525752},
     {0.6521451548625461427, 0.3478548451374538574}},
    {2, 0.5688888888888888889, {0.5384693101056830910, 0.9061798459386639928},
     {0.4786286704993664680, 0.2369268850561890875}},
    {3, 0.0, {0.2386191860831969086, 0.6612093864662645137, 0.9324695142031520278},
     {0.4679139345726910474, 0.3607615730481386076, 0.1713244923791703450}},
};

/* E(w) = (1 - exp(-w)) / w.  Below w = 1/2, where 1 - exp(-w) would lose
 * digits and where every node falls when sigma is large beside the polygon,
 * its Taylor series sum (-w)^k / (k + 1)! to k = 12 is within 1.4e-15; it
 * costs neither a call nor a division, and it gives the limit 1 at w = 0,
 * where the mean exactly on a vertex or an edge may put a node.  The
 * polynomial is evaluated in Estrin's scheme: in pairs, so that the
 * multiplications overlap instead of waiting on each other as in Horner's. */
static double saturation(double w)
{
    if (w > 0.5)
        return (1.0 - exp(-w)) / w;
    static const double c[13] = {
        1.0, -1.0 / 2, 1.0 / 6, -1.0 / 24, 1.0 / 120, -1.0 / 720, 1.0 / 5040,
        -1.0 / 40320, 1.0 / 362880, -1.0 / 3628800, 1.0 / 39916800, -1.0 / 479001600,
        1.0 / 6227020800.0};
    double w2 = w * w, w4 = w2 * w2, w8 = w4 * w4;
    double low = (c[0] + c[1] * w) + (c[2] + c[3] * w) * w2;
    double mid = (c[4] + c[5] * w) + (c[6] + c[7] * w) * w2;
    double high = (c[8] + c[9] * w) + (c[10] + c[11] * w) * w2 + c[12] * w4;
    return low + mid * w4 + high * w8;
}

/*
 * Integral of E(q^2 + t^2) dt from t0 to t1, t0 <= t1 <= t0 + 2 T_NEAR, on
 * equal panels of at most PANEL_MAX, each with the fewest Gauss-Legendre
 * points that keep its error near 1e-8 (as a probability, times q / 2 pi,
 * worst over |q| < T_NEAR and every panel position in [-T_NEAR, T_NEAR],
 * measured against 4 x 40 points): 2 points up to a panel of 0.15 (6e-9), 3
 * to 0.5 (9e-9), 4 to 1 (1.3e-8), 5 to 1.5 (1.0e-8) and 6 to 2 (7e-9).  When
 * sigma is large beside the polygon its edges are short in these units and
 * take few points.
 */
static double edge_integral(double q2, double t0, double t1)
{
    double length = t1 - t0;
    int panels = (int)ceil(length / PANEL_MAX);
    if (panels < 1)
        panels = 1;
    double width = length / panels;
    const gl_rule *rule = &gl_rules[width <= 0.15 ? 0 : width <= 0.5 ? 1 : width <= 1.0 ? 2
                                    : width <= 1.5 ? 3 : 4];
    double half = 0.5 * width, sum = 0.0;
    for (int p = 0; p < panels; p++) {
        double mid = t0 + (2 * p + 1) * half;
        if (rule->centre_weight > 0.0)
            sum += rule->centre_weight * saturation(q2 + mid * mid);
        for (int k = 0; k < rule->pairs; k++) {
            double a = mid - half * rule->node[k], b = mid + half * rule->node[k];
            sum += rule->weight[k] * (saturation(q2 + a * a) + saturation(q2 + b * b));
        }
    }
    return sum * half;
}

/* The angle subtended at the mean by the piece of an edge from t0 to t1
 * (t0 <= t1), signed like q: the angle between the rays to its ends, which
 * is below pi in size whenever q is not 0. */
static double subtended(double q, double t0, double t1)
{
    return atan2(q * (t1 - t0), q * q + t0 * t1);
}

/*
 * One edge A -> B seen from the mean M, in metres: with e = B - A, its
 * squared length, cross = (A - M) x e (= (B - M) x e, the signed distance of
 * the edge's line times its length) and the projections (A - M) . e and
 * (B - M) . e (the ends' positions along the line from the foot of the
 * perpendicular, times the length).  The cross product is taken from the
 * end nearer the mean and each projection from its own end, rather than one
 * from the other plus the length: with the mean next to a vertex, that would
 * make them tiny differences of large numbers, and the angle the edge
 * subtends there, of order 1 however close the mean, hangs on their ratio.
 */
typedef struct edge_geom {
    double len2, cross, along_a, along_b;
} edge_geom;

static edge_geom edge_geometry(eng_point a_pt, eng_point b_pt, double mx, double my)
{
    edge_geom g;
    double ax = a_pt.x - mx, ay = a_pt.y - my, bx = b_pt.x - mx, by = b_pt.y - my;
    double ex = b_pt.x - a_pt.x, ey = b_pt.y - a_pt.y;
    g.len2 = ex * ex + ey * ey;
    g.cross = ax * ax + ay * ay <= bx * bx + by * by ? ax * ey - ay * ex : bx * ey - by * ex;
    g.along_a = ax * ex + ay * ey;
    g.along_b = bx * ex + by * ey;
    return g;
}

/* Whether the edge comes within T_NEAR units: |q| < T_NEAR and its t-range
 * meets (-T_NEAR, T_NEAR).  Compared in metres times the edge's length, so no
 * square root is taken for the far edges.  A repeated vertex (length 0) is
 * never near. */
static int edge_is_near(const edge_geom *g, double near_m)
{
    double reach2 = near_m * near_m * g->len2;
    if (g->cross * g->cross >= reach2)
        return 0;
    if (g->along_a > 0.0 && g->along_a * g->along_a >= reach2) /* ta >= T_NEAR */
        return 0;
    if (g->along_b < 0.0 && g->along_b * g->along_b >= reach2) /* tb <= -T_NEAR */
        return 0;
    return 1;
}

/* A near edge in units of sigma sqrt(2): q the signed distance of its line,
 * [ta, tb] its extent from the foot of the perpendicular, and [t0, t1] the
 * part of it within T_NEAR, to integrate. */
typedef struct edge_view {
    double q, ta, tb, t0, t1;
} edge_view;

static edge_view view_edge(const edge_geom *g, double unit)
{
    edge_view ev;
    double scale = 1.0 / (unit * sqrt(g->len2));
    ev.q = g->cross * scale;
    ev.ta = g->along_a * scale;
    ev.tb = g->along_b * scale;
    ev.t0 = ev.ta > -T_NEAR ? ev.ta : -T_NEAR;
    ev.t1 = ev.tb < T_NEAR ? ev.tb : T_NEAR;
    if (ev.t1 < ev.t0) /* rounding at the edge of reach: all of it is tail */
        ev.t1 = ev.t0;
    return ev;
}

/*
 * 2 pi times the signed probability, summed edge by edge over every
 * triangle: a far edge by its plain angle, a near one by its tails' angles
 * and the integral over the rest.  An edge through the mean adds exactly 0.
 * This is the slower way (an atan2 for every edge), kept for the mean lying
 * on an edge, where the winding number below is not defined.
 */
static double turn_by_angles(const eng_point *v, size_t n, double mx, double my, double unit)
{
    double turn = 0.0, near_m = T_NEAR * unit;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        edge_geom g = edge_geometry(v[j], v[i], mx, my);
        if (!edge_is_near(&g, near_m)) {
            double dot = (v[j].x - mx) * (v[i].x - mx) + (v[j].y - my) * (v[i].y - my);
            turn += atan2(g.cross, dot); /* the angle from A - M to B - M */
            continue;
        }
        edge_view ev = view_edge(&g, unit);
        if (ev.ta < ev.t0)
            turn += subtended(ev.q, ev.ta, ev.t0);
        if (ev.t1 < ev.tb)
            turn += subtended(ev.q, ev.t1, ev.tb);
        turn += ev.q * edge_integral(ev.q * ev.q, ev.t0, ev.t1);
    }
    return turn;
}

double eng_prob_in_polygon(const eng_point *v, size_t n, double mx, double my, double sigma_m)
{
    if (!v || n < 3)
        return 0.0;
    if (!(sigma_m > 0.0))
        return eng_poly_contains(v, n, mx, my) ? 1.0 : 0.0;

    /* Far outside the bounding box there is nothing to integrate: this is
     * the usual case for a fix near some other zone. */
    double box = BOX_SIGMAS * sigma_m;
    double xmin = v[0].x, xmax = v[0].x, ymin = v[0].y, ymax = v[0].y;
    for (size_t i = 1; i < n; i++) {
        if (v[i].x < xmin)
            xmin = v[i].x;
        if (v[i].x > xmax)
            xmax = v[i].x;
        if (v[i].y < ymin)
            ymin = v[i].y;
        if (v[i].y > ymax)
            ymax = v[i].y;
    }
    if (mx < xmin - box || mx > xmax + box || my < ymin - box || my > ymax + box)
        return 0.0;

    /*
     * The far edges' plain angles add up to 2 pi times the winding number
     * less the near edges' angles, so only near edges cost anything: each
     * adds its integral less the angle it replaces.  With no edge near, that
     * leaves the winding number alone: 0 or 1 up to 8e-9 per edge, the usual
     * case for a fix deep inside a large zone.  The winding number is
     * Sunday's crossing count on the ray to +x, whose left-of test is the
     * sign of the very cross product that signs q; so the count and the near
     * edges' angles agree however close the mean comes to an edge, and only
     * a mean exactly on one (cross product 0 between its ends) is left to
     * turn_by_angles.  Twice the signed area, summed on the way, gives the
     * orientation: a clockwise polygon winds -1 and integrates negative.
     */
    double unit = sigma_m * M_SQRT2, near_m = T_NEAR * unit;
    double correction = 0.0, area2 = 0.0;
    int winding = 0, on_edge = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        edge_geom g = edge_geometry(v[j], v[i], mx, my);
        area2 += g.cross;
        double ay = v[j].y - my, by = v[i].y - my;
        if (ay <= 0.0) {
            if (by > 0.0 && g.cross > 0.0)
                winding++;
        } else if (by <= 0.0 && g.cross < 0.0) {
            winding--;
        }
        if (on_edge || !edge_is_near(&g, near_m))
            continue;
        if (g.cross == 0.0 && g.along_a <= 0.0 && g.along_b >= 0.0) {
            on_edge = 1; /* A - M and B - M point apart, or one is 0 */
            continue;
        }
        edge_view ev = view_edge(&g, unit);
        correction += ev.q * edge_integral(ev.q * ev.q, ev.t0, ev.t1) - subtended(ev.q, ev.t0, ev.t1);
    }
    double p = on_edge ? turn_by_angles(v, n, mx, my, unit) / (2.0 * M_PI)
                       : winding + correction / (2.0 * M_PI);
    if (area2 < 0.0)
        p = -p;
    return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}
