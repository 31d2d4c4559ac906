#!/bin/sh
# test_cli.sh PROXWATCH SOURCE_DIR - the command line's validation: each bad
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
check "replay --force is accepted"     0 "replay" -- replay --offender "$trace" --victim-at -27.21,153.05 --force --out pw_cli_replay
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
