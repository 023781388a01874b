#!/bin/bash
# Instructions per registration, moonsip beside the reference Kamailio, counted by valgrind's
# callgrind: the same REGISTER, 401, REGISTER with credentials and 200 as register.sh
# (tests/sipp/reg-auth.xml, MD5), and the same servers (moonsip with scripts/default.lua on a
# file in WAL mode, synchronous=NORMAL; Kamailio from ../shared/anchors with KAM_AUTH=1).
#
# Why beside register.sh: CPU time per registration moves by +-20% between runs of 10 s here,
# and most of it at low rates is the kernel's and cold caches'. The instructions a server runs
# in user space are counted exactly and do not depend on the machine's noise, so they tell
# whether a change made a server's own work smaller, and by how much against Kamailio's.
# What they leave out: the kernel (system calls, loopback delivery, fsync), cache misses, and
# how long an instruction takes (callgrind's CPU hides SHA-NI and AVX-512 from OpenSSL, so
# the digests count more instructions than they run natively).
#
# For each server: started under callgrind (Kamailio through a wrapper named kamailio first in
# PATH, with --trace-children, as it forks its workers), one warm pass over the USERS users,
# the counters zeroed in every process of the server, COUNT registrations at RATE per second,
# the counters dumped; the figure is the sum over the server's processes divided by the
# registrations SIPp saw succeed. A run with failures or retransmissions is reported as such
# (a retransmission is work counted twice).
#
#   bash tests/bench/register_instr.sh                   # about a minute
#   COUNT=2000 RATE=100 bash tests/bench/register_instr.sh
#   SERVERS=moonsip BIN=/tmp/other/moonsip bash tests/bench/register_instr.sh
#
# Environment: SERVERS ("moonsip kam"), USERS (200), COUNT (1000), RATE (50 per s), BIN (default
# build/bench-proxy/moonsip, built Release first unless REBUILD=0), BASE_PORT (28300),
# SERVER_CPU (1), SIPP_CPU (0). Output: build/bench-register-instr/ (the callgrind files, for
# callgrind_annotate, and the logs).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
SERVERS=${SERVERS:-"moonsip kam"}
USERS=${USERS:-200}
COUNT=${COUNT:-1000}
RATE=${RATE:-50}
REBUILD=${REBUILD:-1}
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
REALM=127.0.0.1
out=$root/build/bench-register-instr
build=$root/build/bench-proxy
bin=${BIN:-$build/moonsip}
anchor=$root/../shared/anchors/kamailio/start.sh
reg_xml=$root/tests/sipp/reg-auth.xml

