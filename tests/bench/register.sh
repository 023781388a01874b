#!/bin/bash
# Registrar benchmark: authenticated, persisted registrations per second sustained and server
# CPU time per registration, over UDP. A registration is REGISTER, 401, REGISTER with digest
# credentials (MD5), 200 (SIPp tests/sipp/reg-auth.xml: two REGISTER transactions), for one of
# USERS users taken in turn from an injection file; each user has one contact (expires 3600), so
# after the first pass every registration refreshes a binding that is already in the file. For
#   moonsip       `moonsip run --db-sync normal scripts/default.lua` (one process): SQLite in WAL
#                 mode, synchronous=NORMAL (no fsync per commit: a commit survives a crash of the
#                 process, not necessarily one of the machine)
#   moonsip-full  the same with --db-sync full (synchronous=FULL: an fsync of the WAL per commit)
#   kam           the reference Kamailio of ../shared/anchors/kamailio (KEMI Lua, one worker,
#                 KAM_AUTH=1, auth_db and usrloc db_mode=1: written through to SQLite in WAL mode).
#                 Its db_sqlite opens SQLite with the library's defaults, which on Debian are
#                 synchronous=FULL in WAL mode too: moonsip-full is the like-for-like comparison
#                 of durability, moonsip is moonsip's default.
#   floor         tests/bench/register_floor.c (built here with cc -O2): answers the same
#                 REGISTERs with fixed 401s and 200s, checking, hashing and storing nothing. What
#                 it costs is what this machine charges any server for the messages at that rate
#                 (wake-ups, system calls, the loopback's delivery to SIPp): a server's CPU per
#                 registration minus the floor's is the work it does itself.
# moonsip commits once per 4 ms window (the 200s wait for that commit), so one fsync
# covers every registration saved in that window; Kamailio commits (and fsyncs) each one. The
# header line "disk" gives the cost of one 4 KiB write with fsync on the files' filesystem.
# moonsip runs with MOONSIP_DIGEST=MD5 (SIPp answers only MD5 challenges; the default script
# challenges SHA-256 first); its users are added with `moonsip user add userNNNN@127.0.0.1`
# (the realm is the To host, 127.0.0.1 in the scenario), Kamailio's by start.sh (KAM_USERS,
# KAM_REALM=127.0.0.1). moonsip's files are made fresh when the script starts (users only, no
# binding) and used to the end; start.sh makes Kamailio's afresh when it starts it.
# The servers are started once and run side by side: servers pinned to SERVER_CPU, SIPp to
# SIPP_CPU.
#
# Two phases, each interleaved (rate, repetition, then server) so that whatever else the machine
# does falls on every server alike:
#   fixed  every rate of RATES for DUR s, REPS times: CPU per registration from the server's own
#          accounting (schedstat run time summed over the server's processes, tests/bench/cpu.sh;
#          utime+stime ticks as a check) divided by the successful registrations, at the same
#          offered rate. Time the server waits for fsync is not CPU time, and the kernel's
#          journal thread (jbd2) is not counted for anyone;
#   max    MAX_RATES in turn for MAX_DUR s until a run has a failed (or unfinished)
#          registration, a retransmission, or answers less than 95% of the offered rate: the
#          highest rate before that is the server's "highest rate with zero failures".
# Before each measurement the script waits until every server is idle. A server that cannot
# register a user at start (or dies) is reported as FAILED and left out; the others are still
# measured. At the end the bindings in each server's file are counted (USERS expected).
#
# usage (from the repository root): bash tests/bench/register.sh
# env:  RATES="200 500 1000"   offered registrations/s of the fixed phase   DUR=10  REPS=3
#       MAX_RATES="1000 2000 3000 4000 5000 6000 8000 10000"             MAX_DUR=10
#       USERS=1000             users, registered in turn (userNNNN, password pwNNNN)
#       DRAIN=1                after the fixed phase, wait out the transaction timers (33 s) and
#                              report CPU per registration over each server's whole life so far
#       SERVERS="moonsip moonsip-full kam floor"   SERVER_CPU=1 SIPP_CPU=0   BASE_PORT=28160
#       SCRIPT=scripts/default.lua  BIN=build/bench-proxy/moonsip  LOG_LEVEL=info (moonsip's)
#       REBUILD=1 (default) incremental `cmake --build build/bench-proxy --target moonsip` first;
#                 if that fails the existing binary is used (with a warning); REBUILD=0 skips it
# Output: a table on stdout; raw results (every run) in build/bench-register/register-results.tsv;
# the servers' files and logs in build/bench-register/SERVER/ (kept; made afresh by the next run).
# Takes about 11 minutes with the defaults (fixed: 3 x REPS x RATES x DUR; max: up to
# 3 x MAX_RATES x MAX_DUR; users: about 10 s per 1000 and server).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cmd_env="" # the settings given, for the command line printed last
for v in RATES DUR REPS MAX_RATES MAX_DUR USERS DRAIN SERVERS SERVER_CPU SIPP_CPU BASE_PORT SCRIPT LOG_LEVEL BIN REBUILD; do
	if [[ -n ${!v:-} ]]; then cmd_env+="$v=${!v@Q} "; fi
