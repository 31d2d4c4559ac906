/*
 * pages.c - the drill's PDFs, A4 landscape, drawn with render/:
 *   drill-K.pdf      for the trainee: a briefing page (cases, the rules in
 *                    force, patrols, how to log actions), then a page per
 *                    moment in time order (each inject as it shows, each
 *                    incident as it opens, each notice that asks for an
 *                    action, each pre-warning, which asks for none) with
 *                    the 112 console at that moment, the
 *                    centre's notices and what the caller says (Korean,
 *                    English under it).  No answers: no inject
 *                    names or kinds, no expected actions, no deadlines, no
 *                    word of which alerts are false.
 *   drill-K-key.pdf  for the trainer: the expected actions with deadlines,
 *                    the false alerts and why, the protocol, the timeline,
 *                    the ground-truth map.
 * Both carry the run's start as their dates, so a drill gives the same
 * bytes every time.
 */
#include "drl_internal.h"

#include <cairo-pdf.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 842.0
#define PAGE_H 595.0
#define MARGIN 36.0

typedef struct pdf {
    cairo_surface_t *s;
    cairo_t *cr;
    double y;                    /* the next line's top */
    int fixed;                   /* a page of its own: what does not fit is left out, never a new page */
    int dropped;                 /* paragraphs left out so */
    int unknown;                 /* characters no font could draw */
    const drl_variant *v;
    const char *footer;
    int page;
} pdf;

static void colour(cairo_t *cr, uint32_t rgb)
{
    cairo_set_source_rgb(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0, (rgb & 255) / 255.0);
}

static void footer(pdf *p)
{
    char line[300];
    snprintf(line, sizeof line, "%s · page %d", p->footer, p->page);
    colour(p->cr, 0x888888);
    p->unknown += rnd_text(p->cr, line, NULL, 8, MARGIN, PAGE_H - 22);
}

static void new_page(pdf *p)
{
    footer(p);
    cairo_show_page(p->cr);
    p->page++;
    p->y = MARGIN;
}

/* A paragraph at the cursor, wrapped to the page, on a new page when it
 * would not fit. */
static void para(pdf *p, const char *text, double size, uint32_t rgb, double indent)
{
    if (!text || !*text)
        return;
    if (p->y + size * 1.6 > PAGE_H - 40) {
        if (p->fixed) { /* a console page: the page numbers in drill-K.json hold */
            p->dropped++;
            return;
        }
        new_page(p);
    }
    colour(p->cr, rgb);
    double h = rnd_text_wrapped(p->cr, text, size, MARGIN + indent, p->y, PAGE_W - 2 * MARGIN - indent, &p->unknown);
    p->y += h + size * 0.35;
}

static void local_clock(const drl_variant *v, pw_time_ms t, char *buf, size_t n)
{
    long long local = (t + (pw_time_ms)v->s.utc_offset_min * 60000) / 1000;
    long long sod = ((local % 86400) + 86400) % 86400;
    long long rel = (t - v->s.start) / 1000;
    snprintf(buf, n, "%02lld:%02lld:%02lld (T+%02lld:%02lld)", sod / 3600, sod / 60 % 60, sod % 60, rel / 60,
             rel % 60);
}

static int open_pdf(pdf *p, const drl_variant *v, const char *path, const char *footer_text, char *err, size_t n)
{
    memset(p, 0, sizeof *p);
    p->s = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
    if (cairo_surface_status(p->s) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cairo_surface_status(p->s)));
        cairo_surface_destroy(p->s);
        return DRL_ERUN;
    }
    rnd_pdf_dates(p->s, v->s.start);
    p->cr = cairo_create(p->s);
    p->y = MARGIN;
    p->v = v;
    p->footer = footer_text;
    p->page = 1;
    return 0;
}

static int close_pdf(pdf *p, const char *path, char *err, size_t n)
{
    footer(p);
    cairo_show_page(p->cr);
    cairo_destroy(p->cr);
    cairo_surface_finish(p->s);
    cairo_status_t st = cairo_surface_status(p->s);
    cairo_surface_destroy(p->s);
    if (st != CAIRO_STATUS_SUCCESS) {
        remove(path);
        snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(st));
        return DRL_ERUN;
    }
    return 0;
}

