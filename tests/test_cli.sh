#!/bin/sh
# test_cli.sh PROXWATCH SOURCE_DIR [BUILD_DIR] - the command line: each bad
# option is a clear error with exit status 2 and a message naming it.
# Runs in its own folder under the build tree; prints one line per check
# and the plain summary line ctest and CI read.
pw=$1
src=$2
passed=0
failed=0
check() { # check NAME EXPECTED_STATUS PATTERN -- ARGS...
    name=$1 want=$2 pattern=$3
    shift 4
    out=$("$pw" "$@" 2>&1)
    got=$?
    if [ "$got" -eq "$want" ] && printf '%s' "$out" | grep -q -- "$pattern"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: status $got (want $want), output: $out"
        failed=$((failed + 1))
    fi
}
trace=$src/tests/data/gpsd/haicom-305N.log
long=$(printf 'd%.0s' $(seq 1 420))
check "replay --victim-at ,127"        2 "victim-at" -- replay --offender "$trace" --victim-at ,127
check "replay --victim-at nan,nan"     2 "victim-at" -- replay --offender "$trace" --victim-at nan,nan
check "replay --victim-at 37.5,"       2 "victim-at" -- replay --offender "$trace" --victim-at 37.5,
check "replay --alarm-radius inf"      2 "alarm-radius" -- replay --offender "$trace" --victim-at -27.21,153.05 --alarm-radius inf
check "replay --alarm-radius nan"      2 "alarm-radius" -- replay --offender "$trace" --victim-at -27.21,153.05 --alarm-radius nan
check "replay --out too long"          2 "longer than" -- replay --offender "$trace" --victim-at -27.21,153.05 --out "$long"
check "run --seed 0"                   2 "from 1" -- run --seed 0 --out pw_cli_run
check "run --seed x"                   2 "whole number" -- run --seed x --out pw_cli_run
check "run --out too long"             2 "longer than" -- run --out "$long"
check "sweep --set twice"              2 "given twice" -- sweep "$src/scenarios/default.lua" --set alarm_radius=300 --set alarm_radius=500 --out pw_cli_sweep
check "run --set an unknown name"      2 "unknown parameter 'nosuch'" -- run "$src/scenarios/default.lua" --set nosuch=3 --out pw_cli_set
check "run --set NAME=x"               2 "NAME=NUMBER" -- run "$src/scenarios/default.lua" --set alarm_radius=x --out pw_cli_set
check "run --set alarm_radius=300"     0 "expect" -- run "$src/scenarios/default.lua" --set alarm_radius=300 --out pw_cli_set
check "sweep --set a value out of range" 2 "out of range.*try 'proxwatch sweep --help'" -- sweep "$src/scenarios/default.lua" --set alarm_radius=nan --out pw_cli_sweep
check "live --gpsd HOST:99999"         2 "port must be a number" -- live "$src/scenarios/default.lua" --gpsd localhost:99999 --as offender
check "replay --force is accepted"     0 "replay" -- replay --offender "$trace" --victim-at -27.21,153.05 --force --out pw_cli_replay
if [ -s pw_cli_replay/map.png ] && [ -s pw_cli_replay/report.pdf ]; then
    echo "ok   replay draws map.png and report.pdf"; passed=$((passed + 1))
else
    echo "FAIL replay pictures: $(ls pw_cli_replay)"; failed=$((failed + 1))
fi
check "replay --no-pictures"           0 "incidents.csv}" -- replay --offender "$trace" --victim-at -27.21,153.05 --no-pictures --out pw_cli_replay_np
# Pictures: run draws map.png (not with --no-pictures); render redraws it
# in any format and says clearly what is wrong with its input or output.
rm -rf pw_cli_pic pw_cli_nopic
check "run writes map.png"             0 "map.png" -- run --out pw_cli_pic --quiet
check "run --no-pictures"              0 "summary.json}" -- run --out pw_cli_nopic --quiet --no-pictures
if [ -s pw_cli_pic/map.png ] && [ ! -e pw_cli_nopic/map.png ]; then
    echo "ok   map.png written, and not with --no-pictures"; passed=$((passed + 1))
else
    echo "FAIL map.png: $(ls pw_cli_pic pw_cli_nopic)"; failed=$((failed + 1))
