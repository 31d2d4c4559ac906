/*
 * fuzz_nmea.c - libFuzzer harness for the NMEA sentence decoder.  Not part
 * of the default build.  The input is split into lines as the trace reader
 * would; every line goes through trc_nmea_decode, every finished fix
 * through trc_decode_json.  Build and run (from the project root):
 *
 *   ./setup.sh long      (builds it into build-fuzz/ and runs it; the
 *                         clang line is there)
 *
 * Besides the sanitizers it checks the decoder's promises: a fix has a
 * time and a position in range, and a skip changes no counter but its own.
 */
#include "traces.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fix(const pw_fix *f, const trc_fix_extra *x)
{
    char buf[512];
    if (!(f->set & PW_FIX_TIME_SET) || !(f->set & PW_FIX_LATLON_SET) || !(fabs(f->lat) <= 90.0) ||
        !(fabs(f->lon) <= 180.0) || x->mode < 2 || x->mode > 3)
        abort();
    if (trc_decode_json(f, x, buf, sizeof buf) >= sizeof buf)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trc_nmea_state st;
    trc_nmea_init(&st);
    pw_fix f;
    trc_fix_extra x;
    const char *p = (const char *)data, *end = p + size;
    long line_no = 0;
    while (p < end) {
        const char *nl = p;
        while (nl < end && *nl != '\n')
            nl++;
        line_no++;
        long skipped_before = st.n.skipped_total;
        trc_skip_reason why;
        trc_nmea_result r = trc_nmea_decode(&st, p, (size_t)(nl - p), line_no, &f, &x, &why);
        if (r == TRC_NMEA_FIX)
            check_fix(&f, &x);
        if (r == TRC_NMEA_SKIPPED &&
            (st.n.skipped_total != skipped_before + 1 || (unsigned)why >= TRC_SKIP_REASON_COUNT))
            abort();
        p = nl + 1;
    }
    if (trc_nmea_flush(&st, &f, &x) == TRC_NMEA_FIX)
        check_fix(&f, &x);
    return 0;
}