done
RATES=${RATES:-"200 500 1000"}
DUR=${DUR:-10}
REPS=${REPS:-3}
MAX_RATES=${MAX_RATES:-"1000 2000 3000 4000 5000 6000 8000 10000"}
MAX_DUR=${MAX_DUR:-10}
USERS=${USERS:-1000}
DRAIN=${DRAIN:-1}
SERVERS=${SERVERS:-"moonsip moonsip-full kam floor"}
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
SCRIPT=${SCRIPT:-scripts/default.lua}
LOG_LEVEL=${LOG_LEVEL:-info}
bin=${BIN:-$root/build/bench-proxy/moonsip}
build=$root/build/bench-proxy
out=$root/build/bench-register
tsv=$out/register-results.tsv
reg_xml=$root/tests/sipp/reg-auth.xml
anchor=$root/../shared/anchors/kamailio/start.sh
REALM=127.0.0.1
HZ=$(getconf CLK_TCK)
mkdir -p "$out"

# ---- prerequisites ---------------------------------------------------------
apt_install() {
	apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
command -v sipp >/dev/null || apt_install sip-tester
if ! command -v kamailio >/dev/null || [[ ! -f /usr/lib/x86_64-linux-gnu/kamailio/modules/app_lua.so ]] ||
	! command -v sqlite3 >/dev/null; then
	apt_install kamailio kamailio-lua-modules kamailio-sqlite-modules sqlite3
fi
build_note=""
if [[ " $SERVERS " == *" moonsip"* && ${REBUILD:-1} == 1 && -z ${BIN:-} ]]; then
	if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/build.log" 2>&1 &&
		cmake --build "$build" -j"$(nproc)" --target moonsip >>"$out/build.log" 2>&1; }; then
		build_note="(build FAILED, see ${out#"$root"/}/build.log; using the binary left from an earlier build)"
		echo "warning: building moonsip failed: $(grep -m1 -E 'error' "$out/build.log" || tail -1 "$out/build.log")" >&2
	fi
fi
if [[ $(nproc) -ge 2 ]]; then
	pin_server=(taskset -c "$SERVER_CPU"); pin_sipp=(taskset -c "$SIPP_CPU")
else
	pin_server=(); pin_sipp=(); echo "warning: one core, SIPp and the servers share it" >&2
fi

