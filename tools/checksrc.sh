#!/usr/bin/env bash
# Source rules the compiler does not check, for C files under lib/, cli/,
# lambda/, tests/, fuzz/ and bench/:
#   - lines at most 100 columns, no tabs, no trailing whitespace;
#   - no bare TODO, FIXME or XXX (a shortcoming is a LIMITATION: comment with
#     its consequence, listed in docs/KNOWN_LIMITATIONS.md);
#   - in lib/, no calls that print, that are unbounded or that read the
#     environment outside lib/core/env.c.
# Prints each violation as file:line: rule, and exits 1 when there is any.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
files=$(git ls-files -- '*.c' '*.h' 2>/dev/null || find lib cli lambda tests fuzz bench -name '*.[ch]')

report() {
    echo "$1"
    status=1
}

for f in $files; do
    [ -f "$f" ] || continue
    awk -v f="$f" '
        length($0) > 100 { printf "%s:%d: line longer than 100 columns\n", f, FNR }
        /\t/ { printf "%s:%d: tab character\n", f, FNR }
        /[ \t]+$/ { printf "%s:%d: trailing whitespace\n", f, FNR }
    ' "$f"
    grep -nE '\b(TODO|FIXME|XXX)\b' "$f" | sed "s|^|$f:|; s|\$|  <- marker: write a LIMITATION instead|"
done >/tmp/checksrc.$$ 2>&1
if [ -s /tmp/checksrc.$$ ]; then
    cat /tmp/checksrc.$$
    status=1
fi
rm -f /tmp/checksrc.$$

banned='\b(printf|puts|sprintf|vsprintf|strcpy|strcat|strncpy|atoi|atol|strtok|gmtime|localtime|rand|system)\s*\('
for f in $(echo "$files" | tr ' ' '\n' | grep '^lib/'); do
    grep -nE "$banned" "$f" | grep -vE '^\s*[0-9]+:\s*(/\*|\*)' |
        sed "s|^|$f:|; s|\$|  <- banned call in library code|" || true
    grep -nE 'fprintf\s*\(\s*std(out|err)' "$f" | sed "s|^|$f:|; s|\$|  <- library code prints|" || true
    if [ "$f" != lib/core/env.c ]; then
        grep -nE '\bgetenv\s*\(' "$f" | sed "s|^|$f:|; s|\$|  <- getenv outside lib/core/env.c|" || true
    fi
done >/tmp/checksrc-banned.$$
if [ -s /tmp/checksrc-banned.$$ ]; then
    cat /tmp/checksrc-banned.$$
    status=1
fi
rm -f /tmp/checksrc-banned.$$

# Every LIMITATION in code has an entry in docs/KNOWN_LIMITATIONS.md.
if grep -rn 'LIMITATION' $files >/dev/null 2>&1 && [ ! -f docs/KNOWN_LIMITATIONS.md ]; then
    report "docs/KNOWN_LIMITATIONS.md: missing, but the code has LIMITATION comments"
fi

[ "$status" -eq 0 ] && echo "source rules hold ($(echo "$files" | wc -w) files)"
exit "$status"