fi
check "render --out a PDF"             0 "written pw_cli_map.pdf" -- render pw_cli_nopic --out pw_cli_map.pdf --zoom 2
check "render a folder that is no run" 2 "pw_cli_nosuch/report.json" -- render pw_cli_nosuch
check "render to an unwritable path"   1 "pw_cli_nodir/map.png: cannot write" -- render pw_cli_nopic --out pw_cli_nodir/map.png
check "render --out a .gif"            2 "extension: .png, .svg or .pdf" -- render pw_cli_nopic --out pw_cli_map.gif
check "render --bbox backwards"        2 "bbox" -- render pw_cli_nopic --bbox 37.6,127.1,37.5,127.0
check "render --view report"           0 "written pw_cli_report.pdf" -- render pw_cli_nopic --view report --out pw_cli_report.pdf
check "render --view report to a .png"  2 "the report is a PDF" -- render pw_cli_nopic --view report --out pw_cli_report.png
rm -rf pw_cli_swp
check "sweep writes sweep.pdf"         0 "sweep.pdf}" -- sweep "$src/scenarios/default.lua" --set alarm_radius=300,800 --seeds 1 -j 2 --out pw_cli_swp
check "render --view sweep"            0 "written pw_cli_sweep.pdf" -- render pw_cli_swp --view sweep --out pw_cli_sweep.pdf
check "render --view sweep, no sweep"  2 "pw_cli_nopic/sweep.json" -- render pw_cli_nopic --view sweep
# Drills: options, a scenario that is no template, scoring's bad input.
drill=$src/scenarios/drills/school_run.lua
rm -rf pw_cli_drill
check "drill --count 0"                2 "count '0'" -- drill "$drill" --count 0 --out pw_cli_drill
check "drill --difficulty medium"      2 "easy, normal or hard" -- drill "$drill" --difficulty medium --out pw_cli_drill
check "drill with no template"         2 "give a drill template" -- drill --out pw_cli_drill
check "drill a plain scenario"         2 "default.lua: not a drill template" -- drill "$src/scenarios/default.lua" --out pw_cli_drill
check "drill a missing template"       2 "pw_cli_nosuch.lua" -- drill pw_cli_nosuch.lua --out pw_cli_drill
check "drill writes its files"         0 "written 1 drill into pw_cli_drill" -- drill "$drill" --quiet --out pw_cli_drill
if [ -s pw_cli_drill/drill-1.pdf ] && [ -s pw_cli_drill/drill-1-key.pdf ] && [ -s pw_cli_drill/drill-1.json ]; then
    echo "ok   drill-1.pdf, drill-1-key.pdf and drill-1.json written"; passed=$((passed + 1))
else
    echo "FAIL drill files: $(ls pw_cli_drill)"; failed=$((failed + 1))
fi
: > pw_cli_empty.jsonl
printf '{"t": 10, "action": "escalate"}\n{"t": 20, "action": "dispatch", "incident": 1}\n' > pw_cli_bad.jsonl
check "drill score: an empty log"      0 "missed" -- drill score pw_cli_drill/drill-1.json pw_cli_empty.jsonl
check "drill score: a class table"     0 "^trainee  *on time  *late  *wrong  *missed" -- drill score pw_cli_drill/drill-1.json pw_cli_empty.jsonl pw_cli_empty.jsonl
if [ "$("$pw" drill score pw_cli_drill/drill-1.json pw_cli_empty.jsonl pw_cli_bad.jsonl pw_cli_empty.jsonl 2>/dev/null | grep -c '^pw_cli_empty.jsonl  ')" -eq 2 ]; then
    echo "ok   drill score: a bad log is left out, the others scored"; passed=$((passed + 1))
else
    echo "FAIL drill score: a class with a bad log"; failed=$((failed + 1))
fi
check "drill score --json"             0 "\"missed\":" -- drill score pw_cli_drill/drill-1.json pw_cli_empty.jsonl --json
check "drill score: a bad line"        2 "pw_cli_bad.jsonl:2: a dispatch names" -- drill score pw_cli_drill/drill-1.json pw_cli_bad.jsonl
check "drill score: no log"            2 "drill score DRILL.json" -- drill score pw_cli_drill/drill-1.json
check "drill score: not a drill"       2 "not a drill file" -- drill score pw_cli_empty.jsonl pw_cli_empty.jsonl
check "render --view console"          0 "112 console at 2026-03-01T23:06:31.753Z" -- render pw_cli_nopic --view console --out pw_cli_console.png
rm -f pw_cli_cframe-*.png
check "render --view console --frames" 0 "written 3 frames" -- render pw_cli_nopic --view console --frames 3600 -o pw_cli_cframe.png
rm -rf pw_cli_nocsv && cp -r pw_cli_nopic pw_cli_nocsv && rm pw_cli_nocsv/latencies.csv
check "render a report without latencies.csv" 2 "pw_cli_nocsv/latencies.csv: missing" -- render pw_cli_nocsv --view report -o pw_cli_nocsv.pdf
check "render --view nonsense"         2 "map, victim, console, report or sweep" -- render pw_cli_nopic --view nonsense
check "render --at with the map"       2 "go with --view victim" -- render pw_cli_nopic --at 10
# The default scenario starts 2026-03-02 07:30 KST = 2026-03-01T22:30:00Z;
# 2000 s on is 23:03:20.  Its first alarm (and her first reveal) is at
# 23:06:31.753, as events.jsonl says.
check "render --view victim --at 2000" 0 "case 1 at 2026-03-01T23:03:20.000Z" -- render pw_cli_nopic --view victim --at 2000 --out pw_cli_victim.png
check "render --view victim --at ISO"  0 "at 2026-03-01T23:06:31.753Z" -- render pw_cli_nopic --view victim --at 2026-03-01T23:06:31.753Z --out pw_cli_victim.png
check "render --at nonsense"           2 "at 'soon'" -- render pw_cli_nopic --view victim --at soon
check "render --at +09:00"             0 "at 2026-03-01T23:06:31.753Z" -- render pw_cli_nopic --view victim --at 2026-03-02T08:06:31.753+09:00 --out pw_cli_victim.png
check "render --at 2026-02-30"         2 "at '2026-02-30T08:00:00Z'" -- render pw_cli_nopic --view victim --at 2026-02-30T08:00:00Z
check "render --at after the run"      2 "outside the run" -- render pw_cli_nopic --view victim --at 99999
check "render --view victim to a .pdf" 2 "drawn as PNG" -- render pw_cli_nopic --view victim --out pw_cli_victim.pdf
check "render --at with --frames"      2 "do not go together" -- render pw_cli_nopic --view victim --at 10 --frames 60
check "render --bbox with the victim"  2 "go with the map" -- render pw_cli_nopic --view victim --zoom 2
rm -rf pw_cli_keep && cp -r pw_cli_nopic pw_cli_keep
check "render into the run folder"     0 "victim.png" -- render pw_cli_keep --view victim
check "run over a folder render drew in" 0 "written pw_cli_keep" -- run --out pw_cli_keep --quiet
check "render --case 9"                2 "no event of case 9 went to a victim's phone" -- render pw_cli_nopic --view victim --case 9
rm -f pw_cli_frame-*.png
check "render --frames 1800"           0 "written 5 frames" -- render pw_cli_nopic --view victim --frames 1800 --out pw_cli_frame.png
if [ -s pw_cli_frame-0000.png ] && [ -s pw_cli_frame-0004.png ] && [ ! -e pw_cli_frame-0005.png ]; then
    echo "ok   frames numbered 0000 to 0004"; passed=$((passed + 1))
