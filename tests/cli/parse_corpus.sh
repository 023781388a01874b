#!/bin/sh
# moonsip parse on the command line: every valid RFC 4475 message parses
# (exit 0, a summary on stdout), every invalid one fails with a reason on
# stderr and a non-zero exit.
set -u
moonsip=$1 corpus=$2
fail=0
out=$("$moonsip" parse "$corpus"/rfc4475/valid/*.dat) || { echo "valid messages did not all parse"; fail=1; }
echo "$out" | grep -q '^.*wsinv.dat: request  INVITE sip:vivekg@chair-dnrc.example.com;unknownparam$' ||
	{ echo "no summary for wsinv"; fail=1; }
for f in "$corpus"/rfc4475/invalid/*.dat; do
	if err=$("$moonsip" parse "$f" 2>&1 >/dev/null); then
		echo "$f: parsed, expected an error"; fail=1
	elif [ -z "$err" ]; then
		echo "$f: no reason on stderr"; fail=1
	fi
done
err=$("$moonsip" parse "$corpus"/rfc4475/invalid/scalar02.dat 2>&1 >/dev/null)
case $err in
*"scalar02.dat:5: Bad CSeq: number too large (a server answers 400)") ;;
*) echo "unexpected reason for scalar02: $err"; fail=1 ;;
esac
# stdin works too
"$moonsip" parse - < "$corpus"/rfc4475/valid/esc01.dat >/dev/null || { echo "stdin failed"; fail=1; }
"$moonsip" parse /nonexistent/file 2>/dev/null && { echo "missing file accepted"; fail=1; }
exit $fail
