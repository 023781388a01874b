#!/bin/sh
# moonsip check SCRIPT: the shipped scripts pass; a script without
# on_request, one with a syntax error, one that fails at its top level and
# a missing file each fail with exit 1 and a file:line reason on stderr.
set -u
moonsip=$1 src=$2
fail=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for f in "$src"/scripts/default.lua "$src"/scripts/examples/*.lua; do
	out=$("$moonsip" check "$f") || { echo "$f: check failed"; fail=1; }
	[ "$out" = "$f: ok" ] || { echo "$f: said '$out'"; fail=1; }
done
expect() { # expect FILE TEXT: check fails and stderr holds TEXT
	if err=$("$moonsip" check "$1" 2>&1 >/dev/null); then
		echo "$1: passed, expected a failure"; fail=1
	fi
	case $err in
	*"$2"*) ;;
	*) echo "$1: expected '$2' on stderr, got: $err"; fail=1 ;;
	esac
}
printf 'function handle(req) end\n' >"$dir/none.lua"
expect "$dir/none.lua" "$dir/none.lua: defines no function on_request(req)"
printf 'local x = 1\nfunction on_request(req)\n  if then end\nend\n' >"$dir/syntax.lua"
expect "$dir/syntax.lua" "$dir/syntax.lua:3: unexpected symbol near 'then'"
printf 'local t = nil\nprint(t.field)\nfunction on_request(req) end\n' >"$dir/top.lua"
expect "$dir/top.lua" "$dir/top.lua:2: attempt to index local 't'"
expect "$dir/missing.lua" "cannot open $dir/missing.lua"
"$moonsip" check >/dev/null 2>&1 && { echo "no argument accepted"; fail=1; }
exit $fail