static void title_block(pdf *p, const char *what)
{
    const drl_variant *v = p->v;
    char line[400], when[64];
    colour(p->cr, 0x111111);
    snprintf(line, sizeof line, "%s — drill %d", v->s.drill.title, v->k);
    p->unknown += rnd_text(p->cr, line, NULL, 20, MARGIN, p->y);
    p->y += 30;
    local_clock(v, v->s.start, when, sizeof when);
    when[8] = '\0';
    snprintf(line, sizeof line, "%s · level %s · starts %s (UTC%+d:%02d) · %d min", what,
             scn_level_name(v->s.drill.level), when, v->s.utc_offset_min / 60, abs(v->s.utc_offset_min % 60),
             (int)(v->s.duration_ms / 60000));
    para(p, line, 10, 0x555555, 0);
    p->y += 6;
}

/* The cases and their court-ordered rules, the patrols, the desk. */
static void briefing_facts(pdf *p)
{
    const scn_scenario *s = &p->v->s;
    char line[400];
    para(p, "Cases and the rules in force", 13, 0x111111, 0);
    for (size_t i = 0; i < s->n_cases; i++) {
        const scn_case *c = &s->cases[i];
        snprintf(line, sizeof line, "Case %u: %s (offender) and %s (victim). Alarm within %.0f m of her, pre-warning "
                                    "within %.0f m; %zu exclusion zone%s.",
                 c->def.id, s->actors[c->offender].name, s->actors[c->victim].name, c->def.alarm_radius_m,
                 c->def.prewarn_radius_m, c->def.n_zones, c->def.n_zones == 1 ? "" : "s");
        para(p, line, 10.5, 0x222222, 12);
    }
    p->y += 4;
    para(p, "Patrols", 13, 0x111111, 0);
    line[0] = '\0';
    for (size_t a = 0; a < s->n_actors; a++) {
        if (s->actors[a].role != SCN_PATROL)
            continue;
        if (line[0])
            strncat(line, ", ", sizeof line - strlen(line) - 1);
        strncat(line, s->actors[a].name, sizeof line - strlen(line) - 1);
    }
    para(p, line, 10.5, 0x222222, 12);
    snprintf(line, sizeof line, "%d dispatcher%s on shift.", s->dispatch.dispatchers,
             s->dispatch.dispatchers == 1 ? "" : "s");
    para(p, line, 10.5, 0x222222, 12);
}

/* The centre's notices a trainee sees on a page: what happened in the
 * minute before it, as the console tells it (no dispatches: they are the
 * trainee's to make). */
static void notices(pdf *p, pw_time_ms t)
{
    const drl_variant *v = p->v;
    int any = 0, shown = 0;
    char line[300], when[64];
    for (size_t i = 0; i < v->n_timeline; i++) {
        const drl_entry *e = &v->timeline[i];
        if (e->t > t || e->t < t - 60000 || e->inject >= 0 || !strcmp(e->what, "dispatched") ||
            !strcmp(e->what, "on_scene") || !strcmp(e->what, "outage_end"))
            continue;
        if (!any)
            para(p, "Centre notices", 12, 0x111111, 0);
        any++;
        /* what fits under the console: the page never runs over */
        if (p->y > PAGE_H - 60)
            continue;
        local_clock(v, e->t, when, sizeof when);
        snprintf(line, sizeof line, "%s  %s", when, e->text);
        para(p, line, 10, 0x222222, 12);
        shown++;
    }
    if (any > shown) {
        snprintf(line, sizeof line, "... and %d more notice%s of that minute", any - shown, any - shown == 1 ? "" : "s");
        colour(p->cr, 0x555555);
        p->unknown += rnd_text(p->cr, line, NULL, 9, MARGIN + 12, PAGE_H - 48);
    }
}