else
    echo "FAIL frames: $(ls pw_cli_frame-*)"; failed=$((failed + 1))
fi
# Names that break naive writers: a scenario named with a quote, a
# backslash and a comma; an actor named with a comma and a quote.  Every
# JSON file must parse (Python's json module), truth.csv must have 12
# fields on every row (Python's csv module, RFC 4180), and the names must
# come back as written.
cat > pw_cli_names.lua <<'LUA'
scenario { name = 'Tom "T" Cat, C:\\runs', start = '2026-03-02 07:30', duration = '10m',
           origin = place(37.5, 127.0) }
local v = victim { name = 'Kim, "Jr."', start = place(37.5, 127.0) }
local o = offender { name = 'o', start = place(37.5, 127.003) }
case { offender = o, victim = v }
LUA
"$pw" run pw_cli_names.lua --out pw_cli_names >/dev/null 2>&1
status=$?
names_ok=$(python3 - <<'PY'
import csv, json
ok = True
for f in ("summary.json", "report.json", "run.geojson"):
    try:
        d = json.load(open("pw_cli_names/" + f, encoding="utf-8"))
    except Exception as e:
        print("bad", f, e); ok = False; continue
    if f != "run.geojson" and d["scenario"] != 'Tom "T" Cat, C:\\runs':
        print("name", f, repr(d["scenario"])); ok = False
    if f == "run.geojson":
        names = [x["properties"].get("name") for x in d["features"] if x["properties"].get("kind") == "truth"]
        if 'Kim, "Jr."' not in names:
            print("geojson names", names); ok = False
rows = list(csv.reader(open("pw_cli_names/truth.csv", encoding="utf-8")))
if any(len(r) != 12 for r in rows) or not any(r[1] == 'Kim, "Jr."' for r in rows[1:]):
    print("truth.csv", rows[:3]); ok = False
print("yes" if ok else "no")
PY
)
if [ "$status" -eq 0 ] && [ "$(printf '%s' "$names_ok" | tail -1)" = yes ]; then
    echo "ok   names with quotes, backslashes and commas in every output"
    passed=$((passed + 1))
else
    echo "FAIL names in outputs: status $status; $names_ok"
    failed=$((failed + 1))
fi
# A run folder is one publication: a run that fails leaves the earlier
# run's folder as it was (and no stage behind); one that succeeds replaces
# the folder whole (a file only the old run had is gone).
rm -rf pw_cli_pub pw_cli_pub.part-*
mkdir -p pw_cli_pub
echo OLD > pw_cli_pub/report.json
echo stale > pw_cli_pub/sweep.csv   # a file of ours that a run does not write
cat > pw_cli_fail.lua <<'LUA'
scenario { name = 'fails', start = '2026-03-02 07:30', duration = '30m', origin = place(37.5, 127.0) }
local v = victim { name = 'v', start = place(37.5, 127.0) }
local o = offender { name = 'o', start = place(37.5, 127.003) }
case { offender = o, victim = v }
at('07:40', function() local x = nil; return x.y end)
LUA
"$pw" run pw_cli_fail.lua --out pw_cli_pub >/dev/null 2>&1
st_fail=$?
"$pw" run "$src/scenarios/checks/alarm_closes.lua" --out pw_cli_pub >/dev/null 2>&1
st_ok=$?
if [ "$st_fail" -ne 0 ] && [ "$st_ok" -eq 0 ] && [ ! -e pw_cli_pub/sweep.csv ] &&
   ! grep -q OLD pw_cli_pub/report.json && [ -z "$(ls -d pw_cli_pub.part-* 2>/dev/null)" ]; then
    echo "ok   a run folder is one publication"
    passed=$((passed + 1))
else
    echo "FAIL publication: fail status $st_fail, ok status $st_ok; $(ls pw_cli_pub; ls -d pw_cli_pub.part-* 2>/dev/null)"
    failed=$((failed + 1))
fi
# (between the two runs, after the failed one, the old folder must be intact)
rm -rf pw_cli_pub2 && mkdir -p pw_cli_pub2 && echo OLD > pw_cli_pub2/report.json
"$pw" run pw_cli_fail.lua --out pw_cli_pub2 >/dev/null 2>&1
if grep -q OLD pw_cli_pub2/report.json && [ -z "$(ls -d pw_cli_pub2.part-* 2>/dev/null)" ]; then
    echo "ok   a failed run leaves the old folder as it was"
    passed=$((passed + 1))
