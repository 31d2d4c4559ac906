/*
 * lua_zones.c - exclusion_zone() with its weekly schedules, and
 * environment() (GNSS conditions: urban canyons, indoors, tunnels).
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Zones                                                               */
/* ------------------------------------------------------------------ */

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

static int day_index(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (strncmp(s, day_names[i], 3) == 0)
            return i;
    return -1;
}

/* "Mon-Fri", "Sat,Sun", "daily", "weekdays", "weekends" -> bit mask */
static uint8_t parse_days(lua_State *L, const char *what, const char *text)
{
    if (strcmp(text, "daily") == 0)
        return 0x7f;
    if (strcmp(text, "weekdays") == 0)
        return 0x1f;
    if (strcmp(text, "weekends") == 0)
        return 0x60;
    uint8_t mask = 0;
    const char *p = text;
    while (*p) {
        int a = day_index(p);
        if (a < 0)
            break;
        p += 3;
        int z = a;
        if (*p == '-') {
            z = day_index(p + 1);
            if (z < 0)
                break;
            p += 4;
        }
        for (int d = a;; d = (d + 1) % 7) {
            mask |= (uint8_t)(1u << d);
            if (d == z)
                break;
        }
        if (*p == ',')
            p++;
        else if (*p)
            break;
    }
    if (*p || !mask)
        luaL_error(L, "%s: days = \"%s\" is not understood (examples: \"Mon-Fri\", \"Sat,Sun\", "
                   "\"daily\")", what, text);
    return mask;
}

/* schedule = { days = "Mon-Fri", from = "08:00", to = "16:00" } or a list of those */
static void parse_schedule(lua_State *L, int idx, const char *what, int utc_offset, eng_schedule *out)
{
    memset(out, 0, sizeof *out);
    out->utc_offset_min = utc_offset;
    idx = lua_absindex(L, idx);
    int n = lua_rawlen(L, idx) > 0 ? (int)lua_rawlen(L, idx) : 0;
    int single = n == 0;
    for (int i = 1; i <= (single ? 1 : n); i++) {
        if (!single)
            lua_geti(L, idx, i);
        else
            lua_pushvalue(L, idx);
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_error(L, "%s: schedule entries are tables { days = , from = , to = }", what);
        static const char *const allowed[] = {"days", "from", "to", NULL};
        scl_check_fields(L, -1, what, allowed);
        if (out->n_windows >= ENG_MAX_WINDOWS)
            luaL_error(L, "%s: at most %d schedule windows", what, ENG_MAX_WINDOWS);
        const char *days = scl_field_string(L, -1, what, "days", "daily");
        const char *from = scl_field_string(L, -1, what, "from", "00:00");
        const char *to = scl_field_string(L, -1, what, "to", "24:00");
        int a, z;
        if (!scn_parse_time_of_day(from, &a) || a % 60)
            luaL_error(L, "%s: schedule 'from' = \"%s\" is not a time like \"08:00\" (whole minutes)", what,
                       from);
        if (!scn_parse_time_of_day(to, &z) || z % 60)
            luaL_error(L, "%s: schedule 'to' = \"%s\" is not a time like \"16:00\" (whole minutes)", what, to);
        a /= 60;
        z /= 60;
        if (z <= a)
            luaL_error(L, "%s: schedule 'to' (%s) must be after 'from' (%s); split a window "
                       "that crosses midnight in two", what, to, from);
        eng_window *w = &out->windows[out->n_windows++];
        w->days_mask = parse_days(L, what, days);
        w->start_min = (uint16_t)a;
        w->end_min = (uint16_t)z;
        lua_pop(L, 1);
    }
}

/* A polygon: a list of at least three places. */
static size_t parse_polygon(lua_State *L, int idx, const char *what, scn_point *pts, size_t cap)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: 'polygon' must be a list of places", what);
    size_t n = lua_rawlen(L, idx);
    if (n < 3)
        luaL_error(L, "%s: a polygon needs at least 3 places, got %d", what, (int)n);
    if (n > cap)
        luaL_error(L, "%s: a polygon has at most %d places, got %d", what, (int)cap, (int)n);
    for (size_t i = 1; i <= n; i++) {
        lua_geti(L, idx, (lua_Integer)i);
        pts[i - 1] = scl_check_place(L, -1, what, "polygon");
        lua_pop(L, 1);
    }
    return n;
}

