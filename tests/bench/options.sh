#!/bin/bash
# OPTIONS benchmark (issue 3): OPTIONS answered per second and server CPU time
# per OPTIONS, over UDP and TCP, with SIPp as the load, for
#   moonsip      `moonsip run` (one process, one thread), a server transaction per request
#   kam-lua      the reference Kamailio of ../shared/anchors/kamailio (KEMI Lua, sl reply, UDP only)
#   kam-sl       Kamailio with tests/bench/kamailio-options.cfg (native cfg, sl reply only)
# all started one after another by this script, each pinned to one core while
# SIPp runs on the other.
#
# usage (from the repository root): bash tests/bench/options.sh
# env:  RATES="2000 5000 10000"  offered rates for the equal-rate runs (calls/s)
#       DUR=5                    seconds per equal-rate run
#       REPS=3                   repetitions of every measurement (the table shows the median)
#       MAX_LIMIT_UDP=200        SIPp -l (calls in flight) for the maximum-rate runs over UDP
#       MAX_LIMIT_TCP=500        ... and over TCP (one connection)
#       MAX_DUR=4                seconds per maximum-rate run
#       DRAIN=1                  after moonsip's UDP runs, wait out Timer J (64*T1 = 32 s) and
#                                report CPU per OPTIONS over the whole UDP phase, drain included
#       SERVERS="moonsip kam-lua kam-sl"
#       SERVER_CPU=1 SIPP_CPU=0  cores for taskset
#       REBUILD=1                rebuild build/bench/moonsip even when it exists
# Raw results (every run): build/bench/options-results.tsv.  Takes about 7 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RATES=${RATES:-"2000 5000 10000"}
DUR=${DUR:-5}
REPS=${REPS:-3}
MAX_LIMIT_UDP=${MAX_LIMIT_UDP:-200}
MAX_LIMIT_TCP=${MAX_LIMIT_TCP:-500}
MAX_DUR=${MAX_DUR:-4}
DRAIN=${DRAIN:-1}
SERVERS=${SERVERS:-"moonsip kam-lua kam-sl"}
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
scenario=$root/tests/bench/options-uac.xml
kamcfg=$root/tests/bench/kamailio-options.cfg
anchor=$root/../shared/anchors/kamailio/start.sh
bin=$root/build/bench/moonsip
tsv=$root/build/bench/options-results.tsv
HZ=$(getconf CLK_TCK)