else
    echo "FAIL a failed run changed the old folder: $(ls pw_cli_pub2)"
    failed=$((failed + 1))
fi
# A run whose files cannot be written (a file size limit of 64 kB: the
# record runs past it; SIGXFSZ ignored, so writes fail with EFBIG) fails
# with the file and the reason, never says it wrote anything, and leaves
# the old folder as it was.
rm -rf pw_cli_full pw_cli_full.part-* && mkdir -p pw_cli_full && echo OLD > pw_cli_full/report.json
out=$(sh -c 'trap "" XFSZ; ulimit -f 128; exec "$0" run "$1" --out pw_cli_full --quiet' "$pw" \
      "$src/scenarios/default.lua" 2>&1)
st=$?
if [ "$st" -eq 1 ] && printf '%s' "$out" | grep -q "cannot write" && printf '%s' "$out" | grep -q "too large" &&
   ! printf '%s' "$out" | grep -q "^written" && grep -q OLD pw_cli_full/report.json; then
    echo "ok   a run that cannot write says so and publishes nothing"; passed=$((passed + 1))
else
    echo "FAIL write failure: status $st, output: $out"; failed=$((failed + 1))
fi
rm -rf pw_cli_full.part-*
# The default folder's parent, runs/, that cannot be made (a file is in the
# way) is an error with the reason, not a run into nowhere.
rm -rf pw_cli_runs && mkdir -p pw_cli_runs && : > pw_cli_runs/runs
out=$(cd pw_cli_runs && "$pw" run "$src/scenarios/checks/alarm_closes.lua" --quiet 2>&1)
st=$?
if [ "$st" -ne 0 ] && printf '%s' "$out" | grep -q "runs" && ! printf '%s' "$out" | grep -q "^written"; then
    echo "ok   runs/ that cannot be made is an error"; passed=$((passed + 1))
else
    echo "FAIL runs/ in the way: status $st, output: $out"; failed=$((failed + 1))
fi
# Workers die with their sweep: SIGTERM to the sweep alone leaves none of
# its runs going (each here runs Lua every simulated second, seconds of
# work in all).
cat > pw_cli_slow.lua <<'LUA'
scenario { name = 'slow', start = '2026-03-02 07:30', duration = '20m', origin = place(37.5, 127.0) }
local o = offender { name = 'o', start = place(37.5, 127.0) }
every('1s', function() local x = 0; for i = 1, 250000 do x = x + i end end)
LUA
"$pw" sweep pw_cli_slow.lua --set alarm_radius=300,400 --seeds 2 --jobs 2 --out pw_cli_slow >/dev/null 2>&1 &
sweep_pid=$!
sleep 1
kill -TERM "$sweep_pid" 2>/dev/null
wait "$sweep_pid" 2>/dev/null
sleep 1
if pgrep -f "sweep pw_cli_slow.lua" >/dev/null; then
    echo "FAIL sweep workers outlive their sweep: $(pgrep -af 'sweep pw_cli_slow.lua')"; failed=$((failed + 1))
    pkill -KILL -f "sweep pw_cli_slow.lua"
else
    echo "ok   a sweep's workers die with it"; passed=$((passed + 1))
fi
rm -rf pw_cli_slow pw_cli_slow.part-*
# decode is a filter, as gpsdecode: no file, or "-", reads standard input
# (the trace's 68 fixes, by its own decode).
n_file=$("$pw" decode "$trace" 2>/dev/null | wc -l)
n_stdin=$("$pw" decode < "$trace" 2>/dev/null | wc -l)
n_dash=$(cat "$trace" | "$pw" decode - 2>/dev/null | wc -l)
if [ "$n_file" -eq 68 ] && [ "$n_stdin" -eq 68 ] && [ "$n_dash" -eq 68 ]; then
    echo "ok   decode reads standard input"; passed=$((passed + 1))
else
    echo "FAIL decode from standard input: $n_file, $n_stdin, $n_dash fixes"; failed=$((failed + 1))
fi
# NMEA test files; each checksum is the XOR of the bytes between $ and *,
# computed here, or made wrong on purpose (bad).
python3 - <<'PY'
import functools
def nmea(body, bad=False):
    x = functools.reduce(lambda a, b: a ^ b, body.encode(), 0) ^ (1 if bad else 0)
    return "$%s*%02X\n" % (body, x)
gga = "GPGGA,1200%02d.00,3733.9900,N,12658.6800,E,%s,%s,1.0,30.0,M,18.0,M,,"
# one GGA with 2 satellites: no sentence calls it valid
open("pw_cli_gga2.nmea", "w").write(nmea(gga % (0, 1, "02")))
# 25 lines with a wrong checksum, then 10 valid GGA epochs before any date,
# then an RMC that dates what follows
with open("pw_cli_undated.nmea", "w") as f:
    for k in range(25):
        f.write(nmea(gga % (k, 1, "08"), bad=True))
    for k in range(25, 35):
        f.write(nmea(gga % (k, 1, "08")))
    f.write(nmea("GPRMC,120035.00,A,3733.9900,N,12658.6800,E,0.1,90.0,020326,,,A"))
# a reference that writes GGA only: no date at all
with open("pw_cli_ggaonly.nmea", "w") as f:
    for k in range(0, 50):
        f.write(nmea(gga % (k, 1, "08")))
PY
out=$("$pw" decode pw_cli_gga2.nmea 2>&1 >/dev/null)
if printf '%s' "$out" | grep -q "0 fixes" && printf '%s' "$out" | grep -q "1 positions no sentence called valid"; then
    echo "ok   a trace with no fix says why"; passed=$((passed + 1))