static int trainee_pdf(const drl_variant *v, const drl_options *o, const rnd_basemap *base, char *err, size_t n)
{
    char path[1200], foot[300];
    snprintf(path, sizeof path, "%s/drill-%d.pdf", o->out_dir, v->k);
    snprintf(foot, sizeof foot, "proxwatch drill %d · trainee", v->k);
    pdf p;
    int rc = open_pdf(&p, v, path, foot, err, n);
    if (rc)
        return rc;
    title_block(&p, "Trainee's pages");
    para(&p, v->s.drill.briefing_ko, 12, 0x111111, 0);
    para(&p, v->s.drill.briefing_en, 10.5, 0x555555, 0);
    p.y += 6;
    briefing_facts(&p);
    p.y += 6;
    para(&p, "Your log", 13, 0x111111, 0);
    const char *a_patrol = "the patrol's name";
    for (size_t a = 0; a < v->s.n_actors; a++)
        if (v->s.actors[a].role == SCN_PATROL) {
            a_patrol = v->s.actors[a].name;
            break;
        }
    char how[700];
    snprintf(how, sizeof how, "Write each action on a line of its own, as JSON: {\"time\": \"08:12:40\", \"action\": "
             "\"dispatch\", \"incident\": 1, \"patrol\": \"%s\"}. Actions: dispatch (an incident and a patrol, by its "
             "name or either part of it), call_victim (an incident or a case), escalate (an incident or a case; neither "
             "for the centre itself).", a_patrol);
    para(&p, how, 10, 0x222222, 12);
    size_t n_pages = v->n_moments;
    for (size_t i = 0; i < n_pages; i++) {
        pw_time_ms t = v->moments[i];
        new_page(&p);
        p.fixed = 1;
        char line[200], when[64];
        local_clock(v, t, when, sizeof when);
        snprintf(line, sizeof line, "Event %zu of %zu — %s", i + 1, n_pages, when);
        colour(p.cr, 0x111111);
        p.unknown += rnd_text(p.cr, line, NULL, 16, MARGIN, p.y);
        p.y += 26;
        /* the console, 800 x 400 drawn at 0.96, lower by 60 for each
         * speaker after the first so that their lines fit under it */
        int speakers = 0;
        for (size_t j = 0; j < v->s.n_injects; j++)
            speakers += v->shown[j] >= t && v->shown[j] <= t + DRL_PAGE_MERGE_MS &&
                        (v->s.injects[j].says_ko[0] || v->s.injects[j].says_en[0]);
        const double cw = 800, ch = speakers > 1 ? fmax(220, 400 - 60.0 * (speakers - 1)) : 400,
                     k = (PAGE_W - 2 * MARGIN) / cw;
        cairo_save(p.cr);
        cairo_translate(p.cr, MARGIN, p.y);
        cairo_scale(p.cr, k, k);
        cairo_rectangle(p.cr, 0, 0, cw, ch);
        cairo_clip(p.cr);
        p.unknown += rnd_draw_console(p.cr, (int)cw, (int)ch, base, &v->run, &v->feed, t);
        cairo_restore(p.cr);
        p.y += ch * k + 10;
        /* what the injects on this page say */
        for (size_t j = 0; j < v->s.n_injects; j++) {
            const scn_inject *in = &v->s.injects[j];
            if (v->shown[j] < t || v->shown[j] > t + DRL_PAGE_MERGE_MS || (!in->says_ko[0] && !in->says_en[0]))
                continue;
            snprintf(line, sizeof line, "%s:", in->who);
            para(&p, line, 11, 0x555555, 0);
            para(&p, in->says_ko, 13, 0x111111, 12);
            para(&p, in->says_en, 10.5, 0x555555, 12);
        }
        notices(&p, t + DRL_PAGE_MERGE_MS);
    }
    rc = close_pdf(&p, path, err, n);
    if (!rc && p.unknown)
        fprintf(stderr, "proxwatch drill: %s: %d characters had no font (install fonts-nanum)\n", path, p.unknown);
    return rc;
}

