/*
 * lua_places.c - places and stations: place(), offset(), station(),
 * subway_line(), and the table of Seoul subway stations they read.
 */
#include "lua_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Places and stations                                                 */
/* ------------------------------------------------------------------ */

void scl_push_place(lua_State *L, scn_point p)
{
    scn_point *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = p;
    luaL_setmetatable(L, MT_PLACE);
}

static void check_latlon(lua_State *L, const char *what, double lat, double lon)
{
    if (!isfinite(lat) || fabs(lat) > 90.0)
        luaL_error(L, "%s: latitude %f is out of range [-90, 90]", what, lat);
    if (!isfinite(lon) || fabs(lon) > 180.0)
        luaL_error(L, "%s: longitude %f is out of range [-180, 180]", what, lon);
}

/* place(lat, lon) or place { lat = , lon = } */
static int l_place(lua_State *L)
{
    double lat, lon;
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const allowed[] = {"lat", "lon", NULL};
        scl_check_fields(L, 1, "place", allowed);
        if (!scl_field_present(L, 1, "lat") || !scl_field_present(L, 1, "lon"))
            luaL_error(L, "place: both 'lat' and 'lon' are required");
        lat = scl_field_number(L, 1, "place", "lat", 0, -90, 90);
        lon = scl_field_number(L, 1, "place", "lon", 0, -180, 180);
    } else {
        if (lua_type(L, 1) != LUA_TNUMBER || lua_type(L, 2) != LUA_TNUMBER)
            luaL_error(L, "place expects place(lat, lon) in degrees, e.g. place(37.4979, 127.0276)");
        lat = lua_tonumber(L, 1);
        lon = lua_tonumber(L, 2);
    }
    check_latlon(L, "place", lat, lon);
    scl_push_place(L, (scn_point){lat, lon});
    return 1;
}

/* offset(place, {east = metres, north = metres}): a place so many metres
 * from another, on the local tangent plane (exact to a millimetre within a
 * few kilometres; see engine.h, eng_frame). */
static int l_offset(lua_State *L)
{
    scn_point *p = luaL_testudata(L, 1, MT_PLACE);
    if (!p)
        luaL_error(L, "offset expects offset(place, {east = m, north = m}), e.g. "
                      "offset(home, {east = 300, north = -120})");
    scn_point from = *p;
    if (lua_type(L, 2) != LUA_TTABLE)
        luaL_error(L, "offset: the second argument must be {east = m, north = m}");
    static const char *const allowed[] = {"east", "north", NULL};
    scl_check_fields(L, 2, "offset", allowed);
    double east = scl_field_number(L, 2, "offset", "east", 0, -100000, 100000);
    double north = scl_field_number(L, 2, "offset", "north", 0, -100000, 100000);
    eng_frame fr;
    if (eng_frame_init(&fr, from.lat, from.lon) != ENG_OK)
        luaL_error(L, "offset: the place is too near a pole");
    scn_point to;
    eng_geo_to_wgs84(&fr, east, north, &to.lat, &to.lon);
    check_latlon(L, "offset", to.lat, to.lon);
    scl_push_place(L, to);
    return 1;
}

static int l_place_tostring(lua_State *L)
{
    scn_point *p = luaL_checkudata(L, 1, MT_PLACE);
    lua_pushfstring(L, "place(%f, %f)", p->lat, p->lon);
    return 1;
}

static int l_place_index(lua_State *L)
{
    scn_point *p = luaL_checkudata(L, 1, MT_PLACE);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "lat") == 0)
        lua_pushnumber(L, p->lat);
    else if (strcmp(k, "lon") == 0)
        lua_pushnumber(L, p->lon);
    else
        lua_pushnil(L);
    return 1;
}

/* "2", 2, "2호선", "Line 2" -> "2호선"; "9E" -> the line 9 extension. */
static void line_key(lua_State *L, int idx, char *out, size_t n)
{
    char raw[40];
    if (lua_type(L, idx) == LUA_TNUMBER)
        snprintf(raw, sizeof raw, "%d", (int)lua_tointeger(L, idx));
    else if (lua_type(L, idx) == LUA_TSTRING)
        snprintf(raw, sizeof raw, "%s", lua_tostring(L, idx));
    else {
        luaL_error(L, "a subway line is a number or a name like \"2\", got %s", luaL_typename(L, idx));
        return;
    }
    const char *r = raw;
    if (strncmp(r, "Line ", 5) == 0 || strncmp(r, "line ", 5) == 0)
        r += 5;
    if (strcmp(r, "9E") == 0 || strcmp(r, "9e") == 0)
        snprintf(out, n, "9호선(연장)");
    else if (strstr(r, "호선"))
        snprintf(out, n, "%s", r);
    else
        snprintf(out, n, "%s호선", r);
}

/* Exact name, or the name before its parenthesised note ("잠실" for
 * "잠실(송파구청)").  Line 9's extension counts as line 9. */
static const station *find_station(const builder *b, const char *line, const char *name)
{
    size_t ln = strlen(line);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < b->stations.n; i++) {
            const station *st = &b->stations.v[i];
            int line_ok = strcmp(st->line, line) == 0 ||
                          (strcmp(line, "9호선") == 0 && strncmp(st->line, line, ln) == 0);
            if (!line_ok)
                continue;
            if (pass == 0 && strcmp(st->name, name) == 0)
                return st;
            size_t nn = strlen(name);
            if (pass == 1 && strncmp(st->name, name, nn) == 0 && st->name[nn] == '(')
                return st;
        }
    }
    return NULL;
}

