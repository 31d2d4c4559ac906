#!/usr/bin/env bash
# proxwatch setup and entry point.
#
#   ./setup.sh run     install what is missing, build, run the bundled
#                      default scenario (proxwatch run)
#   ./setup.sh test    install what is missing, build, run the whole test
#                      suite twice: plain and under ASan + UBSan; then check
#                      that Release and Debug builds compile without warnings
#   ./setup.sh long    the test suite, then the trace decoder fuzzed with
#                      libFuzzer for PW_FUZZ_SECONDS (default 120)
#   ./setup.sh bench   install, build (optimised), run every benchmark
#
# Missing Debian packages are installed with apt-get (needs root); nothing
# here relies on what happened to be installed by hand.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config libcunit1-dev liblua5.4-dev libgps-dev libuv1-dev gpsd gpsd-clients python3 libjansson-dev libsqlite3-dev libcairo2-dev libpango1.0-dev fonts-nanum libexpat1-dev zlib1g-dev libsodium-dev libhttp-parser-dev openmpi-bin libopenmpi-dev)
JOBS=$(nproc 2>/dev/null || echo 2)

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing Debian packages: ${missing[*]}" >&2
    echo "setup.sh: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {  # build DIR [cmake args...]; the log is shown only on failure
  local dir=$1; shift
  echo "setup.sh: building in $dir"
  mkdir -p "$dir"
  if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
         cmake --build "$dir" -j "$JOBS"; } >"$dir/build.log" 2>&1; then
    cat "$dir/build.log" >&2
    echo "setup.sh: build failed (log: $dir/build.log)" >&2
    exit 1
  fi
}

cmd=${1:-}
case "$cmd" in
  run)
    install_missing
    build build -DPW_WERROR=OFF
    # The main job: the bundled default scenario through the engine.
    ./build/cli/proxwatch run
    ;;
  test)
    # Warnings are errors here (and so in CI), in every build type.
    # gdal-bin: the test that run.gpkg opens in GDAL (ogrinfo, ogr2ogr).
    # poppler-utils: pdftotext reads the drills' PDFs back, so that a test
    # can search the trainee's pages for the key's words.
    # chromium: the 112 console's page tested in a real browser (headless).
    PACKAGES+=(gdal-bin poppler-utils chromium)
    install_missing
    export PW_REQUIRE_BROWSER=1
    build build -DPW_WERROR=ON
    (cd build && ctest --output-on-failure -j "$JOBS")
    build build-sanitize -DPW_SANITIZE=ON -DPW_WERROR=ON
    (cd build-sanitize && ctest --output-on-failure -j "$JOBS")
    # A user's Release (-O3) and Debug (-O0) builds must compile clean too:
    # each optimisation level warns about different things.
    build build-release -DCMAKE_BUILD_TYPE=Release -DPW_WERROR=ON
    build build-debug -DCMAKE_BUILD_TYPE=Debug -DPW_WERROR=ON
    echo "setup.sh: the Release and Debug builds compile without warnings"
    ;;
  long)
    # The test suite, then the NMEA decoder under libFuzzer (with ASan and
    # UBSan) for PW_FUZZ_SECONDS (default 120), seeded with the receiver logs.
    PACKAGES+=(clang)
    install_missing
    "$0" test
    mkdir -p build-fuzz/corpus
    cp tests/data/gpsd/*.log build-fuzz/corpus/
    clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_XOPEN_SOURCE=700 \
      -Iengine -Itraces -Irecord -Icommon tests/fuzz_nmea.c traces/*.c record/json.c record/publish.c \
      engine/*.c -lgps -lm \
      -o build-fuzz/fuzz_nmea
    ./build-fuzz/fuzz_nmea -max_total_time="${PW_FUZZ_SECONDS:-120}" -max_len=4096 \
      -print_final_stats=1 build-fuzz/corpus
    ;;
  bench)
    PACKAGES+=(gpsd-clients)   # gpsdecode, the yardstick of bench_decode
    install_missing
    build build -DPW_WERROR=OFF
    for b in build/bench/bench_*; do [ -x "$b" ] && "$b"; done
    ;;
  *)
    echo "usage: ./setup.sh run|test|long|bench" >&2
    exit 2
    ;;
esac