else
    echo "FAIL no-fix reasons: $out"; failed=$((failed + 1))
fi
# What concerns the whole trace is said even after 20 warnings about lines.
check "decode: dropped undated epochs said after 25 bad lines" 0 "10 epochs with a position dropped: no date" -- decode pw_cli_undated.nmea
check "decode --date 2026-02-31"       2 "expected a day" -- decode --date 2026-02-31 pw_cli_undated.nmea
check "decode --rollover 9"            2 "rollover" -- decode --rollover 9 pw_cli_undated.nmea
# replay of a GGA-only trace: refused with the reasons and the hint, then
# taken with --date.
check "replay of a GGA-only trace needs --date" 2 "50 valid epochs with no date.*--date YYYY-MM-DD" -- replay --offender pw_cli_ggaonly.nmea --victim-at 37.5665,126.978 --out pw_cli_replay_d
check "replay --date"                  0 "scored span  *2026-03-02T12:00:00.000Z" -- replay --offender pw_cli_ggaonly.nmea --victim-at 37.5665,126.978 --date 2026-03-02 --out pw_cli_replay_d
check "replay --relocate 91,0"         2 "relocate" -- replay --offender "$trace" --victim-at -27.21,153.05 --relocate 91,0
check "replay --relocate to Seoul"     0 "replay" -- replay --offender "$trace" --victim-at -27.21,153.05 --relocate 37.5665,126.978 --out pw_cli_replay_r
if grep -q '"lat":37\.56' pw_cli_replay_r/events.jsonl && ! grep -q '"lat":-27\.' pw_cli_replay_r/events.jsonl; then
    echo "ok   replay --relocate: the events are in Seoul"; passed=$((passed + 1))
else
    echo "FAIL replay --relocate: events not moved"; failed=$((failed + 1))
