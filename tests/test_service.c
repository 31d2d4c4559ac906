/*
 * test_service.c - the live centre's device protocol (service/PROTOCOL.md).
 *
 * The wire layout is written out by hand from PROTOCOL.md's tables, and
 * the tag is HMAC-SHA-512 cut to 32 bytes as Python's hmac computes it
 * (the command is next to the bytes), not as our code does.  Every refusal
 * of the document is provoked, each limit at the limit and one past it,
 * and a bounded fuzz run mutates valid frames: none may pass.
 */
#include "service.h"
#include "test_util.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const unsigned char key7[SVC_KEY_BYTES] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                                  16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

/* Two enrolled devices: 7 (key 00 01 .. 1f) and 8 (another key). */
typedef struct peers {
    svc_peer p7, p8;
} peers;

static const svc_peer *lookup(void *ctx, uint32_t device)
{
    peers *ps = ctx;
    return device == 7 ? &ps->p7 : device == 8 ? &ps->p8 : NULL;
}

static void peers_init(peers *ps)
{
    memset(ps, 0, sizeof *ps);
    memcpy(ps->p7.key, key7, sizeof key7);
    for (int i = 0; i < SVC_KEY_BYTES; i++)
        ps->p8.key[i] = (unsigned char)(0xA0 + i);
}

/* The position of PROTOCOL.md for device 7, seq 1: measured
 * 2026-03-02T15:00:00Z (1772463600000 ms = 0x19C_AF10_3180), at Seoul City
 * Hall 37.5665, 126.9780 (375665000 = 0x1664_3168, 1269780000 =
 * 0x4BAF_4E20), accuracy 4.2 m (42 dm = 0x2A), GNSS, moving, 1.25 m/s (125
 * = 0x7D), heading 90.50 degrees (9050 = 0x235A). */
static const unsigned char wire_position[76] = {
    0x00, 0x00, 0x00, 0x48,                         /* length 72 = 16 + 24 + 32 */
    0x01, 0x01, 0x00, 0x00,                         /* version 1, type 1, flags 0 */
    0x00, 0x00, 0x00, 0x07,                         /* device 7 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* seq 1 */
    0x00, 0x00, 0x01, 0x9c, 0xaf, 0x10, 0x31, 0x80, /* time_ms */
    0x16, 0x64, 0x31, 0x68, 0x4b, 0xaf, 0x4e, 0x20, /* lat_e7, lon_e7 */
    0x00, 0x2a, 0x00, 0x02, 0x00, 0x7d, 0x23, 0x5a, /* acc_dm, source, motion, speed, heading */
    /* python3 -c 'import hmac,hashlib; k=bytes(range(32)); m=bytes.fromhex("...the 44 bytes above...");
     *             print(hmac.new(k,m,hashlib.sha512).digest()[:32].hex())' */
    0x61, 0x08, 0x00, 0x8f, 0x63, 0xdc, 0xfc, 0x55, 0x59, 0x6c, 0x93, 0xbd, 0x77, 0xa4, 0x27, 0x89,
    0x8b, 0x4a, 0xc7, 0xed, 0x69, 0x8e, 0x72, 0x0a, 0x61, 0x17, 0x85, 0xf1, 0x70, 0xfc, 0x27, 0x3c};

static svc_frame position_frame(void)
{
    svc_frame f = {.type = SVC_POSITION, .device = 7, .seq = 1};
    f.u.position = (svc_position){.time_ms = 1772463600000LL, .lat_e7 = 375665000, .lon_e7 = 1269780000,
                                  .acc_dm = 42, .source = 0, .motion = 2, .speed_cmps = 125, .heading_cdeg = 9050};
    return f;
}

static void test_wire_layout(void)
{
    unsigned char buf[SVC_FRAME_MAX];
    svc_frame f = position_frame();
    CU_ASSERT_EQUAL_FATAL(svc_frame_encode(&f, key7, buf, sizeof buf), 76);
    CU_ASSERT(memcmp(buf, wire_position, 76) == 0);
    /* and the hand-written bytes decode to the frame */
    peers ps;
    peers_init(&ps);
    svc_frame got;
    CU_ASSERT_EQUAL(svc_frame_decode(wire_position, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_OK);
    CU_ASSERT(got.type == SVC_POSITION && got.device == 7 && got.seq == 1);
    CU_ASSERT(memcmp(&got.u.position, &f.u.position, sizeof f.u.position) == 0);
    /* one byte short of the buffer it needs: nothing written */
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, 75), 0);
}

/* Sizes from PROTOCOL.md's tables: 20 header + body + 32 tag. */
static void test_sizes(void)
{
    CU_ASSERT_EQUAL(svc_frame_size(SVC_POSITION), 76);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_HEALTH), 64);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_PANIC), 68);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_ACK), 60);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_PURSUIT), 56);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_REFUSE), 64);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_ALERT), 68);
    CU_ASSERT_EQUAL(svc_frame_size(SVC_OFFENDER_POSITION), 80);
    CU_ASSERT_EQUAL(svc_frame_size((svc_frame_type)4), 0);
}

