/*
 * cmd_drill.c - proxwatch drill (variants of a drill template) and
 * proxwatch drill score (trainees' action logs against a drill's key).
 */
#include "cli.h"
#include "drill.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

static int drill_score(int argc, char **argv)
{
    int json = 0;
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "h", longopts)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'h')
            return cli_print_help(stdout, "drill");
        else
            return cli_bad_option("drill", c, argv);
    }
    if (argc - optind < 2)
        return cli_usage_error("drill", "drill score DRILL.json ACTIONS.jsonl [ACTIONS.jsonl ...]");
    const char *drill = argv[optind];
    size_t n = (size_t)(argc - optind - 1);
    drl_score *scores = calloc(n, sizeof *scores);
    if (!scores) {
        fprintf(stderr, "proxwatch drill: out of memory\n");
        return 1;
    }
    char err[1024];
    int rc = 0;
    size_t done = 0;
    /* A log that cannot be read is said and left out; the others are scored. */
    for (size_t i = 0; i < n; i++) {
        if (drl_score_file(&scores[done], drill, argv[optind + 1 + i], err, sizeof err) != 0) {
            fprintf(stderr, "proxwatch drill score: %s\n", err);
            rc = 2;
            continue;
        }
        done++;
    }
    n = done;
    if (n > 0) {
        if (json) {
            if (drl_score_write_json(stdout, scores, n) != 0 && rc == 0)
                rc = 1;
        } else {
            for (size_t i = 0; i < n; i++) {
                drl_score_print(stdout, &scores[i]);
                if (i + 1 < n)
                    fputc('\n', stdout);
            }
            if (n > 1) {
                fputc('\n', stdout);
                drl_score_print_table(stdout, scores, n);
            }
        }
    }
    for (size_t i = 0; i < done; i++)
        drl_score_free(&scores[i]);
    free(scores);
    return rc;
}

int cli_drill(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "score"))
        return drill_score(argc - 1, argv + 1);
    drl_options o;
    drl_options_default(&o);
    o.out_dir = "drills";
    o.progress = 1;
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'},      {"seed", required_argument, NULL, 's'},
        {"difficulty", required_argument, NULL, 'd'}, {"out", required_argument, NULL, 'o'},
        {"no-pictures", no_argument, NULL, 'P'},      {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "o:h", longopts)) != -1) {
        uint64_t v;
        if (c == 'n') {
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > DRL_MAX_COUNT)
                return cli_usage_error("drill", "--count '%s': 1 to %d variants", optarg, DRL_MAX_COUNT);
            o.count = (int)v;
        } else if (c == 's') {
            if (!cli_parse_u64(optarg, &v))
                return cli_usage_error("drill", "--seed '%s': a whole number", optarg);
            o.seed = v;
        } else if (c == 'd') {
            o.level = scn_level_parse(optarg);
            if (!o.level)
                return cli_usage_error("drill", "--difficulty '%s': easy, normal or hard", optarg);
        } else if (c == 'o') {
            o.out_dir = optarg;
        } else if (c == 'P') {
            o.pictures = 0;
        } else if (c == 'q') {
            o.progress = 0;
        } else if (c == 'h') {
            return cli_print_help(stdout, "drill");
        } else {
            return cli_bad_option("drill", c, argv);
        }
    }
    if (cli_one_operand("drill", "template", argc, argv, &o.template_path) != 0)
        return 2;
    if (!o.template_path)
        return cli_usage_error("drill", "give a drill template (scenarios/drills/*.lua)");
    if (!cli_out_path_ok("drill", o.out_dir))
        return 2;
    char err[1024];
    int rc = drl_generate(&o, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "proxwatch drill: %s\n", err);
        return rc == DRL_EINVAL ? 2 : 1;
    }
    if (o.pictures)
        printf("written %d drill%s into %s (drill-K.pdf for trainees, drill-K-key.pdf for trainers, drill-K.json)\n",
               o.count, o.count == 1 ? "" : "s", o.out_dir);
    else
        printf("written %d drill%s into %s (drill-K.json, no PDFs)\n", o.count, o.count == 1 ? "" : "s", o.out_dir);
    return 0;
}