# the servers' folders (files, logs) are kept after the run; work holds SIPp's output
work=$out/work
rm -rf "$work" "$out/moonsip" "$out/moonsip-full" "$out/kam" "$out/floor"
mkdir -p "$work"
declare -A pid port extra_done why_out db_of
started=() # PIDs this script started (servers), stopped on exit
. tests/bench/cpu.sh # descendants, cpu, alive, stop_pid
cleanup() {
	local p
	for p in "${started[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

next_port=${BASE_PORT:-28160}
UNIT=regs
. tests/bench/phases.sh # warm_up, fixed_phase, drain_phase, max_phase
. tests/bench/sipp.sh # free_port, stat_fields, reg_users
free_port
uac_port=$fp

# the users: SIPp's injection file and Kamailio's KAM_USERS
users_csv=$work/users.csv
reg_users "$users_csv" "$USERS"

# sipp_uac PORT ARGS...: one run of registrations against a server, pinned, bounded; statistics
# in $work/stat.csv, its output in $work/sipp.out, its CPU (user sys real, s) in $work/time.
# -bye: SIPp would end an aborted registration with a BYE made from the last response (its
# Request-URI is the To URI, without a port), which a proxy relays to port 5060 of the To host
sipp_uac() {
	local p=$1
	shift
	rm -f "$work/stat.csv" "$work/sipp.err"
	local TIMEFORMAT='%3U %3S %3R' rc=0
	{ time "${pin_sipp[@]}" timeout 120 sipp -sf "$reg_xml" -inf "$users_csv" "127.0.0.1:$p" -i 127.0.0.1 \
		-p "$uac_port" -key contact_port "$uac_port" -t u1 -nostdin -buff_size 4194304 -trace_stat -stf "$work/stat.csv" -fd 3600 \
		-trace_err -error_file "$work/sipp.err" -default_behaviors all,-bye "$@" >"$work/sipp.out" 2>&1 || rc=$?; } 2>"$work/time"
	return $rc
}
sipp_said() { # the last lines SIPp wrote, for a failure report
	{ tail -c 1500 "$work/sipp.err" 2>/dev/null; grep -E 'Successful call|Failed call|rror' "$work/sipp.out" | tail -4; } | sed 's/^/    /'
}

log_of() { # SERVER: its log file
	case $1 in
	kam) echo "$out/kam/kamailio.log" ;;
	floor) echo "$out/floor/floor.log" ;;
	*) echo "$out/$1/moonsip.log" ;;
	esac
}
server_log() { cat "$(log_of "$1")" 2>/dev/null || true; }

# moonsip's files: users added once (one process each, as an operator would), then copied for
# every moonsip server
db_sync_ok=0
help=$("$bin" run --help 2>&1 || true)
[[ $help == *--db-sync* ]] && db_sync_ok=1
users_note=""
if [[ " $SERVERS " == *" moonsip"* && -x $bin ]]; then
	t0=$(date +%s.%N)
	for i in $(seq -f %04g 1 "$USERS"); do
		if ! "$bin" user add "user$i@$REALM" --password "pw$i" --db "$work/users.db" >>"$work/users.log" 2>&1; then
			echo "warning: moonsip user add user$i@$REALM failed: $(tail -1 "$work/users.log")" >&2
			break
		fi
	done
	users_note=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$USERS" 'BEGIN { printf "%d users added in %.1f s", n, b - a }')
fi

