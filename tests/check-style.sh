#!/bin/sh
# Fails if a C file of the project is not as .clang-format wants it, or a
# Python file (tests, benchmarks, scripts) does not parse: the scripts that
# no test runs (bench/soak.py, the Janus benchmark) are checked here at least.
set -eu
root="$1"
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    c_files=$(git ls-files '*.c' '*.h')
    py_files=$(git ls-files '*.py')
else
    c_files=$(find . -name '*.[ch]' -not -path './build*' -not -path '*/node_modules/*')
    py_files=$(find . -name '*.py' -not -path './build*' -not -path '*/node_modules/*')
fi
command -v clang-format >/dev/null 2>&1 || {
    echo "clang-format is missing: run scripts/setup.sh"
    exit 1
}
bad=0
err=$(mktemp)
# shellcheck disable=SC2086
clang-format --dry-run -Werror $c_files 2>"$err" || bad=1
if [ "$bad" -ne 0 ]; then
    echo "not formatted (clang-format -i FILE fixes it):"
    grep 'error:' "$err" | cut -d: -f1 | sort -u
fi
rm -f "$err"
# shellcheck disable=SC2086
python3 - $py_files <<'PY' || bad=1
import ast, sys
failed = 0
for f in sys.argv[1:]:
    try:
        ast.parse(open(f, encoding="utf-8").read(), f)
    except SyntaxError as e:
        print(f"{f}:{e.lineno}: {e.msg}")
        failed = 1
sys.exit(failed)
PY
[ "$bad" -eq 0 ] || exit 1
echo "$(echo "$c_files" | wc -w) C files formatted, $(echo "$py_files" | wc -w) Python files parse"
