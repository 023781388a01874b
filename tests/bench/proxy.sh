#!/bin/bash
# Proxy benchmark: calls per second sustained and proxy CPU time per call, over UDP, a call
# being INVITE, 100, 180, 200, ACK, BYE, 200 through the proxy by the RFC 3261 dialog rules
# (SIPp tests/sipp/uac-rr.xml -> proxy -> tests/sipp/uas-rr.xml, ACK and BYE along the
# Record-Route), for
#   moonsip   `moonsip run scripts/default.lua` (one process), MOONSIP_FALLBACK=sip:127.0.0.1:UAS
#             (the script record-routes, looks the callee up in its registrar (an empty file in
#             the work dir) and, as the callee is no user there, relays the call to the fallback)
#   kam-lua   the reference Kamailio of ../shared/anchors/kamailio (KEMI Lua, one worker,
#             KAM_FALLBACK=sip:127.0.0.1:UAS), UDP only
# Both servers are started once, each with a SIPp UAS (uas-rr.xml) of its own as the fallback,
# and run side by side: servers pinned to SERVER_CPU, every SIPp (UAC and UASs) to SIPP_CPU.
#
# Two phases, each interleaved (rate, repetition, then server) so that whatever else the machine
# does falls on both alike:
#   fixed  every rate of RATES for DUR s, REPS times: CPU per call from the server's own
#          accounting (schedstat run time summed over the server's processes, tests/bench/cpu.sh;
#          utime+stime ticks as a check) divided by the successful calls, at the same offered rate;
#   max    MAX_RATES in turn for MAX_DUR s until a run has a failed (or unfinished) call, a
#          retransmission, or answers less than 95% of the offered rate: the highest rate before
#          that is the server's "highest rate with zero failed calls".
# Before each measurement the script waits until both servers are idle (the other's timers and
# retransmissions must not share the core). A server that cannot relay a call at start (or
# dies) is reported as FAILED and left out; the other one is still measured.
#
# usage (from the repository root): bash tests/bench/proxy.sh
# env:  RATES="200 500 1000"   offered calls/s of the fixed phase     DUR=10  REPS=3
#       MAX_RATES="500 1000 1500 2000 3000 4000 5000 6000 8000"       MAX_DUR=10
#       HOLD_MS=0              pause between ACK and BYE (SIPp -d)
#       DRAIN=1                after the fixed phase, wait out the transaction timers (33 s) and
#                              report CPU per call over each server's whole life so far
#       SERVERS="moonsip kam-lua"   SERVER_CPU=1 SIPP_CPU=0   BASE_PORT=28060
#       SCRIPT=scripts/default.lua  BIN=build/bench-proxy/moonsip
#       REBUILD=1 (default) incremental `cmake --build build/bench-proxy --target moonsip` first;
#                 if that fails the existing binary is used (with a warning); REBUILD=0 skips it
# Output: a table on stdout; raw results (every run) in build/bench-proxy/proxy-results.tsv.
# Takes about 7 minutes with the defaults (fixed: 2 x REPS x RATES x DUR; max: up to 2 x MAX_RATES x MAX_DUR).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RATES=${RATES:-"200 500 1000"}
DUR=${DUR:-10}
REPS=${REPS:-3}
MAX_RATES=${MAX_RATES:-"500 1000 1500 2000 3000 4000 5000 6000 8000"}
MAX_DUR=${MAX_DUR:-10}
HOLD_MS=${HOLD_MS:-0}
DRAIN=${DRAIN:-1}
SERVERS=${SERVERS:-"moonsip kam-lua"}
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
SCRIPT=${SCRIPT:-scripts/default.lua}
bin=${BIN:-$root/build/bench-proxy/moonsip}
out=$root/build/bench-proxy
tsv=$out/proxy-results.tsv
uac_xml=$root/tests/sipp/uac-rr.xml
uas_xml=$root/tests/sipp/uas-rr.xml
anchor=$root/../shared/anchors/kamailio/start.sh
HZ=$(getconf CLK_TCK)
mkdir -p "$out"