# start_server NAME: sets pid[], port[], db_of[]
start_server() {
	local s=$1 sync=()
	free_port
	port[$s]=$fp
	case $s in
	moonsip | moonsip-full)
		if [[ ! -x $bin ]]; then why_out[$s]="no binary $bin"; return 1; fi
		if [[ $db_sync_ok == 1 ]]; then
			sync=(--db-sync "$([[ $s == moonsip-full ]] && echo full || echo normal)")
		elif [[ $s == moonsip-full ]]; then
			why_out[$s]="the binary has no --db-sync option (rebuild it once the option is in)"
			return 1
		fi
		mkdir -p "$out/$s"
		db_of[$s]=$out/$s/moonsip.db
		sqlite3 "$work/users.db" ".backup '${db_of[$s]}'"
		MOONSIP_DIGEST=MD5 "${pin_server[@]}" "$bin" run --listen "udp:127.0.0.1:${port[$s]}" \
			--db "${db_of[$s]}" "${sync[@]}" --log-level "$LOG_LEVEL" "$root/$SCRIPT" >"$(log_of "$s")" 2>&1 &
		pid[$s]=$!
		started+=("${pid[$s]}")
		;;
	kam)
		if [[ ! -f $anchor ]]; then why_out[$s]="no $anchor"; return 1; fi
		db_of[$s]=$out/kam/kamailio.sqlite
		if ! pid[$s]=$(KAM_AUTH=1 KAM_REALM=$REALM KAM_USERS="$kam_users" "${pin_server[@]}" \
			bash "$anchor" "$out/kam" "${port[$s]}" 1 2>"$work/kam-start.err"); then
			why_out[$s]="$anchor failed: $(tail -c 600 "$work/kam-start.err")"
			pid[$s]=""
			return 1
		fi
		started+=("${pid[$s]}")
		;;
	floor)
		mkdir -p "$out/floor"
		db_of[$s]="(none)"
		if ! cc -O2 -Wall -o "$out/floor/register_floor" "$root/tests/bench/register_floor.c" \
			>"$(log_of "$s")" 2>&1; then
			why_out[$s]="cc tests/bench/register_floor.c failed: $(tail -c 400 "$(log_of "$s")")"
			return 1
		fi
		"${pin_server[@]}" "$out/floor/register_floor" 127.0.0.1 "${port[$s]}" >>"$(log_of "$s")" 2>&1 &
		pid[$s]=$!
		started+=("${pid[$s]}")
		;;
	*) why_out[$s]="unknown server (moonsip, moonsip-full, kam, floor)"; return 1 ;;
	esac
	# ready: one registration through it, end to end (at most about 10 s)
	local i
	for i in $(seq 10); do
		if ! alive "${pid[$s]}"; then
			local st=0
			wait "${pid[$s]}" 2>/dev/null || st=$?
			why_out[$s]="exited at start (status $st); its log ends with:
$(server_log "$s" | tail -c 800 | sed 's/^/    /')"
			return 1
		fi
		if sipp_uac "${port[$s]}" -m 1 -r 1 -timeout 3 -recv_timeout 2000; then
			extra_done[$s]=1
			return 0
		fi
		sleep 0.3
	done
	why_out[$s]="no registration in 10 tries; SIPp said:
$(sipp_said)
  the server's log ends with:
$(server_log "$s" | tail -c 800 | sed 's/^/    /')"
	return 1
}

# wait_idle: until every server used under 3% of a core over 0.3 s (at most 40 s: the other
# server's transaction timers and late retransmissions), so that one's leftovers do not slow
# another
wait_idle() {
	local s c0 c1
	for s in $live; do
		for _ in $(seq 130); do
			read -r -a c0 <<<"$(cpu "${pid[$s]}")"
			sleep 0.3
			read -r -a c1 <<<"$(cpu "${pid[$s]}")"
			(((c1[1] - c0[1]) < 9000000)) && break
		done
	done
}

