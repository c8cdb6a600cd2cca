#!/bin/bash
# Runs every diemcau test: installs what is missing, then builds and runs the
# whole suite twice, a normal build and an AddressSanitizer+UBSan build.
# Ends with one line "N passed, N failed" counting every test case of both.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1

rc=0
logs=()
run_build() {
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
  meson test -C "$dir" --print-errorlogs --num-processes 2 ${DC_TEST_ARGS:-} || rc=1
  logs+=("$dir/meson-logs/testlog.json")
}

echo "== normal build (build/) =="
run_build build || rc=1
echo "== AddressSanitizer + UBSan build (build-asan/) =="
run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || rc=1

if [ ${#logs[@]} -eq 0 ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
python3 scripts/count-tests.py "${logs[@]}" || rc=1
exit $rc
