#!/bin/sh
# moonsip user add|del|list on a real SQLite file: the password from
# --password or from standard input, only its HA1 values stored (checked
# against md5sum and sha256sum of user:realm:password), a listing, removal,
# and clear failures for a user that is not there and for bad arguments.
set -u
moonsip=$1
fail=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/users.db
q() { # q SQL: one value from the file
	python3 -c 'import sqlite3, sys; r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$db" "$1"
}
"$moonsip" user add alice@example.com --password 'open sesame' --db "$db" || { echo "add with --password failed"; fail=1; }
printf 'from stdin\n' | "$moonsip" user add bob@example.com --db "$db" || { echo "add from stdin failed"; fail=1; }
md5=$(printf '%s' 'alice:example.com:open sesame' | md5sum | cut -d' ' -f1)
sha=$(printf '%s' 'alice:example.com:open sesame' | sha256sum | cut -d' ' -f1)
[ "$(q "SELECT ha1_md5 FROM users WHERE username='alice'")" = "$md5" ] || { echo "alice's MD5 HA1 is wrong"; fail=1; }
[ "$(q "SELECT ha1_sha256 FROM users WHERE username='alice'")" = "$sha" ] || { echo "alice's SHA-256 HA1 is wrong"; fail=1; }
bmd5=$(printf '%s' 'bob:example.com:from stdin' | md5sum | cut -d' ' -f1)
[ "$(q "SELECT ha1_md5 FROM users WHERE username='bob'")" = "$bmd5" ] || { echo "bob's password from stdin was not used"; fail=1; }
if grep -q 'open sesame' "$db"* 2>/dev/null; then echo "the password is in the file"; fail=1; fi
list=$("$moonsip" user list --db "$db")
[ "$list" = "alice@example.com
bob@example.com" ] || { echo "list said: $list"; fail=1; }
# A new password replaces the old HA1.
"$moonsip" user add alice@example.com --password other --db "$db" || fail=1
[ "$(q "SELECT count(*) FROM users")" = 2 ] || { echo "re-adding alice made a second row"; fail=1; }
"$moonsip" user del bob@example.com --db "$db" || { echo "del failed"; fail=1; }
[ "$("$moonsip" user list --db "$db")" = "alice@example.com" ] || { echo "bob still listed"; fail=1; }
err=$("$moonsip" user del bob@example.com --db "$db" 2>&1) && { echo "deleting a missing user succeeded"; fail=1; }
case $err in *"no such user"*) ;; *) echo "missing user: $err"; fail=1 ;; esac
err=$("$moonsip" user add nobody --password x --db "$db" 2>&1); rc=$?
[ $rc = 2 ] || { echo "USER without @REALM: exit $rc"; fail=1; }
case $err in *"is not USER@REALM"*) ;; *) echo "bad USER@REALM: $err"; fail=1 ;; esac
printf '' | "$moonsip" user add carol@example.com --db "$db" 2>/dev/null && { echo "an empty stdin was taken as a password"; fail=1; }
"$moonsip" user frob >/dev/null 2>&1 && { echo "an unknown subcommand succeeded"; fail=1; }
[ $fail = 0 ] && echo ok
exit $fail
