/*
 * frame.c - the device protocol's frames (service/PROTOCOL.md): encoding,
 * the stream's next length, and decoding with its checks in the order the
 * document gives: sizes, version, type, flags, the device's key, the tag,
 * the sequence number, the fields.  Every read is within the bytes given;
 * the tag is checked (libsodium, constant time) before any body field is
 * believed.
 */
#include "service.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

enum { BODY_OFFSET = SVC_HEADER_BYTES, MIN_LENGTH = SVC_HEADER_BYTES - 4 + SVC_TAG_BYTES };

static const char *const reasons[SVC_REFUSALS] = {"too_large", "too_small", "version", "type", "flags",
                                                  "size",      "device",    "tag",     "replay", "field"};

const char *svc_reason_name(int status)
{
    return status < 0 && -status <= SVC_REFUSALS ? reasons[-status - 1] : "?";
}

const char *svc_strerror(int status)
{
    switch (status) {
    case SVC_OK: return "ok";
    case SVC_ETOO_LARGE: return "frame too large";
    case SVC_ETOO_SMALL: return "frame too small";
    case SVC_EVERSION: return "unknown protocol version";
    case SVC_ETYPE: return "unknown frame type";
    case SVC_EFLAGS: return "unknown flags";
    case SVC_ESIZE: return "body size does not match its type";
    case SVC_EDEVICE: return "unknown device";
    case SVC_ETAG: return "authentication tag does not match";
    case SVC_EREPLAY: return "sequence number not above the last accepted (replay)";
    case SVC_EFIELD: return "a field out of its range";
    case SVC_EINCOMPLETE: return "incomplete frame";
    case SVC_EINVAL: return "invalid argument";
    default: return "unknown status";
    }
}

int svc_init(void)
{
    return sodium_init() < 0 ? SVC_EINVAL : SVC_OK;
}

/* ---- bytes, big-endian ---------------------------------------------------- */

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Two's complement without implementation-defined conversions. */
static int32_t s32(uint32_t u)
{
    return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - INT32_MAX - 1;
}

static int64_t s64(uint64_t u)
{
    return u <= INT64_MAX ? (int64_t)u : (int64_t)(u - 9223372036854775808u) - INT64_MAX - 1;
}

/* ---- types ---------------------------------------------------------------- */

static size_t body_bytes(svc_frame_type t)
{
    switch (t) {
    case SVC_POSITION: return 24;
    case SVC_HEALTH: return 12;
    case SVC_PANIC: return 16;
    case SVC_ACK: return 8;
    case SVC_PURSUIT: return 4;
    case SVC_REFUSE: return 12;
    case SVC_ALERT: return 16;
    case SVC_OFFENDER_POSITION: return 28;
    }
    return 0;
}

size_t svc_frame_size(svc_frame_type t)
{
    size_t b = body_bytes(t);
    return b ? SVC_HEADER_BYTES + b + SVC_TAG_BYTES : 0;
}

static int travels(svc_frame_type t, svc_direction dir)
{
    return body_bytes(t) != 0 && ((int)t < 128) == (dir == SVC_TO_CENTRE);
}

static int time_ok(int64_t t)
{
    return t >= 0 && t <= ENG_TIME_MAX;
}

static int lat_ok(int32_t v)
{
    return v >= -900000000 && v <= 900000000;
}

static int lon_ok(int32_t v)
{
    return v >= -1800000000 && v <= 1800000000;
}

