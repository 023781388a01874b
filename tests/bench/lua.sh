#!/bin/bash
# Lua host benchmark (issue 4): server CPU time per request over UDP, SIPp as the
# load (tests/bench/lua-uac.xml: an OPTIONS carrying From, X-A and User-Agent), for
#   moonsip      `moonsip run` without a script: the core answers OPTIONS 200
#   moonsip-lua  `moonsip run tests/bench/lua-three-headers.lua`: reads the three
#                header fields, req:reply(200)
#   kam-lua      Kamailio 5.6, app_lua KEMI (kamailio-lua.cfg + kamailio-lua.lua):
#                KSR.hdr.get of the same three fields, sl_send_reply(200); one worker
# All three run at once, each pinned to the same core, SIPp on the other; the
# measurements are interleaved (rate, repetition, then server) so that whatever
# else the machine does falls on all three alike. CPU method as tests/bench/options.sh.
#
# usage (from the repository root): bash tests/bench/lua.sh
# env:  RATES="2000 5000 10000"  DUR=5  REPS=3  MAX_LIMIT=200  MAX_DUR=4
#       SERVER_CPU=1 SIPP_CPU=0  REBUILD=1 (rebuild build/bench-lua/moonsip)
#       PERF=1     also perf-record moonsip-lua at 10000/s and print where its time goes
#       VARIANTS="name=script ..."  more moonsip servers, each running its script, measured
#                  in the same interleaved runs (e.g. reply-only=tests/bench/lua-reply-only.lua
#                  nojit=tests/bench/lua-three-headers-nojit.lua)
# Raw results: build/bench-lua/lua-results.tsv.  Takes about 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RATES=${RATES:-"2000 5000 10000"}
DUR=${DUR:-5}
REPS=${REPS:-3}
MAX_LIMIT=${MAX_LIMIT:-200}
MAX_DUR=${MAX_DUR:-4}
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
bench=$root/tests/bench
scenario=$bench/lua-uac.xml
bin=$root/build/bench-lua/moonsip
tsv=$root/build/bench-lua/lua-results.tsv
HZ=$(getconf CLK_TCK)

command -v sipp >/dev/null || apt-get install -y -q sip-tester >/dev/null
if ! command -v kamailio >/dev/null || [[ ! -f /usr/lib/x86_64-linux-gnu/kamailio/modules/app_lua.so ]]; then
	apt-get install -y -q kamailio kamailio-lua-modules >/dev/null
fi
if [[ ! -x $bin || ${REBUILD:-0} == 1 ]]; then
	cmake -S "$root" -B "$root/build/bench-lua" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$root/build/bench-lua" -j"$(nproc)" --target moonsip >/dev/null
fi
pin_server=(taskset -c "$SERVER_CPU")
pin_sipp=(taskset -c "$SIPP_CPU")

work=$(mktemp -d /tmp/moonsip-luabench.XXXXXX)
declare -A pid port
cleanup() {
	local s
	for s in "${!pid[@]}"; do kill "${pid[$s]}" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. tests/bench/cpu.sh # descendants, cpu
next_port=27060
. tests/bench/sipp.sh # free_port, stat_fields
free_port
sipp_port=$fp
sipp_run() { # PORT ARGS...: statistics in $work/stat.csv
	local p=$1
	shift
	rm -f "$work/stat.csv"
	local rc=0
	"${pin_sipp[@]}" timeout 60 sipp -sf "$scenario" "127.0.0.1:$p" -i 127.0.0.1 -p "$sipp_port" -t u1 \
		-nostdin -buff_size 4194304 -trace_stat -stf "$work/stat.csv" -fd 3600 "$@" >"$work/sipp.out" 2>&1 || rc=$?
	return $rc
}
wait_ready() { # PORT
	local i
	for i in $(seq 40); do
		sipp_run "$1" -m 1 -r 1 -timeout 2 -recv_timeout 1000 && return 0
		sleep 0.25
	done
	echo "server on port $1 never answered; SIPp said:" >&2
	cat "$work/sipp.out" >&2
	return 1
}
# ---------------------------------------------------------------------------------

# measure SERVER MODE RATE REP: one SIPp run against one server, a line in the TSV
measure() {
	local s=$1 mode=$2 rate=$3 rep=$4 c0 c1 st rc=0
	read -r -a c0 <<<"$(cpu "${pid[$s]}")"
	if [[ $mode == fixed ]]; then
		sipp_run "${port[$s]}" -r "$rate" -rp 1000 -l "$rate" -m $((rate * DUR)) -timeout $((DUR + 10)) || rc=$?
	else
		sipp_run "${port[$s]}" -r 200000 -rp 1000 -l "$MAX_LIMIT" -m 100000000 -timeout "$MAX_DUR" || rc=$?
	fi
	read -r -a c1 <<<"$(cpu "${pid[$s]}")"
	read -r -a st <<<"$(stat_fields)"
	printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\n' "$s" "$([[ $mode == fixed ]] && echo "$rate" || echo max)" \
		"$rep" "${st[0]}" "${st[1]}" $((st[0] - st[1])) "${st[3]}" "${st[4]}" \
		$((c1[0] - c0[0])) $((c1[1] - c0[1])) >>"$tsv"
	tail -1 "$tsv" | awk -F'\t' -v hz="$HZ" '{ printf "  %-11s %5s #%d: %7d answered (%6.0f/s), %d failed, %d retrans, %6.2f us/req (ticks %.1f)\n",
		$1, $2, $3, $5, $5 / $8, $6, $7, $10 / 1e3 / $5, $9 * 1e6 / hz / $5 }'
	[[ $rc == 0 || $rc == 1 ]] || echo "  (SIPp exited with $rc)"
}