# ---- prerequisites ---------------------------------------------------------
apt_install() {
	apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
command -v sipp >/dev/null || apt_install sip-tester
if ! command -v kamailio >/dev/null || [[ ! -f /usr/lib/x86_64-linux-gnu/kamailio/modules/app_lua.so ]]; then
	apt_install kamailio kamailio-lua-modules kamailio-sqlite-modules sqlite3
fi
if [[ ! -x $bin || ${REBUILD:-0} == 1 ]]; then
	cmake -S "$root" -B "$root/build/bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$root/build/bench" -j"$(nproc)" --target moonsip >/dev/null
fi
if [[ $(nproc) -ge 2 ]]; then
	pin_server=(taskset -c "$SERVER_CPU"); pin_sipp=(taskset -c "$SIPP_CPU")
else
	pin_server=(); pin_sipp=(); echo "warning: one core, SIPp and the server share it" >&2
fi

work=$(mktemp -d /tmp/moonsip-options.XXXXXX)
started=()   # PIDs this script started (servers); stopped on exit
cleanup() {
	local p
	for p in "${started[@]}"; do stop_server "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. tests/bench/cpu.sh # descendants, cpu, alive, stop_pid
# machine_busy: CPU ticks the whole machine spent not idle (all cores, /proc/stat)
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
stop_server() {
	local pid=$1
	stop_pid "$pid"
	local keep=() p
	for p in "${started[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
	started=("${keep[@]}")
}

next_port=${BASE_PORT:-26060}
. tests/bench/sipp.sh # free_port, stat_fields

# sipp_run PORT TRANSPORT(u1|t1) ARGS...: runs SIPp pinned, leaves its statistics in
# $work/stat.csv and its CPU (user sys real, seconds) in $work/time.
free_port
sipp_port=$fp
sipp_run() {
	local port=$1 t=$2
	shift 2
	rm -f "$work/stat.csv"
	local TIMEFORMAT='%3U %3S %3R' rc=0
	{ time "${pin_sipp[@]}" timeout 60 sipp -sf "$scenario" "127.0.0.1:$port" -i 127.0.0.1 -p "$sipp_port" \
		-t "$t" -nostdin -buff_size 4194304 -trace_stat -stf "$work/stat.csv" -fd 3600 \
		"$@" >"$work/sipp.out" 2>&1 || rc=$?; } 2>"$work/time"
	return $rc
}
wait_ready() { # PORT TRANSPORT
	local i
	for i in $(seq 40); do
		sipp_run "$1" "$2" -m 1 -r 1 -timeout 2 -recv_timeout 1000 && return 0
		sleep 0.25
	done
	echo "server on port $1 ($2) never answered OPTIONS; SIPp said:" >&2
	cat "$work/sipp.out" >&2
	return 1
}

printf 'server\ttransport\tmode\toffered\trep\tcreated\tanswered\tfailed\tretrans\telapsed_s\tanswered_per_s\tserver_ticks\tserver_ns\tcpu_us_per_req_ticks\tcpu_us_per_req_ns\treq_per_cpu_s\tserver_cpu_pct\tsipp_cpu_pct\tserver_rss_kb\tothers_cpu_pct\n' >"$tsv"

# measure SERVER PID PORT TRANSPORT MODE OFFERED REP
measure() {
	local server=$1 pid=$2 port=$3 t=$4 mode=$5 rate=$6 rep=$7 c0 c1 st tm rc=0
	local m0 m1
	m0=$(machine_busy)
	read -r -a c0 <<<"$(cpu "$pid")"
	if [[ $mode == fixed ]]; then
		sipp_run "$port" "$t" -r "$rate" -rp 1000 -l "$rate" -m $((rate * DUR)) -timeout $((DUR + 10)) || rc=$?
	else
		sipp_run "$port" "$t" -r 200000 -rp 1000 -l "$([[ $t == u1 ]] && echo "$MAX_LIMIT_UDP" || echo "$MAX_LIMIT_TCP")" -m 100000000 -timeout "$MAX_DUR" || rc=$?
	fi
	read -r -a c1 <<<"$(cpu "$pid")"
	m1=$(machine_busy)
	read -r -a st <<<"$(stat_fields)"
	read -r -a tm <<<"$(cat "$work/time")"
	local rss
	rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
	awk -v s="$server" -v t="$t" -v m="$mode" -v o="$rate" -v r="$rep" \
		-v cr="${st[0]}" -v ok="${st[1]}" -v fl="${st[2]}" -v re="${st[3]}" -v el="${st[4]}" \
		-v tk=$((c1[0] - c0[0])) -v ns=$((c1[1] - c0[1])) -v hz="$HZ" \
		-v su="${tm[0]}" -v ss="${tm[1]}" -v sr="${tm[2]}" -v rss="$rss" -v mb=$((m1 - m0)) 'BEGIN {
		tr = (t == "u1") ? "udp" : "tcp"
		failed = fl + (cr - ok - fl)   # failed, plus any still unanswered when SIPp stopped
		cpus = ns / 1e9
		others = (sr > 0) ? 100 * (mb / hz - tk / hz - su - ss) / sr : 0
		if (others < 0) others = 0
		printf "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.0f\t%d\t%d\t%.2f\t%.2f\t%.0f\t%.1f\t%.1f\t%d\t%.1f\n",
			s, tr, m, (m == "fixed" ? o : "max"), r, cr, ok, failed, re, el, (el > 0 ? ok / el : 0),
			tk, ns, (ok ? tk * 1e6 / hz / ok : 0), (ok ? ns / 1e3 / ok : 0), (tk > 0 ? ok * hz / tk : 0),
			(el > 0 ? 100 * cpus / el : 0), (sr > 0 ? 100 * (su + ss) / sr : 0), rss, others
	}' >>"$tsv"
	tail -1 "$tsv" | awk -F'\t' '{ printf "  %-8s %s %-5s %6s #%d: %7d answered (%6.0f/s), %d failed, %d retrans, %6.2f us/req (ticks %.1f), server %5.1f%% CPU, SIPp %5.1f%%, others %4.1f%%\n",
		$1, $2, $3, $4, $5, $7, $11, $8, $9, $15, $14, $17, $18, $20 }'
	[[ $rc == 0 || $rc == 1 ]] || echo "  (SIPp exited with $rc)"
}

# bench SERVER PID PORT TRANSPORT: warm-up, equal rates, maximum rate
bench() {
	local server=$1 pid=$2 port=$3 t=$4 r i
	wait_ready "$port" "$t"
	if [[ $t == u1 ]]; then # idle cost of the server (all its processes) over 3 s, no traffic
		local c0 c1
		read -r -a c0 <<<"$(cpu "$pid")"
		sleep 3
		read -r -a c1 <<<"$(cpu "$pid")"
		awk -v s="$server" -v ns=$((c1[1] - c0[1])) 'BEGIN { printf "  %-8s idle: %.2f ms CPU per second\n", s, ns / 1e6 / 3 }' |
			tee -a "$work/idle.txt"
	fi
	sipp_run "$port" "$t" -r 2000 -m 2000 -timeout 10 || true   # warm-up, not counted
	for r in $RATES; do
		for i in $(seq "$REPS"); do measure "$server" "$pid" "$port" "$t" fixed "$r" "$i"; done
	done
	for i in $(seq "$REPS"); do measure "$server" "$pid" "$port" "$t" max 0 "$i"; done
}


echo "OPTIONS benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r)"
echo "moonsip: $("$bin" --version 2>&1 | head -1) (tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), binary $(date -u -r "$bin" '+%Y-%m-%d %H:%M')); $(kamailio -v 2>&1 | head -1); sipp: $(sipp -v 2>&1 | awk 'NF { print $1, $2; exit }')"
echo "server on CPU $SERVER_CPU, SIPp on CPU $SIPP_CPU; rates: $RATES/s for ${DUR}s; max: -l $MAX_LIMIT_UDP (udp) / $MAX_LIMIT_TCP (tcp) for ${MAX_DUR}s; $REPS repetitions"

