/*
 * proxwatch - the command line: main, the commands' help texts, usage
 * errors, --version, and the helpers every command shares (cli.h).
 * Sub-commands parse their options and call the modules; nothing else
 * happens here.
 *
 * Exit status: 0 done, 1 failed while running (for run: also when an
 * expectation of the scenario's expect { } did not hold), 2 bad input or
 * usage.
 */
#include "cli.h"
#include "traces.h"
#include "record.h"
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* getopt_long over a command's own argv (argv[0] is the command's name):
 * --opt value and --opt=value both work, options and operands may mix,
 * and errors come back as '?' (unknown) or ':' (a value missing) for
 * cli_bad_option to word. */
int cli_next_option(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    char spec[32];
    snprintf(spec, sizeof spec, ":%s", shortopts);
    opterr = 0;
    return getopt_long(argc, argv, spec, longopts, NULL);
}

int cli_one_operand(const char *cmd, const char *what, int argc, char **argv, const char **path)
{
    if (argc - optind > 1)
        return cli_usage_error(cmd, "one %s at a time ('%s' and '%s')", what, argv[optind], argv[optind + 1]);
    if (optind < argc)
        *path = argv[optind];
    return 0;
}

/* Output folders are used with file names appended in fixed buffers: a
 * longer path is an error, not a silently cut one. */
#define PW_MAX_OUT_PATH 400

int cli_out_path_ok(const char *cmd, const char *path)
{
    if (strlen(path) > PW_MAX_OUT_PATH) {
        fprintf(stderr, "proxwatch %s: --out: the path is longer than %d characters\n", cmd, PW_MAX_OUT_PATH);
        return 0;
    }
    if (!path[0]) {
        fprintf(stderr, "proxwatch %s: --out: an empty path\n", cmd);
        return 0;
    }
    return 1;
}

/* "Gangnam morning" -> "gangnam-morning" (ASCII letters and digits). */
void cli_slug(const char *name, char *out, size_t n)
{
    size_t k = 0;
    int dash = 0;
    for (const char *p = name; *p && k + 2 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 128) {
            if (dash && k > 0)
                out[k++] = '-';
            out[k++] = (char)tolower(c);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    if (k == 0)
        k = (size_t)snprintf(out, n, "scenario");
    out[k] = '\0';
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || !isdigit((unsigned char)s[0]))
        return 0; /* digits only: strtoull would take " -1" as 2^64 - 1 */
    *out = v;
    return 1;
}

/* The exit status for a module's status (sim.h, sim_status): the user's
 * input is 2, any other failure 1.  Exit statuses are chosen here only. */
int cli_exit_status(int st)
{
    return st == SIM_OK ? 0 : st == SIM_EINVAL ? 2 : 1;
}

/* Stage the output folder (record.h).  A folder holding files proxwatch
 * did not write is bad input (2); other failures are 1.  0 when staged. */
int cli_stage_out(const char *cmd, const char *dir, char *stage, size_t n)
{
    char err[1024];
    if (rec_dir_replaceable(dir, err, sizeof err) != 0) {
        fprintf(stderr, "proxwatch %s: %s\n", cmd, err);
        return 2;
    }
    if (rec_stage_dir(dir, stage, n, err, sizeof err) != 0) {
        fprintf(stderr, "proxwatch %s: %s\n", cmd, err);
        return 1;
    }
    return 0;
}

int cli_publish(int rc, const char *stage, const char *dir, char *msg, size_t n)
{
    if (rc == 0 && rec_publish_dir(stage, dir, msg, n) != 0)
        rc = SIM_ERUN;
    if (rc != 0)
        rec_remove_tree(stage);
    return rc;
}

/* The default output folder's parent; an error says why it cannot be made. */
int cli_make_runs_dir(const char *cmd)
{
    if (mkdir("runs", 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "proxwatch %s: cannot create the folder 'runs': %s\n", cmd, strerror(errno));
    return -1;
}

/* ---- help, usage errors, version ----------------------------------- */

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis;
    const char *summary;
    const char *help;
} command;