# pss PID: proportional set size in KiB summed over the process tree (Kamailio's shared memory
# counted once over its processes)
pss() {
	local p t=0 v
	for p in $(descendants "$1"); do
		v=$(awk '/^Pss:/ { print $2; exit }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

printf 'server\tmode\toffered\trep\tcreated\tsuccessful\tfailed\tretrans\telapsed_s\tregs_per_s\tserver_ticks\tserver_ns\tcpu_us_per_reg\tcpu_us_per_reg_ticks\tserver_cpu_pct\tsipp_cpu_pct\tserver_pss_kib\tsipp_rc\n' >"$tsv"

# measure SERVER MODE RATE REP: one SIPp run against one server, a line in the TSV.
# Returns 0 when the run was clean (no failed or unfinished registration, no retransmission,
# >= 95% of the offered rate answered), 1 otherwise.
measure() {
	local s=$1 mode=$2 rate=$3 rep=$4 c0 c1 st tm rc=0 dur
	dur=$([[ $mode == fixed ]] && echo "$DUR" || echo "$MAX_DUR")
	wait_idle
	read -r -a c0 <<<"$(cpu "${pid[$s]}")"
	sipp_uac "${port[$s]}" -r "$rate" -rp 1000 -l $((rate * 2 + 50)) -m $((rate * dur)) \
		-timeout $((dur + 12)) -recv_timeout 8000 || rc=$?
	read -r -a c1 <<<"$(cpu "${pid[$s]}")"
	read -r -a st <<<"$(stat_fields "$work/stat.csv")"
	read -r -a tm <<<"$(cat "$work/time")"
	awk -v s="$s" -v m="$mode" -v o="$rate" -v r="$rep" -v cr="${st[0]}" -v ok="${st[1]}" -v fl="${st[2]}" \
		-v re="${st[3]}" -v el="${st[4]}" -v tk=$((c1[0] - c0[0])) -v ns=$((c1[1] - c0[1])) -v hz="$HZ" \
		-v su="${tm[0]}" -v ss="${tm[1]}" -v pss="$(pss "${pid[$s]}")" -v rc="$rc" 'BEGIN {
		failed = cr - ok   # failed, plus any unfinished when SIPp stopped
		if (failed < fl) failed = fl
		printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.1f\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\n",
			s, m, o, r, cr, ok, failed, re, el, (el > 0 ? ok / el : 0), tk, ns,
			(ok ? ns / 1e3 / ok : 0), (ok ? tk * 1e6 / hz / ok : 0), (el > 0 ? ns / 1e7 / el : 0),
			(el > 0 ? 100 * (su + ss) / el : 0), pss, rc
	}' >>"$tsv"
	tail -1 "$tsv" | awk -F'\t' '{ printf "  %-12s %-5s %5d/s #%d: %6d regs ok (%6.0f/s), %d failed, %d retrans, %7.1f us CPU/reg (ticks %.0f), server %5.1f%% CPU, SIPp %5.1f%%, PSS %d KiB\n",
		$1, $2, $3, $4, $6, $10, $7, $8, $13, $14, $15, $16, $17 }'
	[[ $rc == 0 || $rc == 1 ]] || echo "    (SIPp exited with $rc)"
	if ! alive "${pid[$s]}"; then
		why_out[$s]="died during a $mode run at $rate/s"
		echo "  $s: FAILED: the server died ($(server_log "$s" | tail -c 300 | tr '\n' ' '))"
		live=$(echo " $live " | sed "s/ $s / /; s/^ //; s/ $//")
	fi
	tail -1 "$tsv" | awk -F'\t' '{ exit !($7 == 0 && $8 == 0 && $10 >= 0.95 * $3) }'
}