for server in $SERVERS; do
	free_port
	port=$fp
	case $server in
	moonsip)
		"${pin_server[@]}" "$bin" run --listen "udp:127.0.0.1:$port" --listen "tcp:127.0.0.1:$port" \
			--log-level warn >"$work/moonsip.log" 2>&1 &
		pid=$!
		started+=("$pid")
		echo "moonsip (pid $pid, port $port)"
		bench moonsip "$pid" "$port" u1
		if [[ $DRAIN == 1 ]]; then
			# Timer J keeps every UDP non-INVITE server transaction for 64*T1 = 32 s; the
			# CPU of ending them falls outside the windows above, so measure the whole phase.
			sleep 33
			read -r -a c <<<"$(cpu "$pid")"
			awk -F'\t' -v ns="${c[1]}" -v hz="$HZ" -v tk="${c[0]}" '$1 == "moonsip" && $2 == "udp" { n += $7 }
				END { printf "  moonsip udp whole phase incl. Timer J drain: %d answered, %.2f us/req (ticks %.2f) over the process lifetime (warm-ups included)\n",
					n, ns / 1e3 / (n + 2000 + 1), tk * 1e6 / hz / (n + 2000 + 1) }' "$tsv" | tee "$work/drain.txt"
		fi
		bench moonsip "$pid" "$port" t1
		stop_server "$pid"
		;;
	kam-lua)
		pid=$("${pin_server[@]}" bash "$anchor" "$work/kam-anchor" "$port" 1)
		started+=("$pid")
		echo "kam-lua (pid $pid, port $port, ../shared/anchors/kamailio)"
		bench kam-lua "$pid" "$port" u1
		stop_server "$pid"
		;;
	kam-sl)
		"${pin_server[@]}" kamailio -f "$kamcfg" -DD -E -m 256 -M 16 -l "udp:127.0.0.1:$port" \
			-l "tcp:127.0.0.1:$port" >"$work/kam-sl.log" 2>&1 &
		pid=$!
		started+=("$pid")
		echo "kam-sl (pid $pid, port $port, tests/bench/kamailio-options.cfg)"
		bench kam-sl "$pid" "$port" u1
		bench kam-sl "$pid" "$port" t1
		stop_server "$pid"
		;;
	*) echo "unknown server $server" >&2; exit 2 ;;
	esac
done

# ---- summary: the median of the repetitions, failures summed over them --------
echo
echo "medians of $REPS runs (failures and retransmissions: total over the runs)"
summary=$(awk -F'\t' 'NR > 1 {
		k = $1 "\t" $2 "\t" $4
		if (!(k in n)) order[++nk] = k
		i = ++n[k]; ans[k, i] = $11; cpu[k, i] = $14; cns[k, i] = $15; rps[k, i] = $16; scpu[k, i] = $17; sipp[k, i] = $18; oth[k, i] = $20
		fail[k] += $8; ret[k] += $9
	}
	function med(a, k, m,    i, j, v, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		print "server\ttransport\toffered/s\tanswered/s\tfailed\tretrans\tCPU_us/OPTIONS\t(schedstat)\tOPTIONS/CPU-s\tserver_CPU%\tSIPp_CPU%\tothers_CPU%"
		for (o = 1; o <= nk; o++) {
			k = order[o]; m = n[k]
			printf "%s\t%.0f\t%d\t%d\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.0f\n", k, med(ans, k, m), fail[k], ret[k],
				med(cpu, k, m), med(cns, k, m), med(rps, k, m), med(scpu, k, m), med(sipp, k, m), med(oth, k, m)
		}
	}' "$tsv")
echo "$summary" | column -t -s $'\t'
echo
echo "moonsip OPTIONS per CPU-second divided by Kamailio's, same transport and offered rate:"
echo "$summary" | awk -F'\t' 'NR > 1 { r[$1, $2, $3] = $9; if ($1 == "moonsip") keys[$2 "\t" $3] = 1 }
	END {
		for (k in keys) {
			split(k, a, "\t")
			line = sprintf("  %s %6s/s:", a[1], a[2])
			if ((("kam-lua" SUBSEP a[1] SUBSEP a[2]) in r) && r["kam-lua", a[1], a[2]] > 0)
				line = line sprintf("  vs kam-lua %.2fx", r["moonsip", a[1], a[2]] / r["kam-lua", a[1], a[2]])
			if ((("kam-sl" SUBSEP a[1] SUBSEP a[2]) in r) && r["kam-sl", a[1], a[2]] > 0)
				line = line sprintf("  vs kam-sl %.2fx", r["moonsip", a[1], a[2]] / r["kam-sl", a[1], a[2]])
			print line
		}
	}' | sort
[[ -f $work/drain.txt ]] && cat "$work/drain.txt"
[[ -f $work/idle.txt ]] && cat "$work/idle.txt"
echo
echo "raw results: ${tsv#"$root"/}"