need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v sipp >/dev/null || need+=(sip-tester)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if ((${#need[@]})); then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null ||
		{ echo "register_instr.sh: could not install ${need[*]}" >&2; exit 1; }
fi
if [[ -z ${BIN:-} && $REBUILD == 1 ]]; then
	mkdir -p "$out"
	if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/build.log" 2>&1 &&
		cmake --build "$build" -j"$(nproc)" --target moonsip >>"$out/build.log" 2>&1; }; then
		echo "register_instr.sh: building moonsip failed, see ${out#"$root"/}/build.log" >&2
		exit 1
	fi
fi
pin_server=() pin_sipp=()
if [[ $(nproc) -ge 2 ]]; then pin_server=(taskset -c "$SERVER_CPU"); pin_sipp=(taskset -c "$SIPP_CPU"); fi

rm -rf "$out/work" "$out/moonsip" "$out/kam"
work=$out/work
mkdir -p "$work"
. tests/bench/cpu.sh # descendants, alive, stop_pid
started=()
cleanup() {
	local p
	for p in "${started[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
next_port=${BASE_PORT:-28300}
. tests/bench/sipp.sh # free_port, stat_fields, reg_users
free_port
uac_port=$fp

reg_users "$work/users.csv" "$USERS" # sets kam_users

# sipp_run PORT COUNT: registrations at RATE; "successful failed retransmissions"
sipp_run() {
	"${pin_sipp[@]}" timeout 600 sipp -sf "$reg_xml" -inf "$work/users.csv" "127.0.0.1:$1" -i 127.0.0.1 \
		-p "$uac_port" -key contact_port "$uac_port" -t u1 -nostdin -trace_stat -stf "$work/stat.csv" \
		-fd 3600 -default_behaviors all,-bye -r "$RATE" -m "$2" >"$work/sipp.out" 2>&1
	local f
	read -r -a f <<<"$(stat_fields "$work/stat.csv")"
	rm -f "$work/stat.csv"
	echo "${f[1]} ${f[2]} ${f[3]}"
}

# start SERVER PORT: the PID of the server under callgrind, or nothing
start() {
	local s=$1 p=$2
	mkdir -p "$out/$s"
	case $s in
	moonsip)
		[[ -x $bin ]] || { echo "no binary $bin" >"$out/$s/why"; return 1; }
		local i
		for i in $(seq -f %04g 1 "$USERS"); do
			"$bin" user add "user$i@$REALM" --password "pw$i" --db "$out/$s/moonsip.db" >>"$out/$s/users.log" 2>&1 ||
				{ echo "moonsip user add failed: $(tail -1 "$out/$s/users.log")" >"$out/$s/why"; return 1; }
		done
		MOONSIP_DIGEST=MD5 "${pin_server[@]}" valgrind --tool=callgrind --callgrind-out-file="$out/$s/cg.%p" \
			"$bin" run --listen "udp:127.0.0.1:$p" --db "$out/$s/moonsip.db" --db-sync normal \
			"$root/scripts/default.lua" >"$out/$s/moonsip.log" 2>&1 &
		echo $!
		;;
	kam)
		[[ -f $anchor ]] || { echo "no $anchor" >"$out/$s/why"; return 1; }
		command -v kamailio >/dev/null ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q kamailio kamailio-lua-modules kamailio-sqlite-modules >/dev/null
		local real
		real=$(command -v kamailio) || { echo "kamailio is not installed" >"$out/$s/why"; return 1; }
		mkdir -p "$out/wrap"
		printf '#!/bin/sh\nexec valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=%s/cg.%%p %s "$@"\n' \
			"$out/$s" "$real" >"$out/wrap/kamailio"
		chmod +x "$out/wrap/kamailio"
		PATH=$out/wrap:$PATH KAM_AUTH=1 KAM_REALM=$REALM KAM_USERS="$kam_users" "${pin_server[@]}" \
			bash "$anchor" "$out/$s/run" "$p" 1 2>"$out/$s/start.err" ||
			{ echo "$anchor failed: $(tail -c 400 "$out/$s/start.err")" >"$out/$s/why"; return 1; }
		;;
	esac
}

# ready PORT PID: one registration answered within 60 s (valgrind starts slowly)
ready() {
	local i r
	for i in $(seq 20); do
		alive "$2" || return 1
		read -r -a r <<<"$(RATE=10 sipp_run "$1" 1)"
		[[ ${r[0]} == 1 ]] && return 0
		sleep 2
	done
	return 1
}

declare -A result
for s in $SERVERS; do
	free_port
	port=$fp
	pid=$(start "$s" "$port") || pid=""
	if [[ -z $pid ]]; then
		result[$s]="not run: $(cat "$out/$s/why" 2>/dev/null)"
		continue
	fi
	started+=("$pid")
	if ! ready "$port" "$pid"; then
		result[$s]="not run: it did not answer a registration within a minute (see ${out#"$root"/}/$s/)"
		continue
	fi
	echo "$s: warm pass of $USERS registrations, then $COUNT at $RATE/s, counted" >&2
	sipp_run "$port" "$USERS" >/dev/null
	procs=$(descendants "$pid")
	for p in $procs; do callgrind_control -z "$p" >/dev/null 2>&1; done
	read -r ok failed retrans <<<"$(sipp_run "$port" "$COUNT")"
	rm -f "$out/$s"/cg.*.[0-9]*
	for p in $procs; do callgrind_control -d "$p" >/dev/null 2>&1; done
	sleep 1
	total=$(cat "$out/$s"/cg.*.[0-9]* 2>/dev/null | awk '/^summary:/ { t += $2 } END { printf "%.0f", t }')
	nfiles=$(ls "$out/$s"/cg.*.[0-9]* 2>/dev/null | wc -l)
	if ((ok == 0 || nfiles == 0)); then
		result[$s]="no figure: $ok registrations succeeded, $nfiles callgrind dumps"
	else
		result[$s]=$(awk -v t="$total" -v n="$ok" 'BEGIN { printf "%.0f", t / n }')
		[[ $failed == 0 && $retrans == 0 ]] || result[$s]+=" ($failed failed, $retrans retransmissions: work counted twice)"
	fi
	echo "$s: $ok registrations, $total instructions in $nfiles processes" >&2
	stop_pid "$pid"
done

echo
echo "Instructions per registration in user space (callgrind), $COUNT registrations at $RATE/s after a warm pass"
echo "over $USERS users; tests/sipp/reg-auth.xml with MD5; moonsip: scripts/default.lua, synchronous=NORMAL;"
echo "kam: ../shared/anchors, KAM_AUTH=1, usrloc write-through on SQLite in WAL mode"
printf '%-10s %s\n' server "instructions/registration"
for s in $SERVERS; do printf '%-10s %s\n' "$s" "${result[$s]}"; done
m=${result[moonsip]:-x} k=${result[kam]:-x}
if [[ $m =~ ^[0-9]+$ && $k =~ ^[0-9]+$ ]]; then
	awk -v m="$m" -v k="$k" 'BEGIN { printf "moonsip / kam: %.3f\n", m / k }'
fi