echo "Registrar benchmark (REGISTER with digest authentication, saved to SQLite, UDP), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r); files on $(df -T "$out" | awk 'NR == 2 { print $2, $1 }')"
fsync_us=$(dd if=/dev/zero of="$work/fsync.test" bs=4k count=500 oflag=dsync 2>&1 |
	awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.0f", $(i - 1) * 1e6 / 500 }')
rm -f "$work/fsync.test"
echo "disk: ${fsync_us:-?} us per 4 KiB write with fsync (dd oflag=dsync, 500 writes, before the runs)"
bin_desc="none"
[[ -x $bin ]] && bin_desc="$("$bin" --version 2>&1 | head -1) (tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), binary $(date -u -r "$bin" '+%Y-%m-%d %H:%M'))${build_note:+ $build_note}"
echo "moonsip: $bin_desc, script $SCRIPT, MOONSIP_DIGEST=MD5$([[ $db_sync_ok == 1 ]] || echo ', no --db-sync option (its default)')${users_note:+; $users_note}"
echo "$(kamailio -v 2>&1 | head -1); sipp: $(sipp -v 2>&1 | awk 'NF { print $1, $2; exit }'); sqlite3 $(sqlite3 --version | awk '{ print $1 }')"
echo "servers on CPU $SERVER_CPU, SIPp on CPU $SIPP_CPU; $USERS users; fixed: $RATES regs/s for ${DUR}s x $REPS; max: $MAX_RATES for ${MAX_DUR}s"
echo

live=""
for s in $SERVERS; do
	if start_server "$s"; then
		live="$live $s"
		echo "$s: pid ${pid[$s]}, port ${port[$s]}, file ${db_of[$s]#"$root"/}: registers users"
	else
		echo "$s: FAILED: ${why_out[$s]}"
		[[ -n ${pid[$s]:-} ]] && stop_pid "${pid[$s]}"
	fi
done
live=${live# }
if [[ -z $live ]]; then
	echo "no server registers users; nothing to measure" >&2
	exit 1
fi
# shellcheck disable=SC2119 # warm_up takes SIPp arguments; none needed here
warm_up
fixed_phase
drain_phase
max_phase

# bindings in each file, and what the logs say, while the servers still run
declare -A bindings
for s in $live; do
	[[ $s == floor ]] && { bindings[$s]="(none kept)"; continue; }
	q=$([[ $s == kam ]] && echo "SELECT count(*) FROM location" || echo "SELECT count(*) FROM bindings")
	bindings[$s]=$(sqlite3 -readonly "${db_of[$s]}" "$q" 2>&1 | tail -1)
done

# ---- summary ------------------------------------------------------------------------
echo
echo "fixed rates: medians of $REPS runs (failed registrations and retransmissions: totals over the runs)"
summary=$(awk -F'\t' 'NR > 1 && $2 == "fixed" {
		k = $1 "\t" $3
		if (!(k in n)) order[++nk] = k
		i = ++n[k]; rps[k, i] = $10; us[k, i] = $13; tk[k, i] = $14; scpu[k, i] = $15; sipp[k, i] = $16
		fail[k] += $7; ret[k] += $8
	}
	function med(a, k, m,    i, j, v, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		for (o = 1; o <= nk; o++) { k = order[o]; split(k, f, "\t"); if (f[1] == "kam") kam[f[2]] = med(us, k, n[k]) }
		print "server\toffered/s\tregs/s\tfailed\tretrans\tCPU_us/reg\t(ticks)\tvs_kam\tserver_CPU%\tSIPp_CPU%"
		for (o = 1; o <= nk; o++) {
			k = order[o]; m = n[k]; split(k, f, "\t"); u = med(us, k, m)
			printf "%s\t%.0f\t%d\t%d\t%.1f\t%.0f\t%s\t%.1f\t%.0f\n", k, med(rps, k, m), fail[k], ret[k],
				u, med(tk, k, m), (kam[f[2]] > 0 ? sprintf("%.2fx", u / kam[f[2]]) : "-"), med(scpu, k, m), med(sipp, k, m)
		}
	}' "$tsv")
echo "$summary" | column -t -s $'\t'
echo "(vs_kam: CPU per registration over Kamailio's at the same offered rate)"
[[ -f $work/drain.txt ]] && { echo; cat "$work/drain.txt"; }
echo
echo "highest rate with zero failed registrations (and no retransmission, >= 95% of the offered rate answered), ${MAX_DUR}s runs:"
for s in $SERVERS; do
	if [[ -n ${why_out[$s]:-} && " $live " != *" $s "* ]]; then
		echo "  $s: FAILED: ${why_out[$s]%%$'\n'*}"
		continue
	fi
	line="  $s: ${best[$s]:-none}${best[$s]:+ regs/s}"
	if [[ -n ${stop_at[$s]:-} ]]; then
		line="$line (next step ${stop_at[$s]})"
	else
		line="$line (every rate up to the last of MAX_RATES was clean: the limit is higher)"
	fi
	echo "$line"
done
echo
echo "at the end: bindings in each file ($USERS expected); warnings and errors in each log"
for s in $live; do
	logf=$(log_of "$s")
	if [[ $s == kam ]]; then
		pat='ERROR|WARNING|CRITICAL|ALERT'
	else
		pat=' (warn|error):'
	fi
	nlog=$(grep -cE "$pat" "$logf" 2>/dev/null || true)
	first=""
	[[ ${nlog:-0} -gt 0 ]] && first=", the first: $(grep -m1 -E "$pat" "$logf" | cut -c1-200)"
	echo "  $s: ${bindings[$s]:-?} bindings; ${nlog:-0} warning/error lines in ${logf#"$root"/}$first"
done
for s in $SERVERS; do
	[[ -n ${why_out[$s]:-} && " $live " != *" $s "* ]] || continue
	echo
	echo "$s: FAILED, not measured: ${why_out[$s]}"
done
echo
echo "raw results: ${tsv#"$root"/}"
echo "command: ${cmd_env}bash tests/bench/register.sh"