static void round_trip(const svc_frame *f, svc_direction dir)
{
    unsigned char buf[SVC_FRAME_MAX];
    size_t n = svc_frame_encode(f, key7, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(n, svc_frame_size(f->type));
    peers ps;
    peers_init(&ps);
    size_t size = 0;
    CU_ASSERT_EQUAL(svc_frame_peek(buf, n, &size), SVC_OK);
    CU_ASSERT_EQUAL(size, n);
    svc_frame got;
    CU_ASSERT_EQUAL_FATAL(svc_frame_decode(buf, n, dir, lookup, &ps, &got), SVC_OK);
    CU_ASSERT(got.type == f->type && got.device == f->device && got.seq == f->seq);
    CU_ASSERT(memcmp(&got.u, &f->u, sizeof got.u) == 0);
    /* the other direction refuses it by type */
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, dir == SVC_TO_CENTRE ? SVC_TO_DEVICE : SVC_TO_CENTRE, lookup, &ps, &got),
                    SVC_ETYPE);
}

static void test_round_trips(void)
{
    svc_frame f;
    memset(&f, 0, sizeof f); /* the unions compare whole */
    f = position_frame();
    round_trip(&f, SVC_TO_CENTRE);
    memset(&f, 0, sizeof f);
    f.type = SVC_HEALTH, f.device = 7, f.seq = 2;
    f.u.health = (svc_health){.time_ms = 5, .battery_pct = 100, .state = 3};
    round_trip(&f, SVC_TO_CENTRE);
    memset(&f, 0, sizeof f);
    f.type = SVC_PANIC, f.device = 7, f.seq = 3;
    f.u.panic = (svc_panic){.time_ms = ENG_TIME_MAX, .lat_e7 = SVC_NO_LATLON, .lon_e7 = SVC_NO_LATLON};
    round_trip(&f, SVC_TO_CENTRE);
    f.u.panic = (svc_panic){.time_ms = 0, .lat_e7 = -900000000, .lon_e7 = 1800000000};
    round_trip(&f, SVC_TO_CENTRE);
    memset(&f, 0, sizeof f);
    f.type = SVC_ACK, f.device = 7, f.seq = 1;
    f.u.ack.acked_seq = UINT64_MAX;
    round_trip(&f, SVC_TO_DEVICE);
    memset(&f, 0, sizeof f);
    f.type = SVC_PURSUIT, f.device = 7, f.seq = 2;
    f.u.pursuit.interval_s = 15;
    round_trip(&f, SVC_TO_DEVICE);
    memset(&f, 0, sizeof f);
    f.type = SVC_REFUSE, f.device = 7, f.seq = 3;
    f.u.refuse.refused_seq = 99;
    f.u.refuse.reason = (uint8_t)-SVC_EREPLAY;
    round_trip(&f, SVC_TO_DEVICE);
    memset(&f, 0, sizeof f);
    f.type = SVC_ALERT, f.device = 7, f.seq = 4;
    f.u.alert = (svc_alert){.case_id = 3, .kind = SVC_ALERT_REVEAL_CLOSE, .reason = 2, .time_ms = 77};
    round_trip(&f, SVC_TO_DEVICE);
    memset(&f, 0, sizeof f);
    f.type = SVC_OFFENDER_POSITION, f.device = 7, f.seq = 5;
    f.u.offender = (svc_offender_position){.case_id = 3, .time_ms = 78, .lat_e7 = -1, .lon_e7 = 1800000000,
                                           .acc_dm = 65535, .heading_cdeg = 35999, .speed_cmps = 1};
    round_trip(&f, SVC_TO_DEVICE);
}

/* An offender_position as PROTOCOL.md lays it out, by hand: case 3, time
 * 78 ms, lat_e7 -1 (FFFFFFFF), lon_e7 1800000000 (6B49D200), acc unknown
 * (FFFF), heading 359.99 (8C9F), speed 1 cm/s. */
static void test_offender_position_layout(void)
{
    svc_frame f;
    memset(&f, 0, sizeof f);
    f.type = SVC_OFFENDER_POSITION, f.device = 8, f.seq = 5;
    f.u.offender = (svc_offender_position){.case_id = 3, .time_ms = 78, .lat_e7 = -1, .lon_e7 = 1800000000,
                                           .acc_dm = 65535, .heading_cdeg = 35999, .speed_cmps = 1};
    unsigned char buf[80];
    CU_ASSERT_EQUAL_FATAL(svc_frame_encode(&f, key7, buf, sizeof buf), 80);
    static const unsigned char want[48] = {
        0x00, 0x00, 0x00, 0x4c, 0x01, 0x85, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, /* length 76, v1, type 133, device 8 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,                         /* seq 5 */
        0x00, 0x00, 0x00, 0x03,                                                 /* case 3 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4e,                         /* time 78 */
        0xff, 0xff, 0xff, 0xff, 0x6b, 0x49, 0xd2, 0x00,                         /* lat, lon */
        0xff, 0xff, 0x8c, 0x9f, 0x00, 0x01, 0x00, 0x00};                        /* acc, heading, speed, reserved */
    CU_ASSERT(memcmp(buf, want, sizeof want) == 0);
}