static const command commands[] = {
    {"run", cli_run,
     "proxwatch run [SCENARIO.lua] [--seed N] [--set NAME=VALUE ...] [--out DIR] [--gpkg]\n"
     "              [--compress] [--no-pictures] [--quiet]",
     "run a scenario through the monitoring engine and report",
     "Runs a scenario (the bundled default when none is given) through the\n"
     "monitoring engine and writes report.json, run.geojson, events.jsonl,\n"
     "fixes.csv, truth.csv, latencies.csv, incidents.csv, summary.json, map.png\n"
     "and report.pdf into DIR (default\n"
     "runs/<scenario>-<seed>/), published whole at the end: a run that fails\n"
     "leaves an earlier one in DIR as it was.  The scenario's expect { } is\n"
     "checked after the run: one line per expectation, and exit status 1 when\n"
     "any is NOT held.\n"
     "\n"
     "  --seed N            the random seed (a whole number from 1; default the\n"
     "                      scenario's own)\n"
     "  --set NAME=VALUE    a param() of the scenario, or a rule or device\n"
     "                      parameter (proxwatch sweep --list-params); repeatable\n"
     "  --out DIR           where to write (at most 400 characters)\n"
     "  --gpkg              also write run.gpkg, an OGC GeoPackage for QGIS and\n"
     "                      GDAL (layers fixes, tracks, zones, episodes, events)\n"
     "  --compress          a compact record for big runs: fixes.csv.gz and\n"
     "                      events.jsonl.gz (gzip: zcat, pandas, and QGIS through\n"
     "                      /vsigzip/ read them), and run.geojson without the\n"
     "                      fixes (fixes.csv.gz has them): a national day in\n"
     "                      0.45 GB, not 4.7\n"
     "  --no-pictures       no map.png or report.pdf (proxwatch render draws them)\n"
     "  --quiet             no progress line\n"
     "\n"
     "Example: proxwatch run scenarios/school_zone.lua --seed 3 --set alarm_radius=300\n"},
    {"sweep", cli_sweep,
     "proxwatch sweep SCENARIO.lua --set NAME=V1,V2,... [--set ...] [--seeds N] [--jobs N]\n"
     "                [--run-timeout SECONDS] [--out DIR] [--resume] [--mpi] [--no-pictures]\n"
     "                [--list-params]",
     "run a grid of parameters over many seeds",
     "Runs every combination of the --set values, each with seeds 1..N, in\n"
     "worker processes, and writes sweep.csv (one row per run), sweep.json\n"
     "(per combination: the mean and 95 % interval of each figure) and\n"
     "sweep.pdf (its plots, see proxwatch render --view sweep) into DIR\n"
     "(default runs/sweep-<scenario>/).  A failed run is reported and marked;\n"
     "the others are kept.  While it runs, DIR/sweep.partial.csv holds the runs\n"
     "done so far (every 2 s): a sweep cut short goes on with --resume.  On a\n"
     "cluster, under mpirun with --mpi, the runs spread over the ranks (largest\n"
     "first) and rank 0 writes the same files as one machine would.\n"
     "\n"
     "  --set NAME=V1,V2,.. the values of one parameter; repeatable, each name once\n"
     "  --seeds N           seeds 1..N for each combination (default 10)\n"
     "  --jobs N, -j N      worker processes at once (default: the cores; with\n"
     "                      --mpi, per rank, default 1)\n"
     "  --run-timeout S     stop a run still going after S seconds and mark it\n"
     "                      failed (default 600)\n"
     "  --out DIR           where to write\n"
     "  --no-pictures       no sweep.pdf\n"
     "  --resume            runs with an ok row in DIR/sweep.csv or\n"
     "                      DIR/sweep.partial.csv are not run again (DIR/sweep.id\n"
     "                      must show the same scenario file and parameter names)\n"
     "  --mpi               under mpirun: spread the runs over the MPI ranks\n"
     "  --list-params       the parameters every scenario has, and exit\n"
     "\n"
     "Example: proxwatch sweep scenarios/regional_day.lua --set alarm_radius=300,500 --seeds 20\n"
     "         mpirun --hostfile hosts -n 64 proxwatch sweep day.lua --set alarm_radius=300,500 --mpi\n"},
    {"decode", cli_decode,
     "proxwatch decode [TRACE | -] [--format nmea|gpsd|csv] [--date YYYY-MM-DD]\n"
     "                 [--rollover N] [--stats]",
     "print a field trace's fixes as JSON lines",
     "Reads a field trace (NMEA 0183, gpsd JSON as written by gpspipe -w, both\n"
     "mixed in one file as gpspipe -w -r writes them, or CSV of\n"
     "time,lat,lon[,acc_m]) and prints one JSON object per fix, as gpsd's\n"
     "gpsdecode does; bad lines are skipped with a warning naming the file and\n"
     "line.  Without TRACE, or with -, it reads standard input.  In a mixed\n"
     "file each line is read as what it is, and the kind that gives the first\n"
     "fix gives them all (each epoch is there twice); the summary on stderr\n"
     "says how many lines were read as which.\n"
     "\n"
     "  --format F          nmea, gpsd or csv (default: found from the content,\n"
     "                      line by line for NMEA and gpsd JSON)\n"
     "  --date YYYY-MM-DD   the day of NMEA epochs before the first date (a log\n"
     "                      of GGA without RMC has none); without it they are\n"
     "                      dropped and said, with the log's # Date: as a hint\n"
     "  --rollover N        add N x 1024 weeks to every fix: a receiver with the\n"
     "                      GPS week-rollover bug dates 2026 as 2006 (default 0:\n"
     "                      the receiver's own date, as gpsd reports it); a\n"
     "                      --date day too: give it as the receiver would\n"
     "  --stats             say what the lines came to, reason by reason (always\n"
     "                      said when the trace gives no fix)\n"
     "\n"
     "Example: gpspipe -w -r -n 100 | proxwatch decode\n"},
    {"replay", cli_replay,
     "proxwatch replay --offender TRACE [--victim TRACE | --victim-at LAT,LON]\n"
     "                 [--truth-offender REF] [--truth-victim REF] [--alarm-radius M]\n"
     "                 [--no-checksum] [--date YYYY-MM-DD] [--rollover N]\n"
     "                 [--relocate LAT,LON] [--force] [--no-pictures] [--out DIR]",
     "run recorded traces through the engine",
     "Runs field traces (NMEA, gpsd JSON or CSV, in any mix) through the engine\n"
     "in the given roles and writes events.jsonl, report.json, run.geojson,\n"
     "latencies.csv, incidents.csv, map.png and report.pdf into DIR\n"
     "(default runs/replay/); with reference trajectories the breach and alert\n"
     "figures are measured against them.  Fixes whose times lie more than 6 h\n"
     "from the rest of their trace are dropped and counted.  A reference is\n"
     "kept epoch by epoch, whatever quality its receiver wrote.\n"
     "\n"
     "  --offender TRACE    the tag's trace (required)\n"
     "  --victim TRACE      the phone's trace, or\n"
     "  --victim-at LAT,LON a victim standing still there\n"
     "  --truth-offender REF, --truth-victim REF   reference trajectories\n"
     "  --no-checksum       read a reference's sentences despite a wrong\n"
     "                      checksum (some survey exports write wrong ones;\n"
     "                      a really corrupted one would enter the truth)\n"
     "  --alarm-radius M    the case's alarm radius (default 500)\n"
     "  --date YYYY-MM-DD   the day of NMEA epochs before the first date, in\n"
     "                      every trace (a reference of GGA only has none)\n"
     "  --rollover N        add N x 1024 weeks to every fix of every trace (a\n"
     "                      receiver with the GPS week-rollover bug), a --date\n"
     "                      day included\n"
     "  --relocate LAT,LON  move every trace rigidly (each keeps its own noise\n"
     "                      and motion), the offender's first fix to LAT,LON;\n"
     "                      --victim-at is given where it was recorded\n"
     "  --force             replay a span longer than 7 days\n"
     "  --no-pictures       no map.png or report.pdf\n"
     "  --out DIR           where to write\n"
     "\n"
     "Example: proxwatch replay --offender tag.nmea --victim-at 37.5665,126.978\n"},
    {"live", cli_live,
     "proxwatch live --gpsd HOST:PORT --as offender|victim [SCENARIO.lua] [--speed X]\n"
     "               [--relocate WHERE] [--any-date] [--gpkg] [--quiet] [--out DIR]",
     "a real receiver as one actor of a simulated city",
     "A real receiver served by gpsd becomes one actor of the scenario (the\n"
     "first offender or victim) while the rest is simulated in real time; it\n"
     "prints the alerts as they happen, ends at the scenario's end or on\n"
     "Ctrl-C, and writes the outputs of run (default runs/live/).  Receiver\n"
     "fixes dated before 2020 or more than 24 h from this machine's clock are\n"
     "ignored and counted.  The first receiver fix farther from the scenario's\n"
     "origin than the engine watches (100 km), after --relocate's move if\n"
     "given, is said once, with the distance.\n"
     "\n"
     "  --gpsd HOST:PORT    the gpsd to read (required)\n"
     "  --as ROLE           offender or victim (required)\n"
     "  --speed X           simulate X times faster than real time (at most 1000)\n"
     "  --relocate WHERE    move the receiver's track rigidly (it keeps its own\n"
     "                      noise and motion), its first fix to WHERE: start\n"
     "                      (its actor's start), origin (the scenario's), an\n"
     "                      actor's name (that actor's start) or LAT,LON\n"
     "  --any-date          take fixes of any date (a recorded log through gpsfake)\n"
     "  --quiet             no alert lines\n"
     "  --gpkg              also write run.gpkg (as run --gpkg)\n"
     "  --out DIR           where to write\n"
     "\n"
     "Example: proxwatch live --gpsd localhost:2947 --as offender scenarios/default.lua\n"},
    {"serve", cli_serve,
     "proxwatch serve --db FILE [--listen HOST:PORT] [--http HOST:PORT | --no-console]\n"
     "                [--config SCENARIO.lua] [--set NAME=VALUE ...] [--keys FILE]\n"
     "                [--durability full|normal] [--max-connections N] [--idle-timeout S] [--quiet]",
     "the live monitoring centre: the device gateway, the engine and the store",
     "Listens for ankle tags and victims' phones (the device protocol of\n"
     "service/PROTOCOL.md: frames authenticated with each device's own key and\n"
     "numbered against replay), judges their reports with the engine and keeps\n"
     "them in the store, a SQLite file in WAL mode; a report is acknowledged\n"
     "only once it is on disk.  On start the engine is rebuilt from the store.\n"
     "The devices and cases are the configuration scenario's offenders,\n"
     "victims and cases.  A victim's phone gets, on its own connection, the\n"
     "alerts of her cases and, only while her reveal window is open, the\n"
     "offender's position (each written to the audit log first).  Logs are\n"
     "JSON lines on standard error; Ctrl-C or SIGTERM stops it.\n"
     "The 112 console is a page for a browser (--http, default\n"
     "http://127.0.0.1:7780/): the open incidents with both pins on a map of\n"
     "Seoul, the nearest patrols, and the dispatcher's acknowledge, dispatch\n"
     "and close; closing (the case officer's) purges the incident's precise\n"
     "positions from the store.\n"
     "\n"
     "  --db FILE           the store, made when missing (required)\n"
     "  --listen HOST:PORT  where devices connect, a numeric address\n"
     "                      (default 127.0.0.1:7700; port 0: any free one)\n"
     "  --http HOST:PORT    where the 112 console's page is served (default\n"
     "                      127.0.0.1:7780; it has no login: keep it local)\n"
     "  --no-console        no 112 console\n"
     "  --config FILE       the scenario whose offenders, victims and cases are\n"
     "                      served (default: the bundled default scenario)\n"
     "  --set NAME=VALUE    a param() of that scenario; repeatable\n"
     "  --keys FILE         the master key (32 bytes) each device's key derives\n"
     "                      from; made, readable by its owner only, when missing\n"
     "                      (default FILE.key beside the store)\n"
     "  --durability full|normal\n"
     "                      full (default): a commit survives a power cut;\n"
     "                      normal: a crash of the process only\n"
     "  --max-connections N more are closed at once (default 20000), and so are\n"
     "                      connections beyond a quarter of it that have not\n"
     "                      yet shown a device's key\n"
     "  --idle-timeout S    a connection that shows no device's key within S\n"
     "                      seconds is closed, and so is one that has not read\n"
     "                      its acknowledgements for S seconds (its reports are\n"
     "                      not read meanwhile; default 10)\n"
     "  --quiet             no stats line every 10 s\n"
     "\n"
     "Example: proxwatch serve --db centre.db --listen 127.0.0.1:7700\n"},
    {"loadgen", cli_loadgen,
     "proxwatch loadgen --connect HOST:PORT [--devices N] [--rate R] [--seconds S]\n"
     "                  [--config SCENARIO.lua] [--set NAME=VALUE ...] [--keys FILE] [--db FILE]\n"
     "                  [--spread M] [--seed N] [--quiet]",
     "emulated tags and phones against a running centre",
     "Connects N of the configuration scenario's devices (its offenders and\n"
     "victims, in order) to proxwatch serve and sends R position reports a\n"
     "second in all for S seconds, each device walking from a random place in\n"
     "the city with open-sky GNSS noise; a dropped connection is made again and\n"
     "what it left unacknowledged is sent again.  It prints the reports sent\n"
     "and acknowledged and, as its last line, a JSON summary: sent, acked,\n"
     "lost (acknowledged reports missing from the store; null without --db),\n"
     "reports_per_s (acknowledged) and latency_ms p50 and p99 (sent to\n"
     "acknowledged, that is, to durably stored).  Exit status 1 when any\n"
     "acknowledged report was lost.\n"
     "\n"
     "  --connect HOST:PORT where serve listens (required)\n"
     "  --devices N         how many of the scenario's devices (default: all)\n"
     "  --rate R            reports a second in all (default 100)\n"
     "  --seconds S         how long (default 10)\n"
     "  --config FILE       the scenario serve was given (default the bundled one)\n"
     "  --set NAME=VALUE    as serve's; repeatable\n"
     "  --keys FILE         serve's master key (default FILE.key of --db)\n"
     "  --db FILE           serve's store, read at the end to look for each\n"
     "                      acknowledged report\n"
     "  --spread M          the walks start within M metres of the scenario's\n"
     "                      origin, east and north (default 5000; a few hundred\n"
     "                      bring offenders near victims: alarms, reveals)\n"
     "  --seed N            the walks' random seed (default 1)\n"
     "  --quiet             no progress line\n"
     "\n"
     "Example: proxwatch loadgen --connect 127.0.0.1:7700 --db centre.db --devices 2 --rate 20\n"},
    {"render", cli_render,
     "proxwatch render DIR [--view map|victim|console|report|sweep] [--out FILE] [--bbox S,W,N,E]\n"
     "                 [--zoom Z] [--size WxH] [--at TIME] [--case ID] [--frames STEP]",
     "draw a run: the map, the victim's phone or the 112 console at a time, the report",
     "Draws a run folder written by run, replay or live.  The map: Seoul's\n"
     "districts, major streets and subway lines under the run's zones, each\n"
     "actor's true track, the fixes the centre received (cell and Wi-Fi fixes\n"
     "with their accuracy) and where alerts opened, true and false, with a\n"
     "scale bar, a north arrow, a legend, a title and the attribution of\n"
     "every source drawn; PNG, SVG or PDF by FILE's extension (default\n"
     "RUN_DIR/map.png).  The victim's phone at TIME (a portrait PNG, default\n"
     "RUN_DIR/victim.png): her position and alarm radius, and the offender's\n"
     "pin with its accuracy and heading only while a reveal window of hers is\n"
     "open, a banner in Korean and English, and a mark naming the case, the\n"
     "time and the disclosure record shown.  The report (report.pdf): the\n"
     "headline figures and the map, then the latencies' CDFs, alerts over time\n"
     "and the 112 desk over time.  The 112 console at TIME (console.png): both\n"
     "pins of every open incident, the patrols by state (free, en route, on\n"
     "scene) and the incident queue with waiting times.  A sweep folder's plots\n"
     "(--view sweep, sweep.pdf): six figures against the swept parameter with\n"
     "their 95 % intervals, and false alerts per offender-day against missed\n"
     "breaches, a point per combination.\n"
     "\n"
     "  --view VIEW         map (default), victim, console, report, or sweep for a\n"
     "                      sweep's folder\n"
     "  --out FILE, -o FILE where (map: .png, .svg or .pdf; victim and console:\n"
     "                      .png; report and sweep: .pdf)\n"
     "  --bbox S,W,N,E      map: show this box (degrees) instead of the run's extent\n"
     "  --zoom Z            map: scale the view by Z (0.01 to 100)\n"
     "  --size WxH          picture size in pixels (map 1200x900, victim 390x844,\n"
     "                      console 1280x800)\n"
     "  --at TIME           victim, console: seconds from the start, or an ISO-8601\n"
     "                      time with Z or an offset like +09:00 (default: her\n"
     "                      first reveal window's opening; the first incident's);\n"
     "                      outside the run is an error\n"
     "  --case ID           victim: the case (default: the first with a victim)\n"
     "  --frames STEP       victim, console: a frame every STEP seconds of the run,\n"
     "                      FILE numbered (victim-0000.png, ...), for an animation\n"
     "\n"
     "Example: proxwatch render runs/gangnam-morning-1 --view victim --at 2000\n"},
    {"drill", cli_drill,
     "proxwatch drill TEMPLATE.lua --count N [--seed S] [--difficulty easy|normal|hard] --out DIR\n"
     "       proxwatch drill score DRILL.json ACTIONS.jsonl [ACTIONS.jsonl ...] [--json]",
     "make dispatcher drills from a template, and score trainees' action logs",
     "Makes N variants of a drill template (a scenario with drill { }, ranges and\n"
     "inject { }s: scenarios/drills/README.md).  Each variant draws its ranges,\n"
     "runs through the engine, and is drawn again when an inject did not show on\n"
     "the console (a canyon that gave no false alert).  Into DIR, for drill K:\n"
     "  drill-K.pdf      for the trainee: a briefing page, then a page per inject\n"
     "                   with the 112 console at that moment and what the caller\n"
     "                   says; no answers\n"
     "  drill-K-key.pdf  for the trainer: expected actions with deadlines, the\n"
     "                   false alerts and why, the timeline, the ground-truth map\n"
     "  drill-K.json     all of it, the key included (schema_version 1)\n"
     "  drill-K/         the run's records (proxwatch render draws them)\n"
     "The same template, seed and difficulty give the same files.\n"
     "\n"
     "  --count N           variants (1 to 1000; default 1)\n"
     "  --seed S            the drill's seed (default 1)\n"
     "  --difficulty LEVEL  easy, normal (default) or hard: which injects appear,\n"
     "                      and whatever the template scales with by_level { }\n"
     "  --out DIR, -o DIR   where to write (default drills/)\n"
     "  --no-pictures       the JSON only\n"
     "  --quiet             no progress lines\n"
     "\n"
     "drill score: a trainee's actions (one JSON object a line: \"t\" seconds after\n"
     "the start or \"time\" \"HH:MM:SS\", \"action\" dispatch, call_victim or\n"
     "escalate, \"incident\", \"case\", \"patrol\") against the key: each expected\n"
     "action on time (10 points), late (5, by how much), with another patrol (5,\n"
     "how much farther), or missed (0); a dispatch to a false alert costs 3.  With\n"
     "several logs, a table a trainee.  --json prints the scores as JSON.\n"
     "\n"
     "Example: proxwatch drill scenarios/drills/subway_rush.lua --count 3 --out drills\n"
     "         proxwatch drill score drills/drill-1.json alice.jsonl bob.jsonl\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_overview(FILE *to)
{
    fputs("usage: proxwatch COMMAND [OPTIONS]\n\n", to);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'proxwatch help COMMAND' or 'proxwatch COMMAND --help' tells more;\n"
          "'proxwatch --version' the versions.  Exit status: 0 done, 1 failed while\n"
          "running (run: also an expectation NOT held), 2 bad input or usage.\n"
          "The manual: man proxwatch (docs/proxwatch.1).\n",
          to);
}

int cli_print_help(FILE *to, const char *cmd)
{
    const command *c = find_command(cmd);
    if (!c)
        return cli_usage_error("help", "no command '%s' (run, sweep, decode, replay, live)", cmd);
    fprintf(to, "usage: %s\n\n%s", c->synopsis, c->help);
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, cmd[0] ? "proxwatch %s: " : "proxwatch: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (find_command(cmd))
        fprintf(stderr, "; try 'proxwatch %s --help'\n", cmd);
    else
        fputs("; try 'proxwatch --help'\n", stderr);
    return 2;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
    const char *opt = argv[optind - 1];
    if (c == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", opt);
    if (!strncmp(opt, "--", 2)) {
        /* getopt_long sets optopt for a long option given a value it does
         * not take (--quiet=1); an unknown or ambiguous one leaves it 0. */
        if (optopt && strchr(opt, '='))
            return cli_usage_error(cmd, "option '%.*s' takes no value", (int)(strchr(opt, '=') - opt), opt);
        return cli_usage_error(cmd, "unknown or ambiguous option '%s'", opt);
    }
    if (optopt && optopt != '?')
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", opt);
}

static void print_version(void)
{
    printf("proxwatch %s (Lua %s, libgps API %s, libuv %s)\n", PW_VERSION, scn_lua_release(),
           trc_libgps_api(), sim_libuv_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        print_version();
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2)
            return cli_print_help(stdout, argv[2]);
        print_overview(stdout);
        return 0;
    }
    const command *c = find_command(cmd);
    if (!c)
        return cli_usage_error("", "unknown command '%s' (run, sweep, decode, replay, live)", cmd);
    return c->fn(argc - 1, argv + 1);
}

