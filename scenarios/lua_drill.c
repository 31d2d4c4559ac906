/*
 * lua_drill.c - drill templates: drill { }, level(), by_level { },
 * vary(), vary_place(), choose() and inject { } (scenarios/drills/
 * README.md).  Draws come from the caller's generator (scn_options.
 * uniform); without one every range gives its middle, so a template also
 * runs as a plain scenario.
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {NULL, "easy", "normal", "hard"};

const char *scn_level_name(int level)
{
    return level >= SCN_LEVEL_EASY && level <= SCN_LEVEL_HARD ? level_names[level] : NULL;
}

int scn_level_parse(const char *name)
{
    for (int k = SCN_LEVEL_EASY; name && k <= SCN_LEVEL_HARD; k++)
        if (strcmp(name, level_names[k]) == 0)
            return k;
    return 0;
}

static const char *const inject_names[SCN_INJ_KIND_COUNT] = {
    NULL, "tamper", "panic", "tunnel", "canyon", "battery", "outage", "call",
};

const char *scn_inject_name(scn_inject_kind k)
{
    return k > 0 && k < SCN_INJ_KIND_COUNT ? inject_names[k] : NULL;
}

static const scn_options *options(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "pw.options");
    const scn_options *o = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return o;
}

static int level_of(lua_State *L)
{
    const scn_options *o = options(L);
    return o && o->level >= SCN_LEVEL_EASY && o->level <= SCN_LEVEL_HARD ? o->level : SCN_LEVEL_NORMAL;
}

/* A draw in [0, 1) from the caller's generator, or the middle (0.5). */
static double uniform(lua_State *L)
{
    const scn_options *o = options(L);
    if (!o || !o->uniform)
        return 0.5;
    double u = o->uniform(o->uniform_ctx);
    if (!(u >= 0.0) || u > 1.0)
        luaL_error(L, "the drill's random generator gave %f, outside [0, 1]", u);
    return u;
}

static void copy_text(lua_State *L, char *dst, size_t n, const char *src, const char *what, const char *k)
{
    if (strlen(src) >= n)
        luaL_error(L, "%s: '%s' is longer than %d bytes", what, k, (int)n - 1);
    memcpy(dst, src, strlen(src) + 1);
}