fi
check "replay --rollover 1"            0 "2026-11-22T09:5" -- replay --offender "$trace" --victim-at -27.21,153.05 --rollover 1 --out pw_cli_replay_ro
check "live --relocate nowhere"        2 "relocate 'nowhere': start, origin, an actor's name" -- live "$src/scenarios/default.lua" --gpsd localhost:2947 --as offender --relocate nowhere
# A folder holding files proxwatch did not write is never replaced (it used
# to be, whole: --out ~/project deleted the project); a trailing slash and a
# symlink to a folder work.
rm -rf pw_cli_proj pw_cli_real pw_cli_link pw_cli_slash
mkdir -p pw_cli_proj && echo important > pw_cli_proj/notes.txt
check "--out a folder with other files" 2 "did not write" -- run --out pw_cli_proj --quiet
if [ -f pw_cli_proj/notes.txt ]; then echo "ok   the other files are kept"; passed=$((passed + 1));
else echo "FAIL notes.txt is gone"; failed=$((failed + 1)); fi
check "--out with a trailing slash"    0 "written" -- run --out pw_cli_slash/ --quiet
mkdir -p pw_cli_real && ln -s pw_cli_real pw_cli_link
check "--out a symlink to a folder"    0 "written" -- run --out pw_cli_link --quiet
if [ -L pw_cli_link ] && [ -f pw_cli_real/report.json ]; then echo "ok   the symlink's folder gets the run"; passed=$((passed + 1));
else echo "FAIL symlink"; failed=$((failed + 1)); fi
# The command line people know: --version, per-command help, --opt=value,
# one-line usage errors, and a man page that lists every option of --help.
check "--version"                      0 "proxwatch [0-9.]* (Lua 5.4" -- --version
check "replay --help"                  0 "usage: proxwatch replay" -- replay --help
check "help live"                      0 "usage: proxwatch live" -- help live
check "run --seed=2 --out=DIR"         0 "seed 2" -- run --seed=2 --out=pw_cli_eq --quiet
check "run --seed (no value)"          2 "needs a value" -- run --seed
check "unknown command"                2 "unknown command" -- nonsense
check "run --quiet=1"                  2 "takes no value" -- run --quiet=1
check "run --s 3 (ambiguous)"          2 "ambiguous option '--s'" -- run --s 3
check "run --seed ' -1'"               2 "from 1" -- run --seed " -1"
out=$("$pw" run --sed 3 2>&1)
if [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -q "try 'proxwatch run --help'"; then
    echo "ok   a usage error is one line"; passed=$((passed + 1))
else
    echo "FAIL a usage error is not one line: $out"; failed=$((failed + 1))
fi
if "$pw" replay --help | grep -q "proxwatch sweep"; then
    echo "FAIL replay --help shows other commands"; failed=$((failed + 1))
else
    echo "ok   a command's help is its own"; passed=$((passed + 1))
fi
# The man page and --help agree, command by command, both ways: every
# option a command's help names is in that command's part of COMMANDS and
# the reverse; every file a run says it wrote is under OUTPUT FILES; the
# exit statuses 0, 1 and 2 are under EXIT STATUS.
for cmd in run sweep decode replay live serve loadgen render drill; do
    "$pw" help "$cmd" > "pw_cli_help_$cmd.txt" 2>&1
done
"$pw" run --quiet --out pw_cli_manrun > pw_cli_manrun.txt 2>&1
man_check=$(python3 - "$src/docs/proxwatch.1" <<'PY'
import re, sys
man = open(sys.argv[1], encoding="utf-8").read().replace("\\-", "-")
sections = dict(re.findall(r"^\.SH ([A-Z ]+)\n(.*?)(?=^\.SH |\Z)", man, re.S | re.M))
cmds = ["run", "sweep", "decode", "replay", "live", "serve", "loadgen", "render", "drill"]
text = sections["COMMANDS"]
starts = [(c, m.start()) for c in cmds for m in re.finditer(r"^\.TP\n\.B %s\n" % c, text, re.M)]
starts.sort(key=lambda x: x[1])
bad = []
for i, (c, a) in enumerate(starts):
    part = text[a:starts[i + 1][1] if i + 1 < len(starts) else len(text)]
    in_man = set(re.findall(r"--[a-z][a-z-]*", part)) - {"--help"}
    helptext = open("pw_cli_help_%s.txt" % c, encoding="utf-8").read()
    in_help = set(re.findall(r"--[a-z][a-z-]*", helptext)) - {"--help"}
    for o in sorted(in_help - in_man):
        bad.append("%s: %s in --help, not in the man page" % (c, o))
    for o in sorted(in_man - in_help):
        bad.append("%s: %s in the man page, not in --help" % (c, o))
if sorted(c for c, _ in starts) != sorted(cmds):
    bad.append("commands in the man page: %s" % [c for c, _ in starts])
wrote = open("pw_cli_manrun.txt", encoding="utf-8").read()
m = re.search(r"written [^{]*\{([^}]*)\}", wrote)
for f in (m.group(1).split(",") if m else ["(no written line)"]):
    if f not in sections.get("OUTPUT FILES ", sections.get("OUTPUT FILES", "")):
        bad.append("output file %s not under OUTPUT FILES" % f)
for code in ("0", "1", "2"):
    if not re.search(r"^\.B %s$" % code, sections.get("EXIT STATUS", ""), re.M):
        bad.append("exit status %s not described" % code)
print("; ".join(bad) if bad else "yes")
PY
)
if [ "$man_check" = yes ]; then
    echo "ok   the man page and --help agree, command by command, both ways"; passed=$((passed + 1))
else
    echo "FAIL man page: $man_check"; failed=$((failed + 1))
fi
# run --gpkg: run.gpkg must pass GDAL's GeoPackage validator
# (validate_gpkg.py of Debian's python3-gdal, which gdal-bin depends on:
# tables, header flags, envelopes, srs), open in ogrinfo with the GPKG
# driver and no warning, be the same bytes on a second run, and hold what
# the other outputs hold, as GDAL reads it (ogr2ogr): every fix, track,
# zone ring and episode at run.geojson's places (to the 1e-7 degree GeoJSON
# keeps) with its attributes, one event per events.jsonl line with its
# time, type, case and device, and a NULL geometry exactly where the line
# has no position; names as written (quotes and commas kept).
cat > pw_cli_gpkg.lua <<'LUA'
scenario { name = 'gpkg', start = '2026-03-02 07:30', duration = '20m', origin = place(37.5, 127.0) }
environment { kind = "urban_heavy",
              polygon = { place(37.49, 126.99), place(37.49, 127.03), place(37.51, 127.03) } }
exclusion_zone { name = "home", center = place(37.5, 127.0), radius = 200 }
local v = victim { name = 'Kim, "Jr."', start = place(37.5, 127.0) }
local o = offender { name = 'o', start = place(37.5, 127.02),
                     route = { walk { to = place(37.5, 127.001), depart = "07:31" } } }
case { offender = o, victim = v, zones = { "home" } }
LUA
rm -rf pw_cli_gpkg
"$pw" run pw_cli_gpkg.lua --gpkg --quiet --out pw_cli_gpkg >pw_cli_gpkg.out 2>&1
status=$?
if [ "$status" -ne 0 ] || ! command -v ogrinfo >/dev/null; then
    echo "FAIL run --gpkg: status $status; ogrinfo: $(command -v ogrinfo); $(cat pw_cli_gpkg.out)"
    failed=$((failed + 1))
else
    ogrinfo -so -al pw_cli_gpkg/run.gpkg >pw_cli_gpkg.info 2>pw_cli_gpkg.err
    ogr_status=$?
    /usr/bin/python3 -m osgeo_utils.samples.validate_gpkg pw_cli_gpkg/run.gpkg >>pw_cli_gpkg.err 2>&1 ||
        ogr_status="validate_gpkg failed"
    "$pw" run pw_cli_gpkg.lua --gpkg --quiet --out pw_cli_gpkg2 >/dev/null 2>&1
    cmp -s pw_cli_gpkg/run.gpkg pw_cli_gpkg2/run.gpkg || ogr_status="a second run differs"
    for l in fixes tracks zones episodes events; do
        ogr2ogr -f GeoJSON "pw_cli_gpkg/$l.ogr.json" pw_cli_gpkg/run.gpkg "$l" 2>>pw_cli_gpkg.err
    done
    gpkg_ok=$(python3 - <<'PY'
import json
ok = True
info = open("pw_cli_gpkg.info").read()
err = open("pw_cli_gpkg.err").read()
if "using driver `GPKG' successful" not in info or err.strip():
    print("ogrinfo:", info[:200], err[:300]); ok = False
layers = {l: json.load(open("pw_cli_gpkg/%s.ogr.json" % l))["features"] for l in
          ("fixes", "tracks", "zones", "episodes", "events")}
geo = json.load(open("pw_cli_gpkg/run.geojson"))["features"]
kind = lambda k: [f for f in geo if f["properties"]["kind"] == k]
def near(a, b):
    a, b = a["geometry"]["coordinates"], b["geometry"]["coordinates"]
    flat = lambda c: [c] if isinstance(c[0], (int, float)) else [p for q in c for p in flat(q)]
    a, b = flat(a), flat(b)
    return len(a) == len(b) and all(abs(p[0] - q[0]) <= 1e-7 and abs(p[1] - q[1]) <= 1e-7 for p, q in zip(a, b))
def same(name, ours, theirs, props):
    global ok
    if len(ours) == 0 or len(ours) != len(theirs):
        print(name, len(ours), len(theirs)); ok = False; return
    for a, b in zip(ours, theirs):
        pa, pb = a["properties"], b["properties"]
        # acc_m: run.geojson keeps one decimal, run.gpkg the full double
        eq = lambda u, v: abs(u - v) <= 0.05 + 1e-9 if isinstance(u, float) and isinstance(v, float) else u == v
        if not near(a, b) or not all(eq(pa[x], pb[y]) for x, y in props):
            print(name, a, b); ok = False; return
same("fixes", kind("fix"), layers["fixes"],
     [(k, k) for k in ("t", "fix_t", "device", "acc_m", "source", "cause")])
same("tracks", kind("truth"), layers["tracks"], [("device", "device"), ("name", "name"), ("role", "role")])
same("exclusion zones", kind("exclusion_zone"),
     [f for f in layers["zones"] if f["properties"]["kind"] == "exclusion_zone"],
     [("case", "case_id"), ("zone", "zone_id")])
same("environment zones", kind("environment"),
     [f for f in layers["zones"] if f["properties"]["kind"] == "environment"], [("env", "env")])
same("episodes", kind("alert_episode"), layers["episodes"],
     [("case", "case_id"), ("rule", "rule"), ("start", "start_t"), ("end", "end_t"), ("cause", "cause")])
names = sorted(f["properties"]["name"] for f in layers["tracks"])
if names != ['Kim, "Jr."', "o"]:
    print("tracks", names); ok = False
# The envelope in each line's and polygon's header (GDAL reads past it):
# [min x, max x, min y, max y] of the WKB points that follow (OGC 12-128).
import sqlite3, struct
db = sqlite3.connect("pw_cli_gpkg/run.gpkg")
for (blob,) in db.execute("SELECT geom FROM tracks UNION ALL SELECT geom FROM zones"):
    wkb = blob[40:]
    kind_ = struct.unpack("<I", wkb[1:5])[0]
    at = 13 if kind_ == 3 else 9
    n = struct.unpack("<I", wkb[at - 4:at])[0]
    pts = [struct.unpack("<2d", wkb[at + 16 * i:at + 16 * i + 16]) for i in range(n)]
    want = (min(p[0] for p in pts), max(p[0] for p in pts), min(p[1] for p in pts), max(p[1] for p in pts))
    if blob[:2] != b"GP" or blob[3] != 0x03 or struct.unpack("<4d", blob[8:40]) != want:
        print("envelope", blob[:40].hex(), want); ok = False; break
lines = [json.loads(l) for l in open("pw_cli_gpkg/events.jsonl")]
if len(lines) != len(layers["events"]):
    print("events", len(lines), len(layers["events"])); ok = False
for a, b in zip(lines, layers["events"]):
    pb = b["properties"]
    if (a["t"], a["type"], a.get("case"), a.get("device")) != (pb["t"], pb["type"], pb["case_id"], pb["device"]) \
            or ("lat" in a) != (b["geometry"] is not None) \
            or ("lat" in a and abs(a["lon"] - b["geometry"]["coordinates"][0]) > 1e-7):
        print("event", a, b); ok = False; break
print("yes" if ok else "no")
PY
)
    if [ "$ogr_status" -eq 0 ] && [ "$(printf '%s' "$gpkg_ok" | tail -1)" = yes ]; then
        echo "ok   run --gpkg writes a GeoPackage GDAL reads, with what run.geojson and events.jsonl hold"
        passed=$((passed + 1))
    else
        echo "FAIL run --gpkg: ogrinfo status $ogr_status; $gpkg_ok"
        failed=$((failed + 1))
    fi
fi
# run --compress: the compact record holds the plain run's text, byte for
# byte (fixes.csv and events.jsonl through zcat), run.geojson is the plain
# one without its fixes, GDAL reads the fixes through /vsigzip/, the
# pictures drawn from it are the plain run's (the renderer reads the fixes
# from fixes.csv.gz), and a fixes.csv.gz cut short is an error naming it.
rm -rf pw_cli_gz
"$pw" run pw_cli_gpkg.lua --compress --quiet --out pw_cli_gz >pw_cli_gz.out 2>&1
status=$?
gz_ok=$(python3 - "$status" <<'PY'
import gzip, json, subprocess, sys
ok = sys.argv[1] == "0"
plain, gz = "pw_cli_gpkg", "pw_cli_gz"
for name in ("fixes.csv", "events.jsonl"):
    try:
        if gzip.open("%s/%s.gz" % (gz, name)).read() != open("%s/%s" % (plain, name), "rb").read():
            print(name, "differs"); ok = False
    except OSError as e:
        print(name, e); ok = False
import os
for name in ("fixes.csv", "events.jsonl"):
    if os.path.exists("%s/%s" % (gz, name)):
        print("a plain", name, "too"); ok = False
try:
    a = json.load(open(plain + "/run.geojson"))
    b = json.load(open(gz + "/run.geojson"))
    nfix = sum(f["properties"]["kind"] == "fix" for f in a["features"])
    a["features"] = [f for f in a["features"] if f["properties"]["kind"] != "fix"]
    if b.pop("fixes", None) != "fixes.csv.gz":
        print("run.geojson does not say where its fixes are"); ok = False
    if a != b or nfix == 0:
        print("run.geojson: not the plain one without its", nfix, "fixes"); ok = False
    info = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "/vsigzip/%s/fixes.csv.gz" % gz],
                          capture_output=True, text=True).stdout
    if "Feature Count: %d" % nfix not in info:
        print("ogrinfo /vsigzip/:", info[-300:]); ok = False
    if open(plain + "/map.png", "rb").read() != open(gz + "/map.png", "rb").read():
        print("map.png differs from the plain run's"); ok = False