# ---- prerequisites ---------------------------------------------------------
apt_install() {
	apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
command -v sipp >/dev/null || apt_install sip-tester
if ! command -v kamailio >/dev/null || [[ ! -f /usr/lib/x86_64-linux-gnu/kamailio/modules/app_lua.so ]]; then
	apt_install kamailio kamailio-lua-modules kamailio-sqlite-modules sqlite3
fi
build_note=""
if [[ " $SERVERS " == *" moonsip "* && ${REBUILD:-1} == 1 && -z ${BIN:-} ]]; then
	if ! { cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release >"$out/build.log" 2>&1 &&
		cmake --build "$out" -j"$(nproc)" --target moonsip >>"$out/build.log" 2>&1; }; then
		build_note="(build FAILED, see ${out#"$root"/}/build.log; using the binary left from an earlier build)"
		echo "warning: building moonsip failed: $(grep -m1 -E 'error' "$out/build.log" || tail -1 "$out/build.log")" >&2
	fi
fi
if [[ $(nproc) -ge 2 ]]; then
	pin_server=(taskset -c "$SERVER_CPU"); pin_sipp=(taskset -c "$SIPP_CPU")
else
	pin_server=(); pin_sipp=(); echo "warning: one core, SIPp and the servers share it" >&2
fi

work=$(mktemp -d /tmp/moonsip-proxybench.XXXXXX)
declare -A pid port uas_pid uas_port extra_done why_out
started=() # PIDs this script started (servers and SIPp UASs), stopped on exit
. tests/bench/cpu.sh # descendants, cpu, alive, stop_pid
cleanup() {
	local p
	for p in "${started[@]}"; do stop_pid "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

next_port=${BASE_PORT:-28060}
UNIT=calls
. tests/bench/phases.sh # warm_up, fixed_phase, drain_phase, max_phase
. tests/bench/sipp.sh # free_port, stat_fields
free_port
uac_port=$fp

# sipp_uac PORT ARGS...: one UAC run against a proxy, pinned, bounded; statistics in
# $work/stat.csv, its output in $work/sipp.out, its CPU (user sys real, s) in $work/time
sipp_uac() {
	local p=$1
	shift
	rm -f "$work/stat.csv" "$work/sipp.err"
	local TIMEFORMAT='%3U %3S %3R' rc=0
	{ time "${pin_sipp[@]}" timeout 120 sipp -sf "$uac_xml" "127.0.0.1:$p" -s bench -i 127.0.0.1 -p "$uac_port" \
		-t u1 -nostdin -buff_size 4194304 -trace_stat -stf "$work/stat.csv" -fd 3600 -d "$HOLD_MS" \
		-trace_err -error_file "$work/sipp.err" "$@" >"$work/sipp.out" 2>&1 || rc=$?; } 2>"$work/time"
	return $rc
}
sipp_said() { # the last lines SIPp wrote, for a failure report
	{ tail -c 1500 "$work/sipp.err" 2>/dev/null; grep -E 'Successful call|Failed call|rror' "$work/sipp.out" | tail -4; } | sed 's/^/    /'
}

server_log() { # SERVER: its log so far
	case $1 in
	kam-lua) cat "$work/kam/kamailio.log" 2>/dev/null ;;
	*) cat "$work/$1.log" 2>/dev/null ;;
	esac
}

# start_server NAME: a UAS of its own, then the server; sets pid[], port[], uas_pid[], uas_port[]
start_server() {
	local s=$1
	free_port
	uas_port[$s]=$fp
	"${pin_sipp[@]}" sipp -sf "$uas_xml" -i 127.0.0.1 -p "$fp" -t u1 -nostdin -buff_size 4194304 \
		-trace_stat -stf "$work/uas-$s.csv" -fd 1 -trace_err -error_file "$work/uas-$s.err" \
		>"$work/uas-$s.out" 2>&1 &
	uas_pid[$s]=$!
	started+=("${uas_pid[$s]}")
	free_port
	port[$s]=$fp
	case $s in
	moonsip)
		if [[ ! -x $bin ]]; then why_out[$s]="no binary $bin"; return 1; fi
		MOONSIP_FALLBACK="sip:127.0.0.1:${uas_port[$s]}" "${pin_server[@]}" "$bin" run \
			--listen "udp:127.0.0.1:${port[$s]}" --log-level warn --db "$work/moonsip.db" \
			"$root/$SCRIPT" >"$work/$s.log" 2>&1 &
		pid[$s]=$!
		started+=("${pid[$s]}")
		;;
	kam-lua)
		if [[ ! -f $anchor ]]; then why_out[$s]="no $anchor"; return 1; fi
		if ! pid[$s]=$(KAM_FALLBACK="sip:127.0.0.1:${uas_port[$s]}" "${pin_server[@]}" bash "$anchor" "$work/kam" "${port[$s]}" 1 2>"$work/kam-start.err"); then
			why_out[$s]="$anchor failed: $(tail -c 600 "$work/kam-start.err")"
			pid[$s]=""
			return 1
		fi
		started+=("${pid[$s]}")
		;;
	*) why_out[$s]="unknown server (moonsip, kam-lua)"; return 1 ;;
	esac
	# ready: one call through it, end to end (at most about 10 s)
	local i
	for i in $(seq 10); do
		if ! alive "${pid[$s]}"; then
			local st=0
			wait "${pid[$s]}" 2>/dev/null || st=$?
			why_out[$s]="exited at start (status $st); its log ends with:
$(server_log "$s" | tail -c 800 | sed 's/^/    /')"
			return 1
		fi
		if sipp_uac "${port[$s]}" -m 1 -r 1 -timeout 3 -recv_timeout 2000 -default_behaviors all,-bye; then
			extra_done[$s]=1
			return 0
		fi
		sleep 0.3
	done
	why_out[$s]="no call relayed in 10 tries; SIPp said:
$(sipp_said)
  the server's log ends with:
$(server_log "$s" | tail -c 800 | sed 's/^/    /')"
	return 1
}

# wait_idle: until every server used under 3% of a core over 0.3 s (at most 40 s: Timer B,
# H and J of the other server's late calls), so that one's leftovers do not slow the other
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

uas_failed() { # SERVER: failed calls so far at its UAS
	local f
	read -r -a f <<<"$(stat_fields "$work/uas-$1.csv")"
	echo "${f[2]}"
}

printf 'server\tmode\toffered\trep\tcreated\tsuccessful\tfailed\tretrans\telapsed_s\tcalls_per_s\tserver_ticks\tserver_ns\tcpu_us_per_call\tcpu_us_per_call_ticks\tserver_cpu_pct\tsipp_cpu_pct\tuas_failed\tsipp_rc\n' >"$tsv"

# measure SERVER MODE RATE REP: one UAC run through one server, a line in the TSV.
# Returns 0 when the run was clean (no failed or unfinished call, no retransmission, >= 95%
# of the offered rate answered), 1 otherwise.
measure() {
	local s=$1 mode=$2 rate=$3 rep=$4 c0 c1 u0 u1 st tm rc=0 dur uf0 uf1
	dur=$([[ $mode == fixed ]] && echo "$DUR" || echo "$MAX_DUR")
	wait_idle
	uf0=$(uas_failed "$s")
	read -r -a c0 <<<"$(cpu "${pid[$s]}")"
	read -r -a u0 <<<"$(cpu "${uas_pid[$s]}")"
	sipp_uac "${port[$s]}" -r "$rate" -rp 1000 -l $((rate * (2 + HOLD_MS / 1000) + 50)) -m $((rate * dur)) \
		-timeout $((dur + 12)) -recv_timeout 8000 || rc=$?
	read -r -a c1 <<<"$(cpu "${pid[$s]}")"
	read -r -a u1 <<<"$(cpu "${uas_pid[$s]}")"
	read -r -a st <<<"$(stat_fields "$work/stat.csv")"
	read -r -a tm <<<"$(cat "$work/time")"
	uf1=$(uas_failed "$s")
	awk -v s="$s" -v m="$mode" -v o="$rate" -v r="$rep" -v cr="${st[0]}" -v ok="${st[1]}" -v fl="${st[2]}" \
		-v re="${st[3]}" -v el="${st[4]}" -v tk=$((c1[0] - c0[0])) -v ns=$((c1[1] - c0[1])) -v hz="$HZ" \
		-v su="${tm[0]}" -v ss="${tm[1]}" -v uns=$((u1[1] - u0[1])) -v uf=$((uf1 - uf0)) -v rc="$rc" 'BEGIN {
		failed = cr - ok   # failed, plus any unfinished when SIPp stopped
		if (failed < fl) failed = fl
		printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.1f\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\n",
			s, m, o, r, cr, ok, failed, re, el, (el > 0 ? ok / el : 0), tk, ns,
			(ok ? ns / 1e3 / ok : 0), (ok ? tk * 1e6 / hz / ok : 0), (el > 0 ? ns / 1e7 / el : 0),
			(el > 0 ? 100 * (su + ss + uns / 1e9) / el : 0), uf, rc
	}' >>"$tsv"
	tail -1 "$tsv" | awk -F'\t' '{ printf "  %-8s %-5s %5d/s #%d: %6d calls ok (%6.0f/s), %d failed, %d retrans, %7.1f us CPU/call (ticks %.0f), server %5.1f%% CPU, SIPp %5.1f%%%s\n",
		$1, $2, $3, $4, $6, $10, $7, $8, $13, $14, $15, $16, ($17 > 0 ? ", UAS failed " $17 : "") }'
	[[ $rc == 0 || $rc == 1 ]] || echo "    (SIPp exited with $rc)"
	if ! alive "${pid[$s]}"; then
		why_out[$s]="died during a $mode run at $rate/s"
		echo "  $s: FAILED: the server died ($(server_log "$s" | tail -c 300 | tr '\n' ' '))"
		live=$(echo " $live " | sed "s/ $s / /; s/^ //; s/ $//")
	fi
	tail -1 "$tsv" | awk -F'\t' '{ exit !($7 == 0 && $8 == 0 && $10 >= 0.95 * $3) }'
}

