#!/bin/sh
# test_sweep_mpi.sh PROXWATCH SOURCE_DIR - sweeps beyond one machine's
# fork workers: the same sweep.csv and sweep.json from fork workers, from
# mpirun -n 2 and from mpirun -n 3 (on localhost, --oversubscribe); bad
# input under mpirun ends every rank; --resume from a checkpoint and from a
# sweep killed half way gives the same files as a sweep never cut.
# Prints one line per check and the plain summary line.
pw=$1
src=$2
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
# CI runs as root; Open MPI refuses that unless told.  Its components leak
# at MPI_Finalize and are unloaded then (LeakSanitizer cannot even name
# them), so leak checking is off for the ranks; ASan and UBSan stay on.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 300 mpirun "$@"; }
scn=$src/scenarios/default.lua
set_args="--set alarm_radius=300,500 --set tag_moving_interval=30,60 --seeds 3 --no-pictures"
rm -rf pw_mpi_fork pw_mpi_2 pw_mpi_3 pw_mpi_bad pw_mpi_res pw_mpi_kill pw_mpi_full pw_mpi_mres pw_mpi_mix

if ! command -v mpirun > /dev/null; then
    bad "mpirun is missing (setup.sh installs openmpi-bin)"
    echo "$passed passed, $failed failed"
    exit 1
fi
# shellcheck disable=SC2086
"$pw" sweep "$scn" $set_args --jobs 2 --out pw_mpi_fork > pw_mpi_fork.log 2>&1 || bad "the fork sweep: $(cat pw_mpi_fork.log)"
for n in 2 3; do
    # shellcheck disable=SC2086
    if mpi -n $n "$pw" sweep "$scn" $set_args --mpi --out pw_mpi_$n > pw_mpi_$n.log 2>&1 &&
       grep -q "on $n MPI ranks" pw_mpi_$n.log && grep -q "runs by rank: 0: [0-9]*, 1: [1-9]" pw_mpi_$n.log; then
        ok "mpirun -n $n sweep ran on $n ranks, rank 1 among them ($(grep 'runs by rank' pw_mpi_$n.log | cut -d: -f2-))"
    else
        bad "mpirun -n $n sweep: $(cat pw_mpi_$n.log)"
    fi
    if cmp -s pw_mpi_fork/sweep.csv pw_mpi_$n/sweep.csv && cmp -s pw_mpi_fork/sweep.json pw_mpi_$n/sweep.json; then
        ok "mpirun -n $n: sweep.csv and sweep.json the same bytes as the fork workers'"
    else
        bad "mpirun -n $n: sweep.csv or sweep.json differ from the fork workers'"
    fi
done
if [ "$(ls pw_mpi_2 | tr '\n' ' ')" = "sweep.csv sweep.id sweep.json " ]; then
    ok "only rank 0 writes, and only the sweep's files"
else
    bad "pw_mpi_2 holds: $(ls -a pw_mpi_2)"
fi
# Bad input: rank 0 says so, every rank ends (no hang), exit status 2.
mpi -n 2 "$pw" sweep "$scn" --set nosuch=1,2 --seeds 2 --mpi --out pw_mpi_bad > pw_mpi_bad.log 2>&1
st=$?
if [ $st -ne 124 ] && grep -q "unknown parameter 'nosuch'" pw_mpi_bad.log && [ ! -e pw_mpi_bad ]; then
    ok "bad input under mpirun: said once, every rank ended"
else
    bad "bad input under mpirun: status $st, $(cat pw_mpi_bad.log)"
fi
# --resume from a checkpoint holding every other run (sweep.partial.csv).
mkdir pw_mpi_res
{ head -1 pw_mpi_fork/sweep.csv; sed -n '2~2p' pw_mpi_fork/sweep.csv; } > pw_mpi_res/sweep.partial.csv
cp pw_mpi_fork/sweep.id pw_mpi_res/   # a checkpoint is written with it
# shellcheck disable=SC2086
"$pw" sweep "$scn" $set_args --jobs 2 --resume --out pw_mpi_res > pw_mpi_res.log 2>&1
if grep -q "resuming: 6 of 12 runs done already" pw_mpi_res.log && cmp -s pw_mpi_fork/sweep.csv pw_mpi_res/sweep.csv &&
   cmp -s pw_mpi_fork/sweep.json pw_mpi_res/sweep.json && [ ! -e pw_mpi_res/sweep.partial.csv ]; then
    ok "--resume: 6 of 12 runs taken from sweep.partial.csv, the same files as a whole sweep"
else
    bad "--resume: $(cat pw_mpi_res.log)"
fi
# ... under mpirun too.
mkdir pw_mpi_mres
{ head -1 pw_mpi_fork/sweep.csv; sed -n '3~3p' pw_mpi_fork/sweep.csv; } > pw_mpi_mres/sweep.partial.csv
cp pw_mpi_fork/sweep.id pw_mpi_mres/
# shellcheck disable=SC2086
mpi -n 2 "$pw" sweep "$scn" $set_args --mpi --resume --out pw_mpi_mres > pw_mpi_mres.log 2>&1
if grep -q "resuming: 4 of 12 runs done already" pw_mpi_mres.log && cmp -s pw_mpi_fork/sweep.csv pw_mpi_mres/sweep.csv; then
    ok "--resume under mpirun -n 2: the same sweep.csv"
else
    bad "--resume under mpirun: $(cat pw_mpi_mres.log)"
