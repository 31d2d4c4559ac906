/*
 * cli.h - what the command's files share (prefix cli_): option parsing
 * helpers, usage errors, output folders, exit statuses.  One file per
 * group of commands: proxwatch.c (main, help, version and these helpers),
 * cmd_run.c, cmd_sweep.c, cmd_traces.c (decode and replay), cmd_live.c,
 * cmd_render.c, cmd_drill.c, cmd_serve.c (serve and loadgen).
 *
 * Exit status: 0 done, 1 failed while running (for run: also when an
 * expectation of the scenario's expect { } did not hold), 2 bad input or
 * usage.  Chosen here only (cli_exit_status maps the modules' statuses).
 *
 * May include: every module's public header, libc (POSIX).
 */
#ifndef PW_CLI_H
#define PW_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* getopt_long over a command's own argv (argv[0] is the command's name):
 * --opt value and --opt=value both work, options and operands may mix,
 * and errors come back as '?' (unknown) or ':' (a value missing) for
 * cli_bad_option to word. */
int cli_next_option(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* After the options: the command's one operand (a scenario, a trace)
 * into *path when given (else *path is left); two or more are a usage
 * error, said, with exit status 2. */
int cli_one_operand(const char *cmd, const char *what, int argc, char **argv, const char **path);
/* 1 when an --out path fits the internal buffers, else a usage error
 * printed and 0. */
int cli_out_path_ok(const char *cmd, const char *path);
/* A scenario's name as a folder name: "Gangnam morning" -> "gangnam-morning". */
void cli_slug(const char *name, char *out, size_t n);
/* A whole decimal number (a seed, a count): 1 parsed, 0 not. */
int cli_parse_u64(const char *s, uint64_t *out);
/* The exit status for a module's status (sim.h, sim_status): the user's
 * input is 2, any other failure 1. */
int cli_exit_status(int st);
/* Stage the output folder (record.h).  A folder holding files proxwatch
 * did not write is bad input (2); other failures are 1.  0 when staged. */
int cli_stage_out(const char *cmd, const char *dir, char *stage, size_t n);
/* After the work ran into stage (its status rc): the stage becomes dir
 * when rc is 0, else, or when that fails, it is removed.  rc, or SIM_ERUN
 * with the reason in msg. */
int cli_publish(int rc, const char *stage, const char *dir, char *msg, size_t n);
/* The default output folder's parent, runs/; 0, or -1 with the reason said. */
int cli_make_runs_dir(const char *cmd);
/* That command's help (NULL: the overview) on `to`; exit status 0. */
int cli_print_help(FILE *to, const char *cmd);
/* One line naming the problem and "try 'proxwatch CMD --help'"; exit 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error for what getopt returned (c '?' or ':'). */
int cli_bad_option(const char *cmd, int c, char **argv);

/* The commands: argv[0] is the command's name.  An exit status. */
int cli_run(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_decode(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_live(int argc, char **argv);
int cli_render(int argc, char **argv);
int cli_drill(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_loadgen(int argc, char **argv);
/* DIR/map.png and DIR/report.pdf from the run records in DIR
 * (cmd_render.c): 0, or a sim status with err saying why. */
int cli_write_pictures(const char *dir, char *err, size_t n);

#endif /* PW_CLI_H */