static int line_exists(const builder *b, const char *line)
{
    for (size_t i = 0; i < b->stations.n; i++)
        if (strcmp(b->stations.v[i].line, line) == 0)
            return 1;
    return 0;
}

static const station *check_station(lua_State *L, builder *b, const char *line, const char *name,
                                    const char *what)
{
    if (!line_exists(b, line))
        luaL_error(L, "%s: unknown subway line '%s' (Seoul lines 1-9, 9E)", what, line);
    const station *st = find_station(b, line, name);
    if (!st)
        luaL_error(L, "%s: unknown station '%s' on line %s", what, name, line);
    return st;
}

/* station(line, name) -> the station's place */
static int l_station(lua_State *L)
{
    builder *b = scl_get_builder(L);
    char line[64];
    line_key(L, 1, line, sizeof line);
    const char *name = luaL_checkstring(L, 2);
    scl_push_place(L, check_station(L, b, line, name, "station")->p);
    return 1;
}

/* subway_line { name = "2", stations = {"시청", "을지로입구", ...} } */
static int l_subway_line(lua_State *L)
{
    builder *b = scl_get_builder(L);
    scl_check_table_arg(L, "subway_line");
    static const char *const allowed[] = {"name", "stations", NULL};
    scl_check_fields(L, 1, "subway_line", allowed);
    if (!scl_field_present(L, 1, "name"))
        luaL_error(L, "subway_line: 'name' is required (the line, e.g. \"2\")");
    lua_getfield(L, 1, "name");
    char key[64];
    line_key(L, -1, key, sizeof key);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "stations") != LUA_TTABLE)
        luaL_error(L, "subway_line: 'stations' must be a list of station names in riding order");
    int n = (int)luaL_len(L, -1);
    if (n < 2)
        luaL_error(L, "subway_line: 'stations' needs at least two stations");
    scn_subway_line ln;
    memset(&ln, 0, sizeof ln);
    snprintf(ln.name, sizeof ln.name, "%s", key);
    ln.first_point = b->points.n;
    ln.first_name = b->station_names.n;
    for (int i = 1; i <= n; i++) {
        lua_geti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "subway_line: station %d must be a name, got %s", i, luaL_typename(L, -1));
        const station *st = check_station(L, b, key, lua_tostring(L, -1), "subway_line");
        VEC_PUSH(L, b->points, st->p);
        char nm[64];
        snprintf(nm, sizeof nm, "%s", lua_tostring(L, -1));
        if (pw_grow((void **)&b->station_names.v, &b->station_names.cap, b->station_names.n + 1,
                        sizeof *b->station_names.v) != 0)
            luaL_error(L, "out of memory");
        memcpy(b->station_names.v[b->station_names.n++], nm, sizeof nm);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    ln.n_points = (size_t)n;
    VEC_PUSH(L, b->lines, ln);
    line_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->index = b->lines.n - 1;
    luaL_setmetatable(L, MT_LINE);
    return 1;
}


/* ------------------------------------------------------------------ */
/* Stations table                                                      */
/* ------------------------------------------------------------------ */

int scl_load_stations(builder *b, const char *path, scn_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err->message, sizeof err->message, "%s: cannot open the subway stations table: %s", path,
                 strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1)
            continue; /* header */
        station st;
        memset(&st, 0, sizeof st);
        char *fields[4];
        int nf = 0;
        char *p = line;
        while (nf < 4) {
            fields[nf++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (nf != 4) {
            snprintf(err->message, sizeof err->message, "%s:%d: expected 4 columns (line,station,lat,lon)",
                     path, lineno);
            fclose(f);
            return -1;
        }
        /* Longer names are cut to the table's width (none in the data is). */
        snprintf(st.line, sizeof st.line, "%.*s", (int)sizeof st.line - 1, fields[0]);
        snprintf(st.name, sizeof st.name, "%.*s", (int)sizeof st.name - 1, fields[1]);
        char *end1, *end2;
        st.p.lat = strtod(fields[2], &end1);
        st.p.lon = strtod(fields[3], &end2);
        if (end1 == fields[2] || end2 == fields[3] || fabs(st.p.lat) > 90 || fabs(st.p.lon) > 180) {
            snprintf(err->message, sizeof err->message, "%s:%d: bad latitude or longitude", path, lineno);
            fclose(f);
            return -1;
        }
        if (pw_grow((void **)&b->stations.v, &b->stations.cap, b->stations.n + 1, sizeof st) != 0) {
            fclose(f);
            return -1;
        }
        b->stations.v[b->stations.n++] = st;
    }
    fclose(f);
    return 0;
}


void scl_open_places(lua_State *L)
{
    luaL_newmetatable(L, MT_PLACE);
    lua_pushcfunction(L, l_place_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, l_place_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "place");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, MT_LINE);
    lua_pushliteral(L, "subway line");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    static const luaL_Reg api[] = {
        {"place", l_place},
        {"offset", l_offset},
        {"station", l_station},
        {"subway_line", l_subway_line},
        {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