echo "Proxy benchmark (calls through the proxy, UDP), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r)"
bin_desc="none"
[[ -x $bin ]] && bin_desc="$("$bin" --version 2>&1 | head -1) (tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), binary $(date -u -r "$bin" '+%Y-%m-%d %H:%M'))${build_note:+ $build_note}"
echo "moonsip: $bin_desc, script $SCRIPT"
echo "$(kamailio -v 2>&1 | head -1); sipp: $(sipp -v 2>&1 | awk 'NF { print $1, $2; exit }')"
echo "servers on CPU $SERVER_CPU, SIPp UAC and UASs on CPU $SIPP_CPU; hold ${HOLD_MS} ms; fixed: $RATES calls/s for ${DUR}s x $REPS; max: $MAX_RATES for ${MAX_DUR}s"
echo

live=""
for s in $SERVERS; do
	if start_server "$s"; then
		live="$live $s"
		echo "$s: pid ${pid[$s]}, port ${port[$s]}, its UAS on ${uas_port[$s]} (pid ${uas_pid[$s]}): relays calls"
	else
		echo "$s: FAILED: ${why_out[$s]}"
		[[ -n ${pid[$s]:-} ]] && stop_pid "${pid[$s]}"
	fi
done
live=${live# }
if [[ -z $live ]]; then
	echo "no server relays calls; nothing to measure" >&2
	exit 1
fi
warm_up -default_behaviors all,-bye
fixed_phase
drain_phase
max_phase

# ---- summary ------------------------------------------------------------------------
echo
echo "fixed rates: medians of $REPS runs (failed calls and retransmissions: totals over the runs)"
summary=$(awk -F'\t' 'NR > 1 && $2 == "fixed" {
		k = $1 "\t" $3
		if (!(k in n)) order[++nk] = k
		i = ++n[k]; cps[k, i] = $10; us[k, i] = $13; tk[k, i] = $14; scpu[k, i] = $15; sipp[k, i] = $16
		fail[k] += $7; ret[k] += $8; uf[k] += $17
	}
	function med(a, k, m,    i, j, v, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		print "server\toffered/s\tcalls/s\tfailed\tretrans\tUAS_failed\tCPU_us/call\t(ticks)\tserver_CPU%\tSIPp_CPU%"
		for (o = 1; o <= nk; o++) {
			k = order[o]; m = n[k]
			printf "%s\t%.0f\t%d\t%d\t%d\t%.1f\t%.0f\t%.1f\t%.0f\n", k, med(cps, k, m), fail[k], ret[k], uf[k],
				med(us, k, m), med(tk, k, m), med(scpu, k, m), med(sipp, k, m)
		}
	}' "$tsv")
echo "$summary" | column -t -s $'\t'
if [[ " $live " == *" moonsip "* && " $live " == *" kam-lua "* ]]; then
	echo
	echo "CPU per call, moonsip / Kamailio, same offered rate:"
	echo "$summary" | awk -F'\t' 'NR > 1 { c[$1, $2] = $7; if ($1 == "moonsip") r[++n] = $2 }
		END { for (i = 1; i <= n; i++) if (c["kam-lua", r[i]] > 0)
			printf "  %6s/s: %.1f us vs %.1f us = %.2fx\n", r[i], c["moonsip", r[i]], c["kam-lua", r[i]], c["moonsip", r[i]] / c["kam-lua", r[i]] }'
fi
[[ -f $work/drain.txt ]] && { echo; cat "$work/drain.txt"; }
echo
echo "highest rate with zero failed calls (and no retransmission, >= 95% of the offered rate answered), ${MAX_DUR}s runs:"
for s in $SERVERS; do
	if [[ -n ${why_out[$s]:-} && " $live " != *" $s "* ]]; then
		echo "  $s: FAILED: ${why_out[$s]%%$'\n'*}"
		continue
	fi
	line="  $s: ${best[$s]:-none}${best[$s]:+ calls/s}"
	if [[ -n ${stop_at[$s]:-} ]]; then
		line="$line (next step ${stop_at[$s]})"
	else
		line="$line (every rate up to the last of MAX_RATES was clean: the limit is higher)"
	fi
	echo "$line"
done
for s in $SERVERS; do
	[[ -n ${why_out[$s]:-} && " $live " != *" $s "* ]] || continue
	echo
	echo "$s: FAILED, not measured: ${why_out[$s]}"
done
echo
echo "raw results: ${tsv#"$root"/}"