/* {ko = "...", en = "..."} at field k of table idx into ko and en. */
static void field_lines(lua_State *L, int idx, const char *what, const char *k, char *ko, char *en, size_t n)
{
    if (lua_getfield(L, idx, k) == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: '%s' must be a table {ko = \"...\", en = \"...\"}", what, k);
    static const char *const allowed[] = {"ko", "en", NULL};
    int t = lua_gettop(L);
    scl_check_fields(L, t, what, allowed);
    copy_text(L, ko, n, scl_field_string(L, t, what, "ko", ""), what, "ko");
    copy_text(L, en, n, scl_field_string(L, t, what, "en", ""), what, "en");
    lua_pop(L, 1);
}

/* drill { title = , trains = , briefing = {ko = , en = } } */
static int l_drill(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "drill";
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    if (b->s->drill.present)
        luaL_error(L, "drill: declared twice (first at line %d)", b->s->drill.line);
    static const char *const allowed[] = {"title", "trains", "briefing", NULL};
    scl_check_fields(L, 1, what, allowed);
    scn_drill *d = &b->s->drill;
    d->present = 1;
    d->line = scl_current_line(L);
    copy_text(L, d->title, sizeof d->title, scl_field_string(L, 1, what, "title", b->s->name), what, "title");
    copy_text(L, d->trains, sizeof d->trains, scl_field_string(L, 1, what, "trains", ""), what, "trains");
    field_lines(L, 1, what, "briefing", d->briefing_ko, d->briefing_en, sizeof d->briefing_ko);
    return 0;
}

static int l_level(lua_State *L)
{
    lua_pushstring(L, scn_level_name(level_of(L)));
    return 1;
}

/* by_level { easy = a, normal = b, hard = c }: the value for the drill's
 * level; a level left out takes normal's. */
static int l_by_level(lua_State *L)
{
    scl_check_table_arg(L, "by_level");
    static const char *const allowed[] = {"easy", "normal", "hard", NULL};
    scl_check_fields(L, 1, "by_level", allowed);
    if (!scl_field_present(L, 1, "normal"))
        luaL_error(L, "by_level: 'normal' is required (a level left out takes its value)");
    const char *name = scn_level_name(level_of(L));
    if (lua_getfield(L, 1, name) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_getfield(L, 1, "normal");
    }
    return 1;
}

static scn_draw *new_draw(lua_State *L, builder *b, const char *what, scn_draw_kind kind)
{
    const char *name = luaL_checkstring(L, 1);
    if (!*name || strlen(name) >= sizeof ((scn_draw *)0)->name)
        luaL_error(L, "%s: the name must be 1 to 63 bytes", what);
    for (size_t i = 0; i < b->draws.n; i++)
        if (strcmp(b->draws.v[i].name, name) == 0)
            luaL_error(L, "%s: '%s' is drawn twice (first at line %d)", what, name, b->draws.v[i].line);
    scn_draw d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", name);
    d.kind = kind;
    d.line = scl_current_line(L);
    VEC_PUSH(L, b->draws, d);
    return &b->draws.v[b->draws.n - 1];
}

/*
 * vary("name", lo, hi): numbers give a number in [lo, hi]; times
 * ("07:40", "+20m") a time between them, as "+Ns" after the start (every
 * time field reads it); durations ("2m", "6m") a whole number of seconds.
 */
static int l_vary(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "vary";
    luaL_checkstring(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER && lua_type(L, 3) == LUA_TNUMBER) {
        double lo = lua_tonumber(L, 2), hi = lua_tonumber(L, 3);
        if (!isfinite(lo) || !isfinite(hi) || hi < lo)
            luaL_error(L, "vary: the range must be two finite numbers, low then high");
        scn_draw *d = new_draw(L, b, what, SCN_DRAW_NUMBER);
        d->lo = lo;
        d->hi = hi;
        d->value = lo + uniform(L) * (hi - lo);
        lua_pushnumber(L, d->value);
        return 1;
    }
    if (lua_type(L, 2) != LUA_TSTRING || lua_type(L, 3) != LUA_TSTRING)
        luaL_error(L, "vary expects vary(\"name\", low, high) with two numbers, two times (\"07:40\", "
                      "\"07:55\") or two durations (\"2m\", \"6m\")");
    const char *a = lua_tostring(L, 2);
    int is_duration = scn_parse_duration(a) >= 0 && a[0] != '+';
    int second;
    if (scn_parse_time_of_day(a, &second) || a[0] == '+' || strchr(a, '-'))
        is_duration = 0;
    if (is_duration) {
        pw_time_ms lo = scl_to_duration(L, 2, what, "low"), hi = scl_to_duration(L, 3, what, "high");
        if (hi < lo)
            luaL_error(L, "vary: '%s' is longer than '%s'", a, lua_tostring(L, 3));
        scn_draw *d = new_draw(L, b, what, SCN_DRAW_DURATION);
        d->lo = (double)lo / 1000.0;
        d->hi = (double)hi / 1000.0;
        d->value = floor(d->lo + uniform(L) * (d->hi - d->lo) + 0.5);
        lua_pushnumber(L, d->value);
        return 1;
    }
    pw_time_ms lo = scl_to_time(L, b, 2, what, "low"), hi = scl_to_time(L, b, 3, what, "high");
    if (hi < lo)
        luaL_error(L, "vary: '%s' comes after '%s'", a, lua_tostring(L, 3));
    scn_draw *d = new_draw(L, b, what, SCN_DRAW_TIME);
    d->lo = (double)lo;
    d->hi = (double)hi;
    double s_lo = (double)(lo - b->s->start) / 1000.0, s_hi = (double)(hi - b->s->start) / 1000.0;
    double s = floor(s_lo + uniform(L) * (s_hi - s_lo) + 0.5);
    if (s < s_lo)
        s = ceil(s_lo);
    if (s > s_hi)
        s = floor(s_hi);
    d->value = (double)b->s->start + s * 1000.0;
    lua_pushfstring(L, "+%ds", (int)s);
    return 1;
}

/* vary_place("name", place, metres): a place uniform in the disc. */
static int l_vary_place(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "vary_place";
    luaL_checkstring(L, 1);
    scn_point c = scl_check_place(L, 2, what, "place");
    double r = luaL_checknumber(L, 3);
    if (!isfinite(r) || r < 0 || r > 20000)
        luaL_error(L, "vary_place: the radius must be 0 to 20000 m, got %f", r);
    scn_draw *d = new_draw(L, b, what, SCN_DRAW_PLACE);
    double u1 = uniform(L), u2 = uniform(L);
    /* the middle of the range is the centre itself */
    double dist = options(L) && options(L)->uniform ? r * sqrt(u1) : 0.0;
    double bearing = 2.0 * M_PI * u2;
    eng_frame fr;
    if (eng_frame_init(&fr, c.lat, c.lon) != ENG_OK)
        luaL_error(L, "vary_place: the place is too near a pole");
    scn_point p;
    eng_geo_to_wgs84(&fr, dist * sin(bearing), dist * cos(bearing), &p.lat, &p.lon);
    d->lo = 0;
    d->hi = r;
    d->value = dist;
    d->place = p;
    d->centre = c;
    scl_push_place(L, p);
    return 1;
}

/* choose("name", {a, b, c}): one of the options. */
static int l_choose(lua_State *L)
{
    builder *b = scl_get_builder(L);
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 2);
    if (n < 1 || n > 1000)
        luaL_error(L, "choose: give 1 to 1000 options in a list, got %d", (int)n);
    scn_draw *d = new_draw(L, b, "choose", SCN_DRAW_CHOICE);
    lua_Integer k = options(L) && options(L)->uniform ? (lua_Integer)(uniform(L) * (double)n) : 0;
    if (k >= n)
        k = n - 1;
    d->lo = 0;
    d->hi = (double)(n - 1);
    d->value = (double)k;
    lua_geti(L, 2, k + 1);
    return 1;
}