/* The ranges of PROTOCOL.md's "Fields". */
static int fields_ok(const svc_frame *f)
{
    switch (f->type) {
    case SVC_POSITION: {
        const svc_position *p = &f->u.position;
        return time_ok(p->time_ms) && lat_ok(p->lat_e7) && lon_ok(p->lon_e7) && p->source <= 2 &&
               p->motion <= 2 && (p->heading_cdeg < 36000 || p->heading_cdeg == SVC_U16_UNKNOWN);
    }
    case SVC_HEALTH:
        return time_ok(f->u.health.time_ms) && (f->u.health.battery_pct <= 100 || f->u.health.battery_pct == 255) &&
               (f->u.health.state & ~3u) == 0;
    case SVC_PANIC: {
        int32_t la = f->u.panic.lat_e7, lo = f->u.panic.lon_e7;
        return time_ok(f->u.panic.time_ms) &&
               ((la == SVC_NO_LATLON && lo == SVC_NO_LATLON) || (lat_ok(la) && lon_ok(lo)));
    }
    case SVC_ACK: return f->u.ack.acked_seq >= 1;
    case SVC_PURSUIT: return 1;
    case SVC_REFUSE: return f->u.refuse.reason >= 1 && f->u.refuse.reason <= SVC_REFUSALS;
    case SVC_ALERT:
        return f->u.alert.case_id != 0 && f->u.alert.kind >= SVC_ALERT_REVEAL_OPEN &&
               f->u.alert.kind <= SVC_ALERT_WARNING && time_ok(f->u.alert.time_ms);
    case SVC_OFFENDER_POSITION: {
        const svc_offender_position *p = &f->u.offender;
        return p->case_id != 0 && time_ok(p->time_ms) && lat_ok(p->lat_e7) && lon_ok(p->lon_e7) &&
               (p->heading_cdeg < 36000 || p->heading_cdeg == SVC_U16_UNKNOWN);
    }
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------ */

size_t svc_frame_encode(const svc_frame *f, const unsigned char key[SVC_KEY_BYTES], unsigned char *buf,
                        size_t cap)
{
    if (!f || !key || !buf)
        return 0;
    size_t size = svc_frame_size(f->type), body = body_bytes(f->type);
    if (size == 0 || cap < size || f->device == 0 || f->seq == 0 || f->seq > INT64_MAX || !fields_ok(f))
        return 0;
    memset(buf, 0, size);
    put32(buf, (uint32_t)(size - 4));
    buf[4] = SVC_VERSION;
    buf[5] = (unsigned char)f->type;
    put32(buf + 8, f->device);
    put64(buf + 12, f->seq);
    unsigned char *b = buf + BODY_OFFSET;
    switch (f->type) {
    case SVC_POSITION:
        put64(b, (uint64_t)f->u.position.time_ms);
        put32(b + 8, (uint32_t)f->u.position.lat_e7);
        put32(b + 12, (uint32_t)f->u.position.lon_e7);
        put16(b + 16, f->u.position.acc_dm);
        b[18] = f->u.position.source;
        b[19] = f->u.position.motion;
        put16(b + 20, f->u.position.speed_cmps);
        put16(b + 22, f->u.position.heading_cdeg);
        break;
    case SVC_HEALTH:
        put64(b, (uint64_t)f->u.health.time_ms);
        b[8] = f->u.health.battery_pct;
        b[9] = f->u.health.state;
        break;
    case SVC_PANIC:
        put64(b, (uint64_t)f->u.panic.time_ms);
        put32(b + 8, (uint32_t)f->u.panic.lat_e7);
        put32(b + 12, (uint32_t)f->u.panic.lon_e7);
        break;
    case SVC_ACK: put64(b, f->u.ack.acked_seq); break;
    case SVC_PURSUIT: put16(b, f->u.pursuit.interval_s); break;
    case SVC_REFUSE:
        put64(b, f->u.refuse.refused_seq);
        b[8] = f->u.refuse.reason;
        break;
    case SVC_ALERT:
        put32(b, f->u.alert.case_id);
        b[4] = f->u.alert.kind;
        b[5] = f->u.alert.reason;
        put64(b + 8, (uint64_t)f->u.alert.time_ms);
        break;
    case SVC_OFFENDER_POSITION:
        put32(b, f->u.offender.case_id);
        put64(b + 4, (uint64_t)f->u.offender.time_ms);
        put32(b + 12, (uint32_t)f->u.offender.lat_e7);
        put32(b + 16, (uint32_t)f->u.offender.lon_e7);
        put16(b + 20, f->u.offender.acc_dm);
        put16(b + 22, f->u.offender.heading_cdeg);
        put16(b + 24, f->u.offender.speed_cmps);
        break;
    }
    crypto_auth(buf + BODY_OFFSET + body, buf, BODY_OFFSET + body, key);
    return size;
}

/* ---- decoding ------------------------------------------------------------ */

int svc_frame_peek(const unsigned char *buf, size_t n, size_t *frame_bytes)
{
    if (!buf || !frame_bytes)
        return SVC_EINVAL;
    if (n < 4)
        return SVC_EINCOMPLETE;
    uint32_t length = get32(buf);
    if (length > SVC_FRAME_MAX - 4)
        return SVC_ETOO_LARGE;
    if (length < MIN_LENGTH)
        return SVC_ETOO_SMALL;
    *frame_bytes = (size_t)length + 4;
    return SVC_OK;
}

/* The body of an authenticated frame into f; reserved bytes must be 0. */
static int read_body(const unsigned char *b, svc_frame *f)
{
    switch (f->type) {
    case SVC_POSITION:
        f->u.position.time_ms = s64(get64(b));
        f->u.position.lat_e7 = s32(get32(b + 8));
        f->u.position.lon_e7 = s32(get32(b + 12));
        f->u.position.acc_dm = get16(b + 16);
        f->u.position.source = b[18];
        f->u.position.motion = b[19];
        f->u.position.speed_cmps = get16(b + 20);
        f->u.position.heading_cdeg = get16(b + 22);
        return SVC_OK;
    case SVC_HEALTH:
        f->u.health.time_ms = s64(get64(b));
        f->u.health.battery_pct = b[8];
        f->u.health.state = b[9];
        return b[10] == 0 && b[11] == 0 ? SVC_OK : SVC_EFIELD;
    case SVC_PANIC:
        f->u.panic.time_ms = s64(get64(b));
        f->u.panic.lat_e7 = s32(get32(b + 8));
        f->u.panic.lon_e7 = s32(get32(b + 12));
        return SVC_OK;
    case SVC_ACK:
        f->u.ack.acked_seq = get64(b);
        return SVC_OK;
    case SVC_PURSUIT:
        f->u.pursuit.interval_s = get16(b);
        return b[2] == 0 && b[3] == 0 ? SVC_OK : SVC_EFIELD;
    case SVC_REFUSE:
        f->u.refuse.refused_seq = get64(b);
        f->u.refuse.reason = b[8];
        return b[9] == 0 && b[10] == 0 && b[11] == 0 ? SVC_OK : SVC_EFIELD;
    case SVC_ALERT:
        f->u.alert.case_id = get32(b);
        f->u.alert.kind = b[4];
        f->u.alert.reason = b[5];
        f->u.alert.time_ms = s64(get64(b + 8));
        return b[6] == 0 && b[7] == 0 ? SVC_OK : SVC_EFIELD;
    case SVC_OFFENDER_POSITION:
        f->u.offender.case_id = get32(b);
        f->u.offender.time_ms = s64(get64(b + 4));
        f->u.offender.lat_e7 = s32(get32(b + 12));
        f->u.offender.lon_e7 = s32(get32(b + 16));
        f->u.offender.acc_dm = get16(b + 20);
        f->u.offender.heading_cdeg = get16(b + 22);
        f->u.offender.speed_cmps = get16(b + 24);
        return b[26] == 0 && b[27] == 0 ? SVC_OK : SVC_EFIELD;
    }
    return SVC_ETYPE;
}

int svc_frame_decode(const unsigned char *buf, size_t n, svc_direction dir, svc_peer_lookup lookup, void *ctx,
                     svc_frame *out)
{
    if (!buf || !lookup || !out)
        return SVC_EINVAL;
    memset(out, 0, sizeof *out);
    size_t size;
    int st = svc_frame_peek(buf, n, &size);
    if (st != SVC_OK)
        return st;
    if (n < size)
        return SVC_EINCOMPLETE;
    /* what a refuse frame names, read before anything is believed */
    if (size >= SVC_HEADER_BYTES) {
        out->device = get32(buf + 8);
        out->seq = get64(buf + 12);
    }
    if (buf[4] != SVC_VERSION)
        return SVC_EVERSION;
    svc_frame_type type = (svc_frame_type)buf[5];
    if (!travels(type, dir))
        return SVC_ETYPE;
    out->type = type;
    if (get16(buf + 6) != 0)
        return SVC_EFLAGS;
    size_t body = body_bytes(type);
    if (size != SVC_HEADER_BYTES + body + SVC_TAG_BYTES)
        return SVC_ESIZE;
    const svc_peer *peer = out->device ? lookup(ctx, out->device) : NULL;
    if (!peer)
        return SVC_EDEVICE;
    if (crypto_auth_verify(buf + BODY_OFFSET + body, buf, BODY_OFFSET + body, peer->key) != 0)
        return SVC_ETAG;
    if (out->seq <= peer->last_seq)
        return SVC_EREPLAY;
    if (out->seq > INT64_MAX) /* a store keeps signed 64-bit numbers */
        return SVC_EFIELD;
    st = read_body(buf + BODY_OFFSET, out);
    if (st != SVC_OK)
        return st;
    return fields_ok(out) ? SVC_OK : SVC_EFIELD;
}

/* ---- fixes --------------------------------------------------------------- */

void svc_position_to_fix(const svc_frame *f, pw_fix *out)
{
    memset(out, 0, sizeof *out);
    const svc_position *p = &f->u.position;
    out->device = f->device;
    out->time = p->time_ms;
    out->lat = p->lat_e7 / 1e7;
    out->lon = p->lon_e7 / 1e7;
    out->set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    out->source = p->source == 1 ? PW_SRC_CELL : p->source == 2 ? PW_SRC_WIFI : PW_SRC_GNSS;
    if (p->acc_dm != SVC_U16_UNKNOWN) {
        out->acc_m = p->acc_dm / 10.0;
        out->set |= PW_FIX_ACC_SET;
    }
    if (p->motion != 0) {
        out->moving = p->motion == 2;
        out->set |= PW_FIX_MOTION_SET;
    }
    if (p->speed_cmps != SVC_U16_UNKNOWN) {
        out->speed_mps = p->speed_cmps / 100.0;
        out->set |= PW_FIX_SPEED_SET;
    }
    if (p->heading_cdeg != SVC_U16_UNKNOWN) {
        out->heading_deg = p->heading_cdeg / 100.0;
        out->set |= PW_FIX_HEADING_SET;
    }
}

/* v rounded to a whole number, clamped to [0, max]; max itself for "beyond". */
static uint16_t clamp_u16(double v, double max)
{
    double r = round(v);
    return (uint16_t)(r < 0.0 ? 0.0 : r > max ? max : r);
}

int svc_fix_to_position(const pw_fix *fix, uint64_t seq, svc_frame *out)
{
    if (!fix || !out || !(fix->set & PW_FIX_TIME_SET) || !(fix->set & PW_FIX_LATLON_SET) ||
        !isfinite(fix->lat) || !isfinite(fix->lon) || fabs(fix->lat) > 90.0 || fabs(fix->lon) > 180.0 ||
        !time_ok(fix->time) || fix->device == 0 || seq == 0 || fix->source > PW_SRC_WIFI)
        return SVC_EINVAL;
    memset(out, 0, sizeof *out);
    out->type = SVC_POSITION;
    out->device = fix->device;
    out->seq = seq;
    svc_position *p = &out->u.position;
    p->time_ms = fix->time;
    p->lat_e7 = (int32_t)lround(fix->lat * 1e7);
    p->lon_e7 = (int32_t)lround(fix->lon * 1e7);
    p->source = fix->source == PW_SRC_CELL ? 1 : fix->source == PW_SRC_WIFI ? 2 : 0;
    /* an accuracy too coarse for 16 bits is sent as the coarsest there is */
    p->acc_dm = (fix->set & PW_FIX_ACC_SET) && isfinite(fix->acc_m) ? clamp_u16(fix->acc_m * 10.0, 65534.0)
                                                                      : SVC_U16_UNKNOWN;
    p->motion = (fix->set & PW_FIX_MOTION_SET) ? (fix->moving ? 2 : 1) : 0;
    p->speed_cmps = (fix->set & PW_FIX_SPEED_SET) && isfinite(fix->speed_mps)
                        ? clamp_u16(fix->speed_mps * 100.0, 65534.0)
                        : SVC_U16_UNKNOWN;
    if ((fix->set & PW_FIX_HEADING_SET) && isfinite(fix->heading_deg)) {
        double h = fmod(fix->heading_deg, 360.0);
        h = round((h < 0.0 ? h + 360.0 : h) * 100.0);
        p->heading_cdeg = (uint16_t)(h >= 36000.0 ? 0.0 : h);
    } else {
        p->heading_cdeg = SVC_U16_UNKNOWN;
    }
    return SVC_OK;
}