/* exclusion_zone { name = , center = , radius = | polygon = {...}, schedule = } */
static int l_exclusion_zone(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "exclusion_zone";
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    static const char *const allowed[] = {"name", "center", "radius", "polygon", "schedule", NULL};
    scl_check_fields(L, 1, what, allowed);
    named_zone z;
    memset(&z, 0, sizeof z);
    const char *name = scl_field_string(L, 1, what, "name", NULL);
    if (!name || !*name)
        luaL_error(L, "%s: 'name' is required (cases refer to zones by name)", what);
    for (size_t i = 0; i < b->zones.n; i++)
        if (strcmp(b->zones.v[i].name, name) == 0)
            luaL_error(L, "%s: a zone named '%s' already exists (line %d)", what, name, b->zones.v[i].line);
    snprintf(z.name, sizeof z.name, "%s", name);
    z.line = scl_current_line(L);
    z.def.id = (pw_id)(b->zones.n + 1);
    int has_center = 0;
    scn_point c = scl_field_place(L, 1, what, "center", 0, &has_center);
    int has_poly = scl_field_present(L, 1, "polygon");
    if (has_center == has_poly)
        luaL_error(L, "%s '%s': give either center and radius, or polygon", what, name);
    if (has_center) {
        if (!scl_field_present(L, 1, "radius"))
            luaL_error(L, "%s '%s': 'radius' (metres) is required with 'center'", what, name);
        z.def.kind = ENG_ZONE_CIRCLE;
        z.def.center_lat = c.lat;
        z.def.center_lon = c.lon;
        z.def.radius_m = scl_field_number(L, 1, what, "radius", 0, 1, 50000);
    } else {
        scn_point pts[ENG_MAX_ZONE_VERTICES];
        lua_getfield(L, 1, "polygon");
        z.def.kind = ENG_ZONE_POLYGON;
        z.def.n_vertices = parse_polygon(L, -1, what, pts, ENG_MAX_ZONE_VERTICES);
        lua_pop(L, 1);
        for (size_t i = 0; i < z.def.n_vertices; i++) {
            z.def.lat[i] = pts[i].lat;
            z.def.lon[i] = pts[i].lon;
        }
    }
    z.def.schedule.utc_offset_min = b->s->utc_offset_min;
    if (lua_getfield(L, 1, "schedule") != LUA_TNIL)
        parse_schedule(L, -1, what, b->s->utc_offset_min, &z.def.schedule);
    lua_pop(L, 1);
    VEC_PUSH(L, b->zones, z);
    return 0;
}

/* safe_place { name = , at = place(...), kind = "police_box" | "police_station" | "staffed" }:
 * where the victim's app shows her she can go (a police box, a staffed
 * station). */
static int l_safe_place(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "safe_place";
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    static const char *const allowed[] = {"name", "at", "kind", NULL};
    scl_check_fields(L, 1, what, allowed);
    scn_safe_place p;
    memset(&p, 0, sizeof p);
    const char *name = scl_field_string(L, 1, what, "name", NULL);
    if (!name || !*name)
        luaL_error(L, "%s: 'name' is required (the victim's app shows it)", what);
    if (strlen(name) >= sizeof p.name)
        luaL_error(L, "%s: 'name' is %d bytes; at most %d (a Korean syllable is 3)", what, (int)strlen(name),
                   (int)sizeof p.name - 1);
    snprintf(p.name, sizeof p.name, "%s", name);
    int has_at = 0;
    p.at = scl_field_place(L, 1, what, "at", 0, &has_at);
    if (!has_at)
        luaL_error(L, "%s '%s': 'at' (a place) is required", what, name);
    const char *kind = scl_field_string(L, 1, what, "kind", "police_box");
    if (strcmp(kind, "police_box") && strcmp(kind, "police_station") && strcmp(kind, "staffed"))
        luaL_error(L, "%s '%s': kind = \"%s\": police_box, police_station or staffed", what, name, kind);
    snprintf(p.kind, sizeof p.kind, "%s", kind);
    p.line = scl_current_line(L);
    VEC_PUSH(L, b->safe_places, p);
    return 0;
}

/* environment { kind = "urban_heavy", center = , radius = | polygon = , street_bearing = } */
static int l_environment(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "environment";
    scl_check_table_arg(L, what);
    static const char *const allowed[] = {"kind", "center", "radius", "polygon", "street_bearing", NULL};
    scl_check_fields(L, 1, what, allowed);
    scn_env_zone z;
    memset(&z, 0, sizeof z);
    const char *kind = scl_field_string(L, 1, what, "kind", NULL);
    if (!kind)
        luaL_error(L, "%s: 'kind' is required (open, urban_light, urban_heavy, indoor, tunnel)", what);
    int k = -1;
    for (int i = 0; i < SCN_ENV_COUNT; i++)
        if (strcmp(kind, scn_env_name((scn_env)i)) == 0)
            k = i;
    if (k < 0)
        luaL_error(L, "%s: unknown kind '%s' (open, urban_light, urban_heavy, indoor, tunnel)", what, kind);
    z.env = (scn_env)k;
    z.street_bearing_deg = scl_field_number(L, 1, what, "street_bearing", NAN, 0, 360);
    int has_center = 0;
    z.center = scl_field_place(L, 1, what, "center", 0, &has_center);
    int has_poly = scl_field_present(L, 1, "polygon");
    if (has_center == has_poly)
        luaL_error(L, "%s: give either center and radius, or polygon", what);
    if (has_center) {
        z.is_circle = 1;
        if (!scl_field_present(L, 1, "radius"))
            luaL_error(L, "%s: 'radius' (metres) is required with 'center'", what);
        z.radius_m = scl_field_number(L, 1, what, "radius", 0, 1, 50000);
    } else {
        scn_point pts[LEG_MAX_POINTS];
        lua_getfield(L, 1, "polygon");
        size_t n = parse_polygon(L, -1, what, pts, LEG_MAX_POINTS);
        lua_pop(L, 1);
        z.first_point = b->points.n;
        z.n_points = n;
        for (size_t i = 0; i < n; i++)
            VEC_PUSH(L, b->points, pts[i]);
    }
    VEC_PUSH(L, b->env_zones, z);
    return 0;
}


void scl_open_zones(lua_State *L)
{
    static const luaL_Reg api[] = {
        {"exclusion_zone", l_exclusion_zone},
        {"safe_place", l_safe_place},
        {"environment", l_environment},
        {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