/* Forged, altered, replayed. */
static void test_authentication(void)
{
    peers ps;
    peers_init(&ps);
    svc_frame got;
    unsigned char buf[76];
    /* another device's key on device 7's frame, and device 7's frame
     * claiming to be device 8 (re-tagged with 7's key) */
    svc_frame f = position_frame();
    CU_ASSERT_EQUAL(svc_frame_encode(&f, ps.p8.key, buf, sizeof buf), 76);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_ETAG);
    f.device = 8;
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, sizeof buf), 76);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_ETAG);
    CU_ASSERT_EQUAL(got.device, 8); /* the header is read for the refusal */
    f.device = 9;                   /* not enrolled */
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, sizeof buf), 76);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EDEVICE);
    /* every single bit flipped anywhere: never accepted, and a flip in the
     * body or the tag is a tag failure */
    for (size_t i = 0; i < 76; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, wire_position, 76);
            buf[i] ^= (unsigned char)(1u << bit);
            int st = svc_frame_decode(buf, 76, SVC_TO_CENTRE, lookup, &ps, &got);
            CU_ASSERT(st != SVC_OK);
            if (i >= 20)
                CU_ASSERT_EQUAL(st, SVC_ETAG);
        }
    /* replay: accepted once; the receiver raises last_seq; the same frame
     * again, and an older one, are replays; a later seq (skipping) passes */
    CU_ASSERT_EQUAL(svc_frame_decode(wire_position, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_OK);
    ps.p7.last_seq = got.seq;
    CU_ASSERT_EQUAL(svc_frame_decode(wire_position, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EREPLAY);
    f = position_frame();
    f.seq = 5;
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, sizeof buf), 76);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_OK);
    ps.p7.last_seq = 5;
    f.seq = 4;
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, sizeof buf), 76);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, 76, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EREPLAY);
    CU_ASSERT_STRING_EQUAL(svc_reason_name(SVC_EREPLAY), "replay");
    CU_ASSERT_STRING_EQUAL(svc_reason_name(SVC_ETOO_LARGE), "too_large");
    CU_ASSERT_STRING_EQUAL(svc_reason_name(SVC_EFIELD), "field");
}

/* A frame with the given header bytes and body, tagged with key7 as a
 * sender would (so that only the named check can refuse it). */
static size_t forge(unsigned char *buf, uint32_t length, int version, int type, int flags, const unsigned char *body,
                    size_t body_n)
{
    memset(buf, 0, SVC_FRAME_MAX);
    buf[0] = (unsigned char)(length >> 24), buf[1] = (unsigned char)(length >> 16);
    buf[2] = (unsigned char)(length >> 8), buf[3] = (unsigned char)length;
    buf[4] = (unsigned char)version, buf[5] = (unsigned char)type;
    buf[6] = (unsigned char)(flags >> 8), buf[7] = (unsigned char)flags;
    buf[11] = 7;  /* device 7 */
    buf[19] = 1;  /* seq 1 */
    memcpy(buf + 20, body, body_n);
    crypto_auth(buf + 20 + body_n, buf, 20 + body_n, key7);
    return 20 + body_n + 32;
}

static void test_refusals_and_limits(void)
{
    peers ps;
    peers_init(&ps);
    svc_frame got;
    static unsigned char buf[SVC_FRAME_MAX + 8];
    size_t size = 0;
    unsigned char body[SVC_FRAME_MAX];
    memcpy(body, wire_position + 20, 24);
    /* the length at its limits: 4092 (a frame of 4096) and 48 pass the
     * peek; 4093 and 47 are refused from the first 4 bytes alone */
    CU_ASSERT_EQUAL(svc_frame_peek((const unsigned char[]){0, 0, 0x0f, 0xfc}, 4, &size), SVC_OK);
    CU_ASSERT_EQUAL(size, 4096);
    CU_ASSERT_EQUAL(svc_frame_peek((const unsigned char[]){0, 0, 0x0f, 0xfd}, 4, &size), SVC_ETOO_LARGE);
    CU_ASSERT_EQUAL(svc_frame_peek((const unsigned char[]){0xff, 0xff, 0xff, 0xff}, 4, &size), SVC_ETOO_LARGE);
    CU_ASSERT_EQUAL(svc_frame_peek((const unsigned char[]){0, 0, 0, 48}, 4, &size), SVC_OK);
    CU_ASSERT_EQUAL(svc_frame_peek((const unsigned char[]){0, 0, 0, 47}, 4, &size), SVC_ETOO_SMALL);
    CU_ASSERT_EQUAL(svc_frame_peek(wire_position, 3, &size), SVC_EINCOMPLETE);
    /* every prefix of a frame is incomplete, never more */
    for (size_t n = 0; n < 76; n++)
        CU_ASSERT_EQUAL(svc_frame_decode(wire_position, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EINCOMPLETE);
    /* a frame of the largest size, tagged: well-formed up to its size */
    size_t n = forge(buf, 4092, 1, SVC_POSITION, 0, body, 4092 - 16 - 32);
    CU_ASSERT_EQUAL(n, 4096);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_ESIZE);
    /* each header check, with a good tag */
    n = forge(buf, 72, 2, SVC_POSITION, 0, body, 24);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EVERSION);
    n = forge(buf, 72, 1, 4, 0, body, 24);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_ETYPE);
    n = forge(buf, 72, 1, SVC_POSITION, 1, body, 24);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EFLAGS);
    n = forge(buf, 60, 1, SVC_POSITION, 0, body, 12); /* a health's size with a position's type */
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_ESIZE);
    /* fields out of range, tag good: latitude 90.0000001 (900000001 =
     * 0x35A4_E901), source 3, motion 3, heading 360.00 (36000 = 0x8CA0),
     * a negative time (byte 0 = 0x80) */
    static const struct {
        size_t at;
        unsigned char bytes[4];
        size_t n;
    } bad[] = {{8, {0x35, 0xa4, 0xe9, 0x01}, 4}, {18, {3}, 1}, {19, {3}, 1}, {22, {0x8c, 0xa0}, 2}, {0, {0x80}, 1}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memcpy(body, wire_position + 20, 24);
        memcpy(body + bad[k].at, bad[k].bytes, bad[k].n);
        n = forge(buf, 72, 1, SVC_POSITION, 0, body, 24);
        CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EFIELD);
    }
    /* the limit itself passes: latitude 90 exactly (900000000 = 0x35A4_E900), heading 359.99 */
    memcpy(body, wire_position + 20, 24);
    memcpy(body + 8, (const unsigned char[]){0x35, 0xa4, 0xe9, 0x00}, 4);
    memcpy(body + 22, (const unsigned char[]){0x8c, 0x9f}, 2);
    n = forge(buf, 72, 1, SVC_POSITION, 0, body, 24);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_OK);
    CU_ASSERT_EQUAL(got.u.position.lat_e7, 900000000);
    /* reserved bytes of a health frame must be 0 */
    unsigned char health[12] = {0, 0, 0, 0, 0, 0, 0, 1, 50, 0, 0, 1};
    n = forge(buf, 60, 1, SVC_HEALTH, 0, health, 12);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_EFIELD);
    health[11] = 0;
    n = forge(buf, 60, 1, SVC_HEALTH, 0, health, 12);
    CU_ASSERT_EQUAL(svc_frame_decode(buf, n, SVC_TO_CENTRE, lookup, &ps, &got), SVC_OK);
    /* a sender never sends what would be refused */
    svc_frame f = position_frame();
    f.u.position.lat_e7 = 900000001;
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, SVC_FRAME_MAX), 0);
    f = position_frame();
    f.seq = 0;
    CU_ASSERT_EQUAL(svc_frame_encode(&f, key7, buf, SVC_FRAME_MAX), 0);
}