except (OSError, ValueError) as e:
    print(e); ok = False
print("yes" if ok else "no")
PY
)
if [ "$(printf '%s' "$gz_ok" | tail -1)" = yes ]; then
    why=""
    # the same run twice: the same bytes
    "$pw" run pw_cli_gpkg.lua --compress --quiet --no-pictures --out pw_cli_gz2 >/dev/null 2>&1
    for f in fixes.csv.gz events.jsonl.gz run.geojson; do
        cmp -s "pw_cli_gz/$f" "pw_cli_gz2/$f" || why="$why; a second run's $f differs"
    done
    # the victim's phone and the console from the compact folder: the plain run's pictures
    for v in victim console; do
        "$pw" render pw_cli_gpkg --view $v --at 600 --out pw_cli_gz_plain_$v.png >/dev/null 2>&1
        "$pw" render pw_cli_gz --view $v --at 600 --out pw_cli_gz_$v.png >/dev/null 2>&1
        cmp -s pw_cli_gz_plain_$v.png pw_cli_gz_$v.png || why="$why; --view $v differs from the plain run's"
    done
    # damaged files: each is an error naming the file
    cp pw_cli_gz2/fixes.csv.gz pw_cli_gz2/fixes.keep
    size=$(stat -c %s pw_cli_gz2/fixes.csv.gz)
    head -c $((size / 2)) pw_cli_gz2/fixes.keep >pw_cli_gz2/fixes.csv.gz
    "$pw" render pw_cli_gz2 --out pw_cli_gz2/m.png >pw_cli_gz.render 2>&1 &&
        why="$why; a cut fixes.csv.gz drew a map"
    grep -q "pw_cli_gz2/fixes.csv.gz: cannot read (cut short or damaged)" pw_cli_gz.render ||
        why="$why; cut: $(cat pw_cli_gz.render)"
    echo "deliver_ms,fix_ms,device" >pw_cli_gz2/fixes.csv.gz
    "$pw" render pw_cli_gz2 --out pw_cli_gz2/m.png >pw_cli_gz.render 2>&1 &&
        why="$why; a plain-text fixes.csv.gz drew a map"
    grep -q "pw_cli_gz2/fixes.csv.gz: not a gzip file" pw_cli_gz.render || why="$why; not gzip: $(cat pw_cli_gz.render)"
    rm -f pw_cli_gz2/fixes.csv.gz
    "$pw" render pw_cli_gz2 --out pw_cli_gz2/m.png >pw_cli_gz.render 2>&1 &&
        why="$why; a missing fixes.csv.gz drew a map"
    grep -q "pw_cli_gz2/fixes.csv.gz: No such file" pw_cli_gz.render || why="$why; missing: $(cat pw_cli_gz.render)"
    mv pw_cli_gz2/fixes.keep pw_cli_gz2/fixes.csv.gz
    size=$(stat -c %s pw_cli_gz2/events.jsonl.gz)
    head -c $((size * 2 / 3)) pw_cli_gz2/events.jsonl.gz >pw_cli_gz2/cut && mv pw_cli_gz2/cut pw_cli_gz2/events.jsonl.gz
    "$pw" render pw_cli_gz2 --view console --at 600 --out pw_cli_gz2/c.png >pw_cli_gz.render 2>&1 &&
        why="$why; a cut events.jsonl.gz drew the console"
    grep -q "pw_cli_gz2/events.jsonl.gz: cannot read (cut short or damaged)" pw_cli_gz.render ||
        why="$why; cut events: $(cat pw_cli_gz.render)"
    if [ -z "$why" ]; then
        echo "ok   run --compress: the plain run's text gzip'd, run.geojson without fixes, GDAL and render read it"
        passed=$((passed + 1))
    else
        echo "FAIL run --compress$why"
        failed=$((failed + 1))
    fi
else
    echo "FAIL run --compress: status $status; $gz_ok; $(cat pw_cli_gz.out)"
    failed=$((failed + 1))
fi
if [ -n "$3" ]; then
    rm -rf pw_cli_prefix
    if cmake --install "$3" --prefix "$PWD/pw_cli_prefix" >/dev/null 2>&1 &&
       [ -x pw_cli_prefix/bin/proxwatch ] && [ -f pw_cli_prefix/share/man/man1/proxwatch.1 ]; then
        echo "ok   cmake --install puts the program and the man page in place"; passed=$((passed + 1))
    else
        echo "FAIL cmake --install"; failed=$((failed + 1))
    fi
fi
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
