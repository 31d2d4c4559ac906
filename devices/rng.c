/*
 * rng.c - xoshiro256** seeded through splitmix64 (Blackman and Vigna,
 * "Scrambled linear pseudorandom number generators", 2018; reference code at
 * prng.di.unimi.it).
 */
#include "devices.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* splitmix64: a Weyl sequence through a strong 64-bit finaliser.  Its output
 * function alone is the mix used to key a stream. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ull;
    return mix64(*state);
}

/*
 * The splitmix64 start of a stream depends on both the seed and the stream id
 * through the finaliser, so neighbouring ids start at unrelated points of the
 * splitmix sequence; two streams only share state if their 256-bit seeds
 * coincide (probability about 2^-64 per pair even for adjacent starts).
 * A stream's state is a function of (seed, stream) alone: adding streams
 * never shifts another one.
 */
void dev_rng_init(dev_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t sm = mix64(seed ^ 0x6a09e667f3bcc909ull) ^ mix64(stream + 0xbb67ae8584caa73bull);
    sm = mix64(sm + stream);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&sm);
    /* The all-zero state is the one fixed point of xoshiro. */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 0x9e3779b97f4a7c15ull;
    r->spare = 0.0;
    r->has_spare = 0;
}

uint64_t dev_rng_next(dev_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double dev_rng_uniform(dev_rng *r)
{
    return (double)(dev_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Marsaglia's polar method: a pair of normals for one log and one square
 * root, no trigonometry; the second of the pair is kept for the next call.
 * (It was half of a simulated day's time with Box-Muller, one per pair.) */
double dev_rng_normal(dev_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, q;
    do {
        u = 2.0 * dev_rng_uniform(r) - 1.0;
        v = 2.0 * dev_rng_uniform(r) - 1.0;
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    double m = sqrt(-2.0 * log(q) / q);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

double dev_rng_exponential(dev_rng *r, double mean)
{
    if (!(mean > 0.0))
        return 0.0;
    return -mean * log(1.0 - dev_rng_uniform(r));
}