fi
# A checkpoint cut mid-line, in CRLF, with a bad number: the good rows
# are taken, the others run again; the same files at the end.
rm -rf pw_mpi_cut && mkdir pw_mpi_cut && cp pw_mpi_fork/sweep.id pw_mpi_cut/
{ head -1 pw_mpi_fork/sweep.csv; sed -n '2,4p' pw_mpi_fork/sweep.csv | sed 's/,ok,\([0-9]*\)/,ok,x\1/' | head -1;
  sed -n '5,7p' pw_mpi_fork/sweep.csv; sed -n '8p' pw_mpi_fork/sweep.csv | cut -c1-40 | tr -d '\n'; } |
  sed 's/$/\r/' > pw_mpi_cut/sweep.partial.csv
# shellcheck disable=SC2086
"$pw" sweep "$scn" $set_args --jobs 2 --resume --out pw_mpi_cut > pw_mpi_cut.log 2>&1
if grep -q "resuming: 3 of 12 runs done already" pw_mpi_cut.log && cmp -s pw_mpi_fork/sweep.csv pw_mpi_cut/sweep.csv; then
    ok "--resume from a cut, CRLF checkpoint with a bad number: 3 good rows taken, the same sweep.csv"
else
    bad "--resume from a damaged checkpoint: $(cat pw_mpi_cut.log)"
fi
rm -rf pw_mpi_cut
# Another sweep's file is refused, naming it.
printf 'speed,seed,status\n1,1,ok\n' > pw_mpi_res/sweep.partial.csv
# shellcheck disable=SC2086
"$pw" sweep "$scn" $set_args --resume --out pw_mpi_res > pw_mpi_other.log 2>&1
st=$?
if [ $st -eq 2 ] && grep -q "pw_mpi_res/sweep.partial.csv:1: --resume: the file is another sweep's" pw_mpi_other.log; then
    ok "--resume refuses another sweep's file, naming it"
else
    bad "--resume with another sweep's file: status $st, $(cat pw_mpi_other.log)"
fi
# Another scenario's rows are refused too (sweep.id says whose they are).
# shellcheck disable=SC2086
"$pw" sweep "$src/scenarios/school_zone.lua" $set_args --resume --out pw_mpi_fork > pw_mpi_other.log 2>&1
st=$?
if [ $st -eq 2 ] && grep -q "pw_mpi_fork/sweep.id: --resume: the folder holds another sweep's rows" pw_mpi_other.log; then
    ok "--resume refuses another scenario's rows, naming sweep.id"
else
    bad "--resume with another scenario: status $st, $(cat pw_mpi_other.log)"
fi
# A rank given another sweep gets no runs; the result is rank 0's sweep.
# shellcheck disable=SC2086
mpi -n 1 "$pw" sweep "$scn" $set_args --mpi --out pw_mpi_mix : -n 1 "$pw" sweep "$scn" \
    --set alarm_radius=900,1000 --set tag_moving_interval=30,60 --seeds 3 --no-pictures --mpi > pw_mpi_mix.log 2>&1
if grep -q "rank 1 runs another sweep" pw_mpi_mix.log && cmp -s pw_mpi_fork/sweep.csv pw_mpi_mix/sweep.csv; then
    ok "a rank with other parameters gets no runs, and says so"
else
    bad "mixed ranks: $(cat pw_mpi_mix.log)"
fi
# A rank that cannot read the scenario says why, runs nothing, and rank 0
# does the sweep.
# shellcheck disable=SC2086
mpi -n 1 "$pw" sweep "$scn" $set_args --mpi --out pw_mpi_bye : -n 1 "$pw" sweep pw_mpi_nosuch.lua \
    --set alarm_radius=300,500 --set tag_moving_interval=30,60 --seeds 3 --no-pictures --mpi > pw_mpi_bye.log 2>&1
if grep -q "rank 1 runs nothing: on .*pw_mpi_nosuch.lua" pw_mpi_bye.log && cmp -s pw_mpi_fork/sweep.csv pw_mpi_bye/sweep.csv; then
    ok "a rank that cannot read the scenario says so, and the sweep is whole"
else
    bad "a rank with bad input: $(cat pw_mpi_bye.log)"
fi
rm -rf pw_mpi_bye
# A sweep killed half way (kill -9 after its first checkpoint), resumed.
big="--set alarm_radius=300,500 --seeds 6 --no-pictures --jobs 1"
# shellcheck disable=SC2086
"$pw" sweep "$src/scenarios/regional_day.lua" $big --out pw_mpi_full > /dev/null 2>&1
# shellcheck disable=SC2086
PW_SWEEP_CHECKPOINT_S=0.3 "$pw" sweep "$src/scenarios/regional_day.lua" $big --out pw_mpi_kill > /dev/null 2>&1 &
pid=$!
i=0
while [ ! -s pw_mpi_kill/sweep.partial.csv ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
done_before=0
[ -s pw_mpi_kill/sweep.partial.csv ] && done_before=$(($(wc -l < pw_mpi_kill/sweep.partial.csv) - 1))
# shellcheck disable=SC2086
"$pw" sweep "$src/scenarios/regional_day.lua" $big --resume --out pw_mpi_kill > pw_mpi_kill.log 2>&1
if [ "$done_before" -ge 1 ] && [ "$done_before" -lt 12 ] &&
   grep -q "resuming: $done_before of 12 runs done already" pw_mpi_kill.log &&
   cmp -s pw_mpi_full/sweep.csv pw_mpi_kill/sweep.csv && cmp -s pw_mpi_full/sweep.json pw_mpi_kill/sweep.json; then
    ok "killed after $done_before of 12 runs, resumed: the same files as a sweep never cut"
else
    bad "kill and resume ($done_before done before): $(cat pw_mpi_kill.log)"
fi
rm -rf pw_mpi_fork pw_mpi_2 pw_mpi_3 pw_mpi_res pw_mpi_kill pw_mpi_full pw_mpi_mres pw_mpi_mix pw_mpi_*.log pw_mpi_kill.part-*
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