echo "Lua host benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r)"
echo "moonsip: $("$bin" --version 2>&1 | head -1) (tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'), binary $(date -u -r "$bin" '+%Y-%m-%d %H:%M')); $(kamailio -v 2>&1 | head -1); $(luajit -v 2>/dev/null || echo 'libluajit-5.1'); sipp: $(sipp -v 2>&1 | awk 'NF { print $1, $2; exit }')"
echo "servers on CPU $SERVER_CPU, SIPp on CPU $SIPP_CPU; rates: $RATES/s for ${DUR}s; max: -l $MAX_LIMIT for ${MAX_DUR}s; $REPS repetitions"

declare -A variant
servers="moonsip moonsip-lua kam-lua"
for v in ${VARIANTS:-}; do
	variant[${v%%=*}]=$root/${v#*=}
	servers="$servers ${v%%=*}"
done
next_port=27070
for s in $servers; do
	free_port
	p=$fp
	port[$s]=$p
	case $s in
	moonsip) "${pin_server[@]}" "$bin" run --listen "udp:127.0.0.1:$p" --log-level warn >"$work/$s.log" 2>&1 & ;;
	moonsip-lua) "${pin_server[@]}" "$bin" run --listen "udp:127.0.0.1:$p" --log-level warn \
		"$bench/lua-three-headers.lua" >"$work/$s.log" 2>&1 & ;;
	kam-lua) "${pin_server[@]}" kamailio -f "$bench/kamailio-lua.cfg" -DD -E -m 256 -M 16 -l "udp:127.0.0.1:$p" \
		-A "LUASCRIPT=\"$bench/kamailio-lua.lua\"" >"$work/$s.log" 2>&1 & ;;
	*) "${pin_server[@]}" "$bin" run --listen "udp:127.0.0.1:$p" --log-level warn \
		"${variant[$s]}" >"$work/$s.log" 2>&1 & ;;
	esac
	pid[$s]=$!
done
for s in $servers; do
	wait_ready "${port[$s]}"
	sipp_run "${port[$s]}" -r 2000 -m 2000 -timeout 10 || true # warm-up, not counted
	echo "$s: pid ${pid[$s]}, port ${port[$s]}"
done

printf 'server\toffered\trep\tcreated\tanswered\tfailed\tretrans\telapsed_s\tticks\tns\n' >"$tsv"
for r in $RATES max; do
	for i in $(seq "$REPS"); do
		for s in $servers; do
			if [[ $r == max ]]; then measure "$s" max 0 "$i"; else measure "$s" fixed "$r" "$i"; fi
		done
	done
done

if [[ ${PERF:-0} == 1 ]]; then
	echo
	echo "perf: moonsip-lua at 10000/s for ${DUR}s, call graphs off; share of its samples by place"
	perf record -q -F 4999 -p "${pid[moonsip-lua]}" -o "$work/perf.data" -- sleep $((DUR + 1)) 2>/dev/null &
	perfpid=$!
	sleep 0.3
	sipp_run "${port[moonsip-lua]}" -r 10000 -rp 1000 -l 10000 -m $((10000 * DUR)) -timeout $((DUR + 10)) || true
	wait "$perfpid" || true
	perf report -i "$work/perf.data" --no-children --sort dso,sym --percent-limit 0.7 --stdio 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -40
	perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$'
fi

# ---- summary: medians --------------------------------------------------------------
echo
echo "medians of $REPS runs (failures and retransmissions: totals over the runs)"
awk -F'\t' -v hz="$HZ" 'NR > 1 {
		k = $1 "\t" $2
		if (!(k in n)) order[++nk] = k
		i = ++n[k]; ans[k, i] = $5 / $8; us[k, i] = $10 / 1e3 / $5; tk[k, i] = $9 * 1e6 / hz / $5
		fail[k] += $6; ret[k] += $7
	}
	function med(a, k, m,    i, j, v, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		printf "%-12s %8s %10s %6s %7s %12s %8s\n", "server", "offered", "answered/s", "failed", "retrans", "CPU_us/req", "(ticks)"
		for (o = 1; o <= nk; o++) {
			k = order[o]; m = n[k]; split(k, kk, "\t")
			printf "%-12s %8s %10.0f %6d %7d %12.2f %8.2f\n", kk[1], kk[2], med(ans, k, m), fail[k], ret[k], med(us, k, m), med(tk, k, m)
			cost[kk[1], kk[2]] = med(us, k, m); rates[kk[2]] = 1
			if (kk[1] !~ /^(moonsip|moonsip-lua|kam-lua)$/ && !(kk[1] in isvar)) { isvar[kk[1]] = 1; vars[++nv] = kk[1] }
		}
		print ""
		printf "%-8s %14s %16s %14s %10s %22s\n", "offered", "moonsip us", "moonsip-lua us", "kam-lua us", "Lua adds", "moonsip-lua/kam-lua"
		for (o = 1; o <= nk; o++) {
			split(order[o], kk, "\t"); r = kk[2]
			if (kk[1] != "moonsip") continue
			printf "%-8s %14.2f %16.2f %14.2f %+10.2f %22.2f\n", r, cost["moonsip", r], cost["moonsip-lua", r],
				cost["kam-lua", r], cost["moonsip-lua", r] - cost["moonsip", r], cost["moonsip-lua", r] / cost["kam-lua", r]
		}
		for (v = 1; v <= nv; v++)
			for (o = 1; o <= nk; o++) {
				split(order[o], kk, "\t")
				if (kk[1] == "moonsip")
					printf "variant %-14s %8s: %8.2f us, %+6.2f us over moonsip\n", vars[v], kk[2],
						cost[vars[v], kk[2]], cost[vars[v], kk[2]] - cost["moonsip", kk[2]]
			}
	}' "$tsv"
echo
echo "raw results: ${tsv#"$root"/}"