static int key_pdf(const drl_variant *v, const drl_options *o, const rnd_basemap *base, char *err, size_t n)
{
    char path[1200], foot[300], line[1024], a_when[64], d_when[64];
    snprintf(path, sizeof path, "%s/drill-%d-key.pdf", o->out_dir, v->k);
    snprintf(foot, sizeof foot, "proxwatch drill %d · trainer's key · drill seed %llu, run seed %llu", v->k,
             (unsigned long long)o->seed, (unsigned long long)v->seed);
    pdf p;
    int rc = open_pdf(&p, v, path, foot, err, n);
    if (rc)
        return rc;
    title_block(&p, "Trainer's key");
    if (v->s.drill.trains[0]) {
        snprintf(line, sizeof line, "Trains: %s", v->s.drill.trains);
        para(&p, line, 11, 0x222222, 0);
    }
    para(&p, "Expected actions", 13, 0x111111, 0);
    for (size_t i = 0; i < v->n_actions; i++) {
        const drl_action *a = &v->actions[i];
        char target[48];
        drl_target_text(a->incident, a->case_id, target, sizeof target);
        local_clock(v, a->from, a_when, sizeof a_when);
        local_clock(v, a->due, d_when, sizeof d_when);
        snprintf(line, sizeof line, "%s  %s %s%s%s — from %s, due %s. %s. Rule: %s.", a->id, drl_action_name(a->kind),
                 target, a->kind == DRL_DISPATCH ? ", patrol " : "",
                 a->kind == DRL_DISPATCH ? (a->patrol[0] ? a->patrol : "(none free: the first freed)") : "", a_when,
                 d_when, a->because, a->rule);
        para(&p, line, 9.5, 0x222222, 12);
    }
    p.y += 6;
    para(&p, "The protocol", 13, 0x111111, 0);
    for (size_t i = 0; i < drl_n_protocol; i++)
        para(&p, drl_protocol[i], 9.5, 0x222222, 12);
    p.y += 6;
    para(&p, "False alerts", 13, 0x111111, 0);
    int any = 0;
    for (size_t i = 0; i < v->run.n_alerts; i++) {
        const rnd_alert *a = &v->run.alerts[i];
        if (a->is_true)
            continue;
        any = 1;
        local_clock(v, a->start, a_when, sizeof a_when);
        snprintf(line, sizeof line, "Case %d at %s: false (%s): %s.", a->case_id, a_when, a->cause, drl_cause_why(a->cause));
        para(&p, line, 9.5, 0x222222, 12);
    }
    if (!any)
        para(&p, "None: every alert of this drill overlapped a true breach.", 9.5, 0x222222, 12);
    p.y += 6;
    para(&p, "Injects", 13, 0x111111, 0);
    for (size_t i = 0; i < v->s.n_injects; i++) {
        const scn_inject *in = &v->s.injects[i];
        local_clock(v, v->shown[i], a_when, sizeof a_when);
        snprintf(line, sizeof line, "%s (%s, level %s): shown %s", in->name, scn_inject_name(in->kind),
                 scn_level_name(in->level), a_when);
        para(&p, line, 9.5, 0x222222, 12);
    }
    new_page(&p);
    para(&p, "Timeline", 13, 0x111111, 0);
    for (size_t i = 0; i < v->n_timeline; i++) {
        const drl_entry *e = &v->timeline[i];
        local_clock(v, e->t, a_when, sizeof a_when);
        snprintf(line, sizeof line, "%s  %s", a_when, e->text);
        para(&p, line, 9, e->inject >= 0 ? 0xB00020 : 0x222222, 0);
    }
    /* the ground truth */
    new_page(&p);
    para(&p, "Ground truth: true tracks, fixes, alerts (false in orange), patrols", 13, 0x111111, 0);
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    mo.width = (int)(PAGE_W - 2 * MARGIN);
    mo.height = (int)(PAGE_H - p.y - 40);
    rnd_view view;
    if (rnd_map_view(&view, &v->run, &mo) == RND_OK) {
        cairo_save(p.cr);
        cairo_translate(p.cr, MARGIN, p.y);
        cairo_rectangle(p.cr, 0, 0, mo.width, mo.height);
        cairo_clip(p.cr);
        p.unknown += rnd_draw_map(p.cr, &view, base, &v->run);
        cairo_restore(p.cr);
    }
    return close_pdf(&p, path, err, n);
}

int drl_write_pdfs(const drl_variant *v, const drl_options *o, const rnd_basemap *base, char *err, size_t n)
{
    int rc = trainee_pdf(v, o, base, err, n);
    return rc ? rc : key_pdf(v, o, base, err, n);
}