/*
 * inject { kind = , at = , duration = , actor = , place = , radius = ,
 *          level = , name = , who = , says = {ko = , en = } }
 */
static int l_inject(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "inject";
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    static const char *const allowed[] = {"kind", "at", "duration", "actor", "place", "radius",
                                          "street_bearing", "what", "level", "name", "who", "says", NULL};
    scl_check_fields(L, 1, what, allowed);
    scn_inject in;
    memset(&in, 0, sizeof in);
    in.line = scl_current_line(L);
    in.actor = SIZE_MAX;
    const char *kind = scl_field_string(L, 1, what, "kind", NULL);
    if (!kind)
        luaL_error(L, "inject: 'kind' is required (tamper, panic, tunnel, canyon, battery, outage, call)");
    for (int k = 1; k < SCN_INJ_KIND_COUNT; k++)
        if (strcmp(kind, inject_names[k]) == 0)
            in.kind = (scn_inject_kind)k;
    if (!in.kind)
        luaL_error(L, "inject: unknown kind '%s' (tamper, panic, tunnel, canyon, battery, outage, call)", kind);
    const char *level = scl_field_string(L, 1, what, "level", "easy");
    in.level = scn_level_parse(level);
    if (!in.level)
        luaL_error(L, "inject: level '%s' is not easy, normal or hard", level);
    if (!scl_field_present(L, 1, "at"))
        luaL_error(L, "inject: 'at' is required");
    in.at = scl_field_time(L, b, 1, what, "at", 0);
    int spans = in.kind == SCN_INJ_TUNNEL || in.kind == SCN_INJ_CANYON || in.kind == SCN_INJ_OUTAGE;
    if (spans) {
        if (!scl_field_present(L, 1, "duration"))
            luaL_error(L, "inject: a %s needs a 'duration'", kind);
        pw_time_ms d = scl_field_duration(L, 1, what, "duration", 0);
        if (d <= 0)
            luaL_error(L, "inject: 'duration' must be positive");
        in.until = in.at + d;
        if (in.until > b->s->start + b->s->duration_ms)
            in.until = b->s->start + b->s->duration_ms;
    } else if (scl_field_present(L, 1, "duration") && in.kind != SCN_INJ_CALL) {
        luaL_error(L, "inject: a %s is an instant and has no 'duration'", kind);
    }
    int needs_actor = in.kind == SCN_INJ_TAMPER || in.kind == SCN_INJ_PANIC || in.kind == SCN_INJ_TUNNEL ||
                      in.kind == SCN_INJ_BATTERY;
    if (needs_actor) {
        in.actor = scl_field_actor(L, 1, what, "actor");
        scn_role r = b->actors.v[in.actor].role;
        if (r == SCN_PATROL)
            luaL_error(L, "inject: a patrol has no emulated device");
        if (in.kind == SCN_INJ_TAMPER && r != SCN_OFFENDER)
            luaL_error(L, "inject: only an offender's tag has a strap");
        if (in.kind == SCN_INJ_PANIC && r != SCN_VICTIM)
            luaL_error(L, "inject: only a victim's phone has a panic button");
    } else if (scl_field_present(L, 1, "actor")) {
        luaL_error(L, "inject: a %s concerns no one actor; leave out 'actor'", kind);
    }
    if (in.kind == SCN_INJ_CANYON) {
        in.place = scl_field_place(L, 1, what, "place", 1, NULL);
        in.radius_m = scl_field_number(L, 1, what, "radius", 300, 20, 5000);
        in.street_bearing_deg = scl_field_number(L, 1, what, "street_bearing", NAN, 0, 360);
    } else if (in.kind == SCN_INJ_CALL) {
        if (scl_field_present(L, 1, "radius") || scl_field_present(L, 1, "street_bearing"))
            luaL_error(L, "inject: a call has a 'place', not a 'radius' or a 'street_bearing'");
    } else if (scl_field_present(L, 1, "place") || scl_field_present(L, 1, "radius") ||
               scl_field_present(L, 1, "street_bearing")) {
        luaL_error(L, "inject: only a canyon has a 'place', a 'radius' and a 'street_bearing'");
    }
    if (in.kind != SCN_INJ_CALL && scl_field_present(L, 1, "what"))
        luaL_error(L, "inject: only a call has a 'what'");
    char label[64];
    snprintf(label, sizeof label, "%s %zu", kind, b->injects.n + 1);
    copy_text(L, in.name, sizeof in.name, scl_field_string(L, 1, what, "name", label), what, "name");
    copy_text(L, in.who, sizeof in.who, scl_field_string(L, 1, what, "who", in.kind == SCN_INJ_PANIC ? "victim" : "centre"),
              what, "who");
    field_lines(L, 1, what, "says", in.says_ko, in.says_en, sizeof in.says_ko);
    if (in.level > level_of(L))
        return 0; /* not at this level: nothing happens */
    if (in.kind == SCN_INJ_CALL) {
        in.call = scl_add_call(L, b, 1, what);
        in.place = b->calls.v[in.call].place;
        VEC_PUSH(L, b->injects, in);
        return 0;
    }

    scn_event ev;
    memset(&ev, 0, sizeof ev);
    ev.at = in.at;
    ev.actor = in.actor;
    switch (in.kind) {
    case SCN_INJ_TAMPER:
        ev.kind = SCN_EV_TAMPER;
        break;
    case SCN_INJ_PANIC:
        ev.kind = SCN_EV_PANIC;
        break;
    case SCN_INJ_BATTERY:
        ev.kind = SCN_EV_BATTERY_DEATH;
        break;
    case SCN_INJ_TUNNEL:
        ev.kind = SCN_EV_GNSS_OUTAGE;
        ev.until = in.until;
        break;
    case SCN_INJ_OUTAGE:
        ev.kind = SCN_EV_CENTRE_OUTAGE;
        ev.actor = SIZE_MAX;
        ev.until = in.until;
        break;
    case SCN_INJ_CANYON: {
        scn_env_zone z;
        memset(&z, 0, sizeof z);
        z.env = SCN_ENV_URBAN_HEAVY;
        z.is_circle = 1;
        z.center = in.place;
        z.radius_m = in.radius_m;
        z.street_bearing_deg = in.street_bearing_deg;
        VEC_PUSH(L, b->env_zones, z);
        break;
    }
    default:
        break;
    }
    if (in.kind != SCN_INJ_CANYON)
        VEC_PUSH(L, b->events, ev);
    VEC_PUSH(L, b->injects, in);
    return 0;
}

void scl_open_drill(lua_State *L)
{
    static const luaL_Reg api[] = {
        {"drill", l_drill},   {"level", l_level},   {"by_level", l_by_level}, {"vary", l_vary},
        {"vary_place", l_vary_place}, {"choose", l_choose}, {"inject", l_inject}, {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