/* Fixes both ways: lat 37.56651234 is sent as 375665123 and comes back as
 * 37.5665123; accuracy 12.34 m as 123 dm (12.3 m); 3.456 m/s as 346 cm/s;
 * heading -90 degrees as 270.00. */
static void test_fixes(void)
{
    pw_fix fix = {.device = 7, .set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET | PW_FIX_SPEED_SET |
                                          PW_FIX_HEADING_SET | PW_FIX_MOTION_SET,
                  .time = 1000, .lat = 37.56651234, .lon = -0.00000004, .acc_m = 12.34, .speed_mps = 3.456,
                  .heading_deg = -90.0, .source = PW_SRC_CELL, .moving = 0};
    svc_frame f;
    CU_ASSERT_EQUAL_FATAL(svc_fix_to_position(&fix, 9, &f), SVC_OK);
    CU_ASSERT_EQUAL(f.u.position.lat_e7, 375665123);
    CU_ASSERT_EQUAL(f.u.position.lon_e7, 0);
    CU_ASSERT_EQUAL(f.u.position.acc_dm, 123);
    CU_ASSERT_EQUAL(f.u.position.speed_cmps, 346);
    CU_ASSERT_EQUAL(f.u.position.heading_cdeg, 27000);
    CU_ASSERT_EQUAL(f.u.position.source, 1);
    CU_ASSERT_EQUAL(f.u.position.motion, 1);
    pw_fix back;
    svc_position_to_fix(&f, &back);
    CU_ASSERT_DOUBLE_EQUAL(back.lat, 37.5665123, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(back.acc_m, 12.3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(back.speed_mps, 3.46, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(back.heading_deg, 270.0, 1e-12);
    CU_ASSERT(back.source == PW_SRC_CELL && back.moving == 0 && (back.set & PW_FIX_MOTION_SET));
    CU_ASSERT_EQUAL(back.device, 7);
    CU_ASSERT_EQUAL(back.time, 1000);
    /* unknowns stay unknown */
    fix.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    CU_ASSERT_EQUAL_FATAL(svc_fix_to_position(&fix, 9, &f), SVC_OK);
    CU_ASSERT(f.u.position.acc_dm == SVC_U16_UNKNOWN && f.u.position.speed_cmps == SVC_U16_UNKNOWN &&
              f.u.position.heading_cdeg == SVC_U16_UNKNOWN && f.u.position.motion == 0);
    svc_position_to_fix(&f, &back);
    CU_ASSERT_EQUAL(back.set, PW_FIX_TIME_SET | PW_FIX_LATLON_SET);
    /* no time, or a latitude past the pole: not sendable */
    fix.set = PW_FIX_LATLON_SET;
    CU_ASSERT_EQUAL(svc_fix_to_position(&fix, 9, &f), SVC_EINVAL);
    fix.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    fix.lat = 90.5;
    CU_ASSERT_EQUAL(svc_fix_to_position(&fix, 9, &f), SVC_EINVAL);
}

/* Hostile bytes for a bounded time (PW_FUZZ_SECONDS, default 2): valid
 * frames of every type with bytes changed, cut, or lengthened, and random
 * buffers.  Decoding must stay inside the bytes (ASan watches in the
 * sanitized run) and accept nothing but unchanged frames. */
static void test_fuzz(void)
{
    const char *env = getenv("PW_FUZZ_SECONDS");
    double seconds = env ? atof(env) : 2.0;
    peers ps;
    peers_init(&ps);
    unsigned char frames[6][SVC_FRAME_MAX];
    size_t sizes[6];
    svc_frame f = position_frame();
    sizes[0] = svc_frame_encode(&f, key7, frames[0], SVC_FRAME_MAX);
    memset(&f, 0, sizeof f);
    f.type = SVC_HEALTH, f.device = 7, f.seq = 2, f.u.health.battery_pct = 9;
    sizes[1] = svc_frame_encode(&f, key7, frames[1], SVC_FRAME_MAX);
    memset(&f, 0, sizeof f);
    f.type = SVC_PANIC, f.device = 8, f.seq = 3, f.u.panic.lat_e7 = f.u.panic.lon_e7 = SVC_NO_LATLON;
    sizes[2] = svc_frame_encode(&f, ps.p8.key, frames[2], SVC_FRAME_MAX);
    memset(&f, 0, sizeof f);
    f.type = SVC_ACK, f.device = 7, f.seq = 4, f.u.ack.acked_seq = 1;
    sizes[3] = svc_frame_encode(&f, key7, frames[3], SVC_FRAME_MAX);
    memset(&f, 0, sizeof f);
    f.type = SVC_PURSUIT, f.device = 8, f.seq = 5, f.u.pursuit.interval_s = 15;
    sizes[4] = svc_frame_encode(&f, ps.p8.key, frames[4], SVC_FRAME_MAX);
    memset(&f, 0, sizeof f);
    f.type = SVC_REFUSE, f.device = 7, f.seq = 6, f.u.refuse.reason = 8;
    sizes[5] = svc_frame_encode(&f, key7, frames[5], SVC_FRAME_MAX);
    for (int k = 0; k < 6; k++)
        CU_ASSERT_FATAL(sizes[k] > 0);
    uint64_t x = 0x9E3779B97F4A7C15u; /* xorshift64*, fixed seed: the same run each time */
#define NEXT() (x ^= x >> 12, x ^= x << 25, x ^= x >> 27, x * 0x2545F4914F6CDD1Du)
    clock_t stop = clock() + (clock_t)(seconds * CLOCKS_PER_SEC);
    unsigned long runs = 0, accepted_changed = 0;
    unsigned char *buf = malloc(SVC_FRAME_MAX);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    do {
        for (int rep = 0; rep < 1000; rep++, runs++) {
            int k = (int)(NEXT() % 6);
            size_t n = sizes[k];
            memcpy(buf, frames[k], n);
            int changed = 0;
            switch (NEXT() % 4) {
            case 0: /* a few bytes changed */
                for (int c = 1 + (int)(NEXT() % 4); c > 0; c--) {
                    size_t at = NEXT() % n;
                    unsigned char v = (unsigned char)NEXT();
                    changed |= buf[at] != v;
                    buf[at] = v;
                }
                break;
            case 1: /* cut short */
                n = NEXT() % n;
                changed = 1;
                break;
            case 2: /* a length that lies, and random bytes after */
                n = NEXT() % SVC_FRAME_MAX;
                for (size_t i = sizes[k]; i < n; i++)
                    buf[i] = (unsigned char)NEXT();
                buf[2] = (unsigned char)NEXT(), buf[3] = (unsigned char)NEXT();
                changed = 1;
                break;
            default: /* noise */
                n = NEXT() % 128;
                for (size_t i = 0; i < n; i++)
                    buf[i] = (unsigned char)NEXT();
                changed = 1;
                break;
            }
            /* the decoder gets exactly n bytes of its own allocation, so a
             * read past them is ASan's to see */
            unsigned char *exact = malloc(n ? n : 1);
            CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
            memcpy(exact, buf, n);
            svc_frame got;
            int dir = k >= 3 ? SVC_TO_DEVICE : SVC_TO_CENTRE;
            int st = svc_frame_decode(exact, n, (svc_direction)dir, lookup, &ps, &got);
            size_t whole;
            if (st == SVC_OK && changed &&
                !(svc_frame_peek(exact, n, &whole) == SVC_OK && whole == sizes[k] &&
                  memcmp(exact, frames[k], whole) == 0))
                accepted_changed++;
            free(exact);
        }
    } while (clock() < stop);
#undef NEXT
    free(buf);
    printf("\n    | fuzz: %lu frames in %.1f s, changed frames accepted: %lu |", runs, seconds, accepted_changed);
    CU_ASSERT_EQUAL(accepted_changed, 0);
    CU_ASSERT(runs >= 1000);
}


/* ---- the store ----------------------------------------------------------- */

/* Whether the file holds these bytes anywhere. */
static int file_holds(const char *path, const unsigned char *pat, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    unsigned char *all = malloc(size > 0 ? (size_t)size : 1);
    int found = 0;
    if (all && fread(all, 1, (size_t)size, f) == (size_t)size)
        for (long i = 0; !found && i + (long)n <= size; i++)
            found = memcmp(all + i, pat, n) == 0;
    free(all);
    fclose(f);
    return found;
}

typedef struct seen {
    svc_frame f[16];
    int64_t recv[16];
    size_t n;
} seen;

static int collect(void *ctx, const svc_frame *f, int64_t recv_ms)
{
    seen *s = ctx;
    if (s->n < 16) {
        s->f[s->n] = *f;
        s->recv[s->n++] = recv_ms;
    }
    return 0;
}

static void test_store(void)
{
    remove("pw_store.db");
    remove("pw_store.db-wal");
    remove("pw_store.db-shm");
    svc_store *st;
    CU_ASSERT_EQUAL_FATAL(svc_store_open(&st, "pw_store.db", 1), 0);
    uint64_t last = 99;
    CU_ASSERT_EQUAL(svc_store_device(st, 7, "offender", &last), 0);
    CU_ASSERT_EQUAL(last, 0);
    CU_ASSERT_EQUAL(svc_store_device(st, 8, "victim", &last), 0);
    /* three reports of 7 and one of 8, one batch; a panic without a position */
    svc_frame f = position_frame();
    CU_ASSERT_EQUAL(svc_store_begin(st), 0);
    CU_ASSERT_EQUAL(svc_store_report(st, &f, 2000), 0);
    f.seq = 4;
    f.u.position.lat_e7 = 375123457, f.u.position.lon_e7 = 1269876543;
    CU_ASSERT_EQUAL(svc_store_report(st, &f, 1000), 0); /* came earlier */
    svc_frame h = {.type = SVC_HEALTH, .device = 8, .seq = 2, .u.health = {.time_ms = 5, .battery_pct = 40, .state = 1}};
    CU_ASSERT_EQUAL(svc_store_report(st, &h, 3000), 0);
    svc_frame p = {.type = SVC_PANIC, .device = 7, .seq = 6,
                   .u.panic = {.time_ms = 6, .lat_e7 = SVC_NO_LATLON, .lon_e7 = SVC_NO_LATLON}};
    CU_ASSERT_EQUAL(svc_store_report(st, &p, 4000), 0);
    CU_ASSERT_EQUAL(svc_store_commit(st), 0);
    /* the same (device, seq) twice: the store says so (1) and keeps the first */
    CU_ASSERT_EQUAL(svc_store_begin(st), 0);
    CU_ASSERT_EQUAL(svc_store_report(st, &p, 5000), 1);
    CU_ASSERT_EQUAL(svc_store_commit(st), 0);
    svc_store_close(st);

    /* reopened: the greatest seq of each device, and the reports in the
     * order they were stored (seq 1 at 2000, seq 4 at 1000, the health,
     * the panic), not by their times */
    CU_ASSERT_EQUAL_FATAL(svc_store_open(&st, "pw_store.db", 1), 0);
    CU_ASSERT_EQUAL(svc_store_device(st, 7, "offender", &last), 0);
    CU_ASSERT_EQUAL(last, 6);
    CU_ASSERT_EQUAL(svc_store_device(st, 8, "victim", &last), 0);
    CU_ASSERT_EQUAL(last, 2);
    seen s = {.n = 0};
    CU_ASSERT_EQUAL(svc_store_each_report(st, collect, &s), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT(s.recv[1] == 1000 && s.f[1].seq == 4 && s.f[1].u.position.lat_e7 == 375123457);
    svc_frame first = position_frame();
    CU_ASSERT(s.recv[0] == 2000 && s.f[0].seq == 1 &&
              memcmp(&s.f[0].u.position, &first.u.position, sizeof(svc_position)) == 0);
    CU_ASSERT(s.f[2].type == SVC_HEALTH && s.f[2].u.health.battery_pct == 40 && s.f[2].u.health.state == 1);
    CU_ASSERT(s.f[3].type == SVC_PANIC && s.f[3].u.panic.lat_e7 == SVC_NO_LATLON);

    /* an audit record with a precise position, then the purge: the
     * position's bytes are in the files before and nowhere after.  SQLite
     * keeps an integer of 4 bytes big-endian in a record, and lat_e7 and
     * lon_e7 are neighbours: 375123457 = 0x165B_EE01, 1269876543 =
     * 0x4BB0_C73F. */
    const unsigned char both[8] = {0x16, 0x5b, 0xee, 0x01, 0x4b, 0xb0, 0xc7, 0x3f};
    pw_event ev = {.type = PW_EV_DISCLOSURE, .time = 1500, .case_id = 1, .incident = 11, .recipient_id = 8,
                   .device = 7, .lat = 37.5123457, .lon = 126.9876543};
    /* Two records tied to no incident (incident 0: the centre's record of
     * the position that opened one comes before the incident's id), of
     * device 7: at 1,300, inside the incident, purged; at 100, before it,
     * kept.  37.4 = 374000000 = 0x164A_C980, 126.9 = 1269000000 =
     * 0x4BA3_6740, 37.3 = 373000000 = 0x163B_8740 (Python:
     * (374000000).to_bytes(4, "big").hex()). */
    const unsigned char untied[8] = {0x16, 0x4a, 0xc9, 0x80, 0x4b, 0xa3, 0x67, 0x40};
    const unsigned char early[4] = {0x16, 0x3b, 0x87, 0x40};
    pw_event inside = {.type = PW_EV_DISCLOSURE, .time = 1300, .case_id = 1, .incident = 0, .recipient_id = 0,
                       .device = 7, .lat = 37.4, .lon = 126.9};
    pw_event before = inside;
    before.time = 100, before.lat = 37.3, before.lon = 126.8;
    CU_ASSERT_EQUAL(svc_store_begin(st), 0);
    CU_ASSERT_EQUAL(svc_store_audit(st, &ev, "victim"), 0);
    CU_ASSERT_EQUAL(svc_store_audit(st, &inside, "centre"), 0);
    CU_ASSERT_EQUAL(svc_store_audit(st, &before, "centre"), 0);
    CU_ASSERT_EQUAL(svc_store_commit(st), 0);
    CU_ASSERT(file_holds("pw_store.db", both, 8) || file_holds("pw_store.db-wal", both, 8));
    CU_ASSERT(file_holds("pw_store.db", untied, 8) || file_holds("pw_store.db-wal", untied, 8));
    /* Incident 11 was stored opened at 900; the purge is asked from 1200
     * (a rebuilt incident's opening, later than the stored one): the
     * report received at 1000 is in the incident all the same, purged. */
    CU_ASSERT_EQUAL(svc_store_begin(st), 0);
    CU_ASSERT_EQUAL(svc_store_incident(st, 11, 1, 900, "open"), 0);
    CU_ASSERT_EQUAL(svc_store_commit(st), 0);
    CU_ASSERT_EQUAL(svc_store_purge(st, 11, 7, 8, 1200, 1600), 0);
    CU_ASSERT_EQUAL(svc_store_commit(st), 0);
    CU_ASSERT_EQUAL(svc_store_checkpoint(st), 0);
    /* neither number anywhere, alone or together */
    CU_ASSERT(!file_holds("pw_store.db", both, 4) && !file_holds("pw_store.db", both + 4, 4));
    CU_ASSERT(!file_holds("pw_store.db-wal", both, 4) && !file_holds("pw_store.db-wal", both + 4, 4));
    CU_ASSERT(!file_holds("pw_store.db", untied, 4) && !file_holds("pw_store.db", untied + 4, 4));
    CU_ASSERT(!file_holds("pw_store.db-wal", untied, 4) && !file_holds("pw_store.db-wal", untied + 4, 4));
    CU_ASSERT(file_holds("pw_store.db", early, 4)); /* before the incident: kept */
    /* the report of 7 received at 2000 is outside the span: kept */
    s.n = 0;
    CU_ASSERT_EQUAL(svc_store_each_report(st, collect, &s), 0);
    CU_ASSERT_EQUAL(s.n, 3);
    CU_ASSERT(s.f[0].seq == 1 && s.recv[0] == 2000);
    svc_store_close(st);
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Checkpoints run on the store's own thread, not inside the writer's
 * commits.  100,000 position reports are at least 100,000 x 40 bytes of
 * rows (15 columns) = 4 MB = 1,000 pages of 4 kB, the thread's threshold,
 * before the two indexes; so the thread must have checkpointed, and the
 * database file (a few pages when the store was made) must have grown
 * while the store is still open: with SQLite's automatic checkpoint
 * replaced by the store's hook, nobody else copies pages into it. */
static void test_store_checkpoints(void)
{
    remove("pw_store_ckpt.db");
    remove("pw_store_ckpt.db-wal");
    remove("pw_store_ckpt.db-shm");
    svc_store *st;
    CU_ASSERT_EQUAL_FATAL(svc_store_open(&st, "pw_store_ckpt.db", 0), 0);
    uint64_t last;
    CU_ASSERT_EQUAL(svc_store_device(st, 7, "offender", &last), 0);
    long long before = file_size("pw_store_ckpt.db");
    CU_ASSERT(before > 0 && before < 100 * 4096);
    CU_ASSERT_EQUAL(svc_store_checkpoints(st), 0);
    svc_frame f = position_frame();
    int ok = 1;
    for (int batch = 0; batch < 1000 && ok; batch++) {
        ok = svc_store_begin(st) == 0;
        for (int i = 0; i < 100 && ok; i++) {
            f.seq = (uint64_t)batch * 100 + (uint64_t)i + 1;
            ok = svc_store_report(st, &f, 1000 + (int64_t)f.seq) == 0;
        }
        ok = ok && svc_store_commit(st) == 0;
    }
    CU_ASSERT_FATAL(ok);
    /* the thread may still be at it: 10 s at most */
    for (int i = 0; i < 200 && (svc_store_checkpoints(st) == 0 || file_size("pw_store_ckpt.db") < 4096LL * 1000); i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    CU_ASSERT(svc_store_checkpoints(st) > 0);
    CU_ASSERT(file_size("pw_store_ckpt.db") >= 4096LL * 1000);
    /* The purge's TRUNCATE checkpoint, each time right after a commit
     * that woke the thread: it waits for the thread's, and the WAL is cut
     * to nothing.  A commit of 60,000 reports writes 1,000 WAL frames and
     * more (10,000 wrote 185-190 frames of 4,096 + 24 bytes: measured from
     * the WAL's size), so each one wakes the thread, and 2 ms after it the
     * thread is copying pages. */
    int cut = 0, woke = 0;
    for (int round = 0; round < 6 && ok; round++) {
        ok = svc_store_begin(st) == 0;
        for (int i = 0; i < 60000 && ok; i++) {
            f.seq = 100000 + (uint64_t)round * 60000 + (uint64_t)i + 1;
            ok = svc_store_report(st, &f, 1000 + (int64_t)f.seq) == 0;
        }
        ok = ok && svc_store_commit(st) == 0;
        woke += file_size("pw_store_ckpt.db-wal") >= 32 + 1000LL * (4096 + 24);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
        cut += svc_store_checkpoint(st) == 0 && file_size("pw_store_ckpt.db-wal") == 0;
    }
    CU_ASSERT_FATAL(ok);
    CU_ASSERT_EQUAL(woke, 6);
    CU_ASSERT_EQUAL(cut, 6);
    svc_store_close(st);
}

/* A rebuilt incident finds the id it was first given.  Stored: case 1's
 * incident 5 opened at 1,000 (open) and 6 opened at 3,000 and closed at
 * 3,500; case 2's 7 opened at 1,000.  By hand:
 *   case 1 at 1,500 +-2,000, above 0: 5 (500 from it; 6 is 1,500)
 *   case 1 at 1,500, above 5: 6 (5 was given already)
 *   case 1 at 3,600, above 5: none (6 closed at 3,500, before 3,600)
 *   case 1 at 3,600, above 0: none (5 is 2,600 away; 6 closed before)
 *   case 2 at 1,000 +-0: 7; case 3: none */
static void test_store_find_incident(void)
{
    remove("pw_store_inc.db");
    remove("pw_store_inc.db-wal");
    remove("pw_store_inc.db-shm");
    svc_store *st;
    CU_ASSERT_EQUAL_FATAL(svc_store_open(&st, "pw_store_inc.db", 0), 0);
    CU_ASSERT_EQUAL(svc_store_begin(st), 0);
    CU_ASSERT_EQUAL(svc_store_incident(st, 5, 1, 1000, "open"), 0);
    CU_ASSERT_EQUAL(svc_store_incident(st, 6, 1, 3000, "open"), 0);
    CU_ASSERT_EQUAL(svc_store_incident(st, 6, 1, 3500, "closed"), 0);
    CU_ASSERT_EQUAL(svc_store_incident(st, 7, 2, 1000, "open"), 0);
    CU_ASSERT_EQUAL(svc_store_commit(st), 0);
    pw_id id = 99;
    CU_ASSERT(svc_store_find_incident(st, 1, 1500, 2000, 0, &id) == 0 && id == 5);
    CU_ASSERT(svc_store_find_incident(st, 1, 1500, 2000, 5, &id) == 0 && id == 6);
    CU_ASSERT(svc_store_find_incident(st, 1, 3600, 2000, 5, &id) == 1 && id == 0);
    CU_ASSERT(svc_store_find_incident(st, 1, 3600, 2000, 0, &id) == 1 && id == 0);
    CU_ASSERT(svc_store_find_incident(st, 2, 1000, 0, 0, &id) == 0 && id == 7);
    CU_ASSERT(svc_store_find_incident(st, 3, 1000, 2000, 0, &id) == 1 && id == 0);
    pw_id max = 0;
    CU_ASSERT(svc_store_max_incident(st, &max) == 0 && max == 7);
    svc_store_close(st);
}

/* A file that is not a store, and a store of another schema version. */
static void test_store_refuses(void)
{
    FILE *f = fopen("pw_store_bad.db", "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("this is not a database, not even close; SQLite wants 100 bytes of header ................\n", f);
    fclose(f);
    svc_store *st;
    CU_ASSERT_EQUAL(svc_store_open(&st, "pw_store_bad.db", 1), -1);
    CU_ASSERT(strstr(svc_store_error(st), "pw_store_bad.db") != NULL);
    svc_store_close(st);
    remove("pw_store_v2.db");
    sqlite3 *db;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open("pw_store_v2.db", &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                                     "INSERT INTO meta VALUES('schema_version','2');", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    CU_ASSERT_EQUAL(svc_store_open(&st, "pw_store_v2.db", 1), -1);
    CU_ASSERT(strstr(svc_store_error(st), "schema version 2") != NULL);
    svc_store_close(st);
}

int main(void)
{
    if (svc_init() != SVC_OK)
        return 1;
    static const pw_test_entry tests[] = {
        {"the wire layout of PROTOCOL.md, the tag as Python's hmac computes it", test_wire_layout},
        {"frame sizes of PROTOCOL.md's tables", test_sizes},
        {"an offender_position as PROTOCOL.md lays it out", test_offender_position_layout},
        {"every type round-trips, and the other direction refuses it", test_round_trips},
        {"forged, altered (every bit) and replayed frames are refused", test_authentication},
        {"each refusal of PROTOCOL.md, limits at the limit and one past", test_refusals_and_limits},
        {"fixes to frames and back, rounded to the protocol's units", test_fixes},
        {"hostile bytes for a bounded time: nothing changed is accepted", test_fuzz},
        {"the store: batches, order, seqs over a reopen, a purge leaves no byte", test_store},
        {"the store refuses a file that is not one, and another schema", test_store_refuses},
        {"the store checkpoints on its own thread", test_store_checkpoints},
        {"the store finds a rebuilt incident's first id, never one twice", test_store_find_incident},
        {NULL, NULL},
    };
    return pw_test_main("service", tests);
}
