#!/usr/bin/env bash
# The user agent benchmark: calls per second one moonsip UA process
# originates against SIPp's UAS, beside SIPp's own UAC doing the same, in
# the same run, with the CPU time each generator spends per call; and the
# memory one call up costs the UA.
#
# Two generators, one after the other at each offered rate, each against a
# SIPp UAS of its own, started fresh for the run (`sipp -sn uas`, its
# built-in scenario: INVITE answered 180 and 200 with SDP, the ACK, the
# BYE answered 200):
#   moonsip  tests/bench/ua_load.c on ms_ua (built here as the ua_load
#            target): INVITE with SDP, the ACK of the 2xx, BYE at once;
#   sipp     `sipp -sn uac`, its built-in scenario: the same calls.
# Both pace new calls in ticks of 10 ms (ua_load --tick, SIPp's own default
# timer resolution, -timer_resol): each tick starts what the rate owes by
# then, so a generator wakes up less often than once a call.
# Both run with -r RATE (ua_load --rate), RATE x DURATION calls, at most
# WINDOW calls at once (sipp -l, ua_load --window); then a closed loop
# ("max": as many calls as WINDOW in flight allows, MAX_CALLS calls). The
# generator is pinned to GEN_CPU, the UAS to UAS_CPU. A generator's CPU
# time is its process's user+sys from exec to exit (the kernel's
# utime+stime, the counters of /proc/PID/stat, as wait4 reports them to
# bash `time`), so start-up and the end of the run count for both alike;
# the UAS's is read from /proc/PID/stat before and after. Failed calls are
# the generator's (a final status >= 300, no answer, a BYE from the UAS),
# checked against the UAS's own count.
#
# Then memory: ua_load --hold-all HOLD_CALLS sets up that many calls and
# keeps them up; its resident size (/proc/self/statm) and moonsip's live
# heap (ms_mem_stats) before, once all are up, and SETTLE s later (the
# INVITE transactions are gone then: dialogs alone), divided by the calls.
# SIPp's UAC holding as many (-d) is read the same way from /proc/PID/statm.
#
#   bash tests/bench/ua.sh                 # about 6 minutes
#   RATES="1000 4000" DURATION=5 REPS=1 HOLD_CALLS=0 bash tests/bench/ua.sh
#
# Settings (environment): RATES ("500 1000 2000 4000 8000"), DURATION (10
# s per rate), WINDOW (1000), MAX_CALLS (60000; 0: no closed-loop run),
# REPS (3; the tables show medians), HOLD_CALLS (10000; 0: no memory run),
# SETTLE (34), GEN_CPU (0), UAS_CPU (1), QUIET_WAIT (60: seconds of
# waiting at most before each run for the machine to be idle), COMMIT (a
# commit to build from, by git archive into build/bench-ua-src-HASH, clear
# of edits in progress; default the working tree, built in build/bench-ua).
# All on 127.0.0.1, ports from 27000 up; every run is bounded (timeouts,
# call counts) and every process started here is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
cmd_env=""
for v in RATES DURATION WINDOW MAX_CALLS REPS HOLD_CALLS SETTLE GEN_CPU UAS_CPU QUIET_WAIT COMMIT; do
	if [[ -n ${!v:-} ]]; then cmd_env+="$v=${!v@Q} "; fi
done
RATES=${RATES:-"500 1000 2000 4000 8000"}
DURATION=${DURATION:-10}
WINDOW=${WINDOW:-1000}
MAX_CALLS=${MAX_CALLS:-60000}
REPS=${REPS:-3}
HOLD_CALLS=${HOLD_CALLS:-10000}
SETTLE=${SETTLE:-34}
GEN_CPU=${GEN_CPU:-0}
UAS_CPU=${UAS_CPU:-1}
QUIET_WAIT=${QUIET_WAIT:-60}
src=$root
build=$root/build/bench-ua
tree="tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?')"
if [[ -n ${COMMIT:-} ]]; then
	commit=$(git -C "$root" rev-parse --short "$COMMIT^{commit}")
	src=$root/build/bench-ua-src-$commit
	build=$root/build/bench-ua-$commit
	tree="commit $commit, built from git archive"
	if [[ ! -f $src/CMakeLists.txt ]]; then
		rm -rf "$src" && mkdir -p "$src"
		git -C "$root" archive "$commit" | tar -x -C "$src"
	fi
fi
out=$root/build/bench-ua-results
work=$out/run
tsv=$out/ua-results.tsv
mkdir -p "$work"

# ---- prerequisites ---------------------------------------------------------
apt_install() {
	apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
command -v sipp >/dev/null || apt_install sip-tester
command -v cmake >/dev/null || apt_install cmake
command -v cc >/dev/null || apt_install build-essential
if ! { cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMOONSIP_BENCH=ON >"$out/build.log" 2>&1 &&
	cmake --build "$build" -j"$(nproc)" --target ua_load >>"$out/build.log" 2>&1; }; then
	echo "building ua_load failed: see ${out#"$root"/}/build.log" >&2
	exit 1
fi
tool=$build/ua_load
if [[ $(nproc) -ge 2 ]]; then
	pin_gen=(taskset -c "$GEN_CPU"); pin_uas=(taskset -c "$UAS_CPU")
else
	pin_gen=(); pin_uas=(); echo "warning: one core, the generator and the UAS share it" >&2
fi

started=() # PIDs this script started, stopped on exit
. tests/bench/cpu.sh  # cpu, alive, stop_pid
. tests/bench/sipp.sh # free_port, stat_fields
next_port=27000
cleanup() {
	local p
	for p in "${started[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_idle() { awk -v c="cpu$1" '$1 == c { print $5 + $6; exit }' /proc/stat; }
# wait_quiet: until both CPUs are under 10% busy over a second, at most QUIET_WAIT s
wait_quiet() {
	local t0=$SECONDS a b
	while ((SECONDS - t0 < QUIET_WAIT)); do
		a=$(($(cpu_idle 0) + $(cpu_idle 1)))
		sleep 1
		b=$(($(cpu_idle 0) + $(cpu_idle 1)))
		(((b - a) * 100 > 180 * $(getconf CLK_TCK))) && return 0
	done
	((QUIET_WAIT == 0)) || echo "  (the machine was still busy after ${QUIET_WAIT} s: $(cut -d' ' -f1-3 /proc/loadavg); measuring anyway)"
}
# busy_total: jiffies both CPUs were not idle
busy_total() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# start_uas: a fresh SIPp UAS on a free port; sets uas_pid and uas_port
start_uas() {
	local i
	free_port
	uas_port=$fp
	rm -f "$work/uas.csv"
	"${pin_uas[@]}" sipp -sn uas -i 127.0.0.1 -p "$uas_port" -t u1 -nostdin -buff_size 4194304 \
		-trace_stat -stf "$work/uas.csv" -fd 1 -timeout 600 >"$work/uas.out" 2>&1 &
	uas_pid=$!
	started+=("$uas_pid")
	for i in $(seq 50); do
		[[ -n $(ss -Hlnu "sport = :$uas_port") ]] && return 0
		alive "$uas_pid" || break
		sleep 0.1
	done
	echo "SIPp UAS did not start: $(tail -c 400 "$work/uas.out")" >&2
	exit 1
}

# run_gen GEN RATE|max CALLS: one measured run; appends a row to the TSV
run_gen() {
	local gen=$1 rate=$2 calls=$3 r limit rc=0 tu ts u0 u1 b0 b1 t0 t1 res completed failed elapsed
	start_uas
	wait_quiet
	r=$rate
	[[ $rate == max ]] && r=0
	limit=$((calls / (r > 0 ? r : 2000) + 60))
	read -r u0 _ <<<"$(cpu "$uas_pid")"
	b0=$(busy_total); t0=$(date +%s.%N)
	TIMEFORMAT='%3U %3S'
	if [[ $gen == moonsip ]]; then
		{ time "${pin_gen[@]}" timeout "$limit" "$tool" --target "sip:service@127.0.0.1:$uas_port" --rate "$r" \
			--calls "$calls" --window "$WINDOW" --timeout $((limit - 5)) >"$work/gen.out" 2>"$work/gen.err" || rc=$?; } 2>"$work/gen.time"
		res=$(grep -m1 '^RESULT ' "$work/gen.out" || true)
		completed=$(sed -n 's/.* completed=\([0-9]*\).*/\1/p' <<<"$res")
		failed=$(sed -n 's/.* failed=\([0-9]*\) unfinished=\([0-9]*\).*/\1 \2/p' <<<"$res" | awk '{ print $1 + $2 }')
		elapsed=$(sed -n 's/.* elapsed_s=\([0-9.]*\).*/\1/p' <<<"$res")
	else
		free_port
		rm -f "$work/gen.csv"
		{ time "${pin_gen[@]}" timeout "$limit" sipp -sn uac "127.0.0.1:$uas_port" -i 127.0.0.1 -p "$fp" -t u1 \
			-r "$([[ $r == 0 ]] && echo 200000 || echo "$r")" -rp 1000 -l "$WINDOW" -m "$calls" -nostdin \
			-buff_size 4194304 -trace_stat -stf "$work/gen.csv" -fd 3600 -timeout $((limit - 5)) \
			>"$work/gen.out" 2>&1 || rc=$?; } 2>"$work/gen.time"
		read -r _ completed failed _ elapsed <<<"$(stat_fields "$work/gen.csv")"
	fi
	# a call not completed by the end (not even started, or cut short) is a failed one
	((calls - ${completed:-0} > ${failed:-0})) && failed=$((calls - ${completed:-0}))
	t1=$(date +%s.%N); b1=$(busy_total)
	read -r u1 _ <<<"$(cpu "$uas_pid")"
	sleep 1.2 # the UAS writes its statistics once a second
	stop_pid "$uas_pid"
	read -r _ uas_ok uas_failed _ _ <<<"$(stat_fields "$work/uas.csv")"
	read -r tu ts <"$work/gen.time"
	awk -v gen="$gen" -v rate="$rate" -v rep="$rep" -v calls="$calls" -v ok="${completed:-0}" -v failed="${failed:-0}" \
		-v el="${elapsed:-0}" -v tu="$tu" -v ts="$ts" -v u="$((u1 - u0))" -v hz="$(getconf CLK_TCK)" \
		-v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" -v uok="$uas_ok" -v ufail="$uas_failed" -v rc="$rc" 'BEGIN {
		cpu = tu + ts; wall = t1 - t0
		others = 100 * (b / hz - cpu - u / hz) / wall; if (others < 0) others = 0
		printf "%s\t%s\t%d\t%d\t%d\t%d\t%.3f\t%.1f\t%.3f\t%.2f\t%.1f\t%.2f\t%d\t%d\t%.1f\t%d\n", gen, rate, rep, calls, ok, failed,
			el, (el > 0 ? ok / el : 0), cpu, (ok + failed ? cpu * 1e6 / (ok + failed) : 0), (el > 0 ? 100 * cpu / el : 0),
			(ok ? u / hz * 1e6 / ok : 0), uok, ufail, others, rc }' >>"$tsv"
	tail -1 "$tsv" | awk -F'\t' '{ printf "  %-8s rate %-5s rep %d: %d of %d completed, %d failed, %.0f calls/s, generator %.2f us CPU/call (%.0f%% of a core), UAS %.2f us/call (%d ok, %d failed), others %.0f%%%s\n",
		$1, $2, $3, $5, $4, $6, $8, $10, $11, $12, $13, $14, $15, ($16 != 0 ? ", exit " $16 : "") }'
}

echo "UA benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "moonsip ua_load: $tree ($(date -u -r "$tool" '+%Y-%m-%d %H:%M')); $(sipp -v 2>&1 | awk 'NF { print $1, $2; exit }')"
echo "rates: $RATES and max, $DURATION s each, window $WINDOW, $REPS round(s); generator on CPU $GEN_CPU, UAS on CPU $UAS_CPU"
echo
printf 'gen\trate\trep\tcalls\tcompleted\tfailed\telapsed_s\tcalls_per_s\tcpu_s\tcpu_us_per_call\tcpu_pct\tuas_us_per_call\tuas_ok\tuas_failed\tothers_pct\trc\n' >"$tsv"
for rep in $(seq "$REPS"); do
	for rate in $RATES max; do
		[[ $rate == max && $MAX_CALLS == 0 ]] && continue
		calls=$([[ $rate == max ]] && echo "$MAX_CALLS" || echo $((rate * DURATION)))
		for gen in moonsip sipp; do run_gen "$gen" "$rate" "$calls"; done
	done
done

echo
echo "medians over $REPS round(s) (failed: the sum over the rounds)"
awk -F'\t' 'NR > 1 {
	k = $1 SUBSEP $2; i = ++n[k]; if (i == 1 && !seen[$2]++) order[++nr] = $2
	cps[k, i] = $8; us[k, i] = $10; pct[k, i] = $11; uas[k, i] = $12; fail[k] += $6; ufail[k] += $14; calls[k] += $4; ok[k] += $5
}
function med(a, k, m,    i, j, x, t) {
	for (i = 1; i <= m; i++) x[i] = a[k, i]
	for (i = 2; i <= m; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
	return (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
}
END {
	printf "| offered/s | moonsip calls/s | failed | CPU us/call | CPU %% | SIPp UAC calls/s | failed | CPU us/call | CPU %% | SIPp / moonsip CPU per call |\n"
	printf "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
	for (o = 1; o <= nr; o++) {
		r = order[o]; km = "moonsip" SUBSEP r; ks = "sipp" SUBSEP r
		if (!n[km] || !n[ks]) continue
		mu = med(us, km, n[km]); su = med(us, ks, n[ks])
		printf "| %s | %.0f | %d | %.1f | %.0f | %.0f | %d | %.1f | %.0f | %.2f |\n", r, med(cps, km, n[km]), fail[km], mu, med(pct, km, n[km]),
			med(cps, ks, n[ks]), fail[ks], su, med(pct, ks, n[ks]), (mu > 0 ? su / mu : 0)
		if (r != "max") { if (fail[km] == 0 && med(cps, km, n[km]) >= 0.95 * r) mbest = r; if (fail[ks] == 0 && med(cps, ks, n[ks]) >= 0.95 * r) sbest = r }
		else { mmax = med(cps, km, n[km]); smax = med(cps, ks, n[ks]); mmaxf = fail[km]; smaxf = fail[ks] }
		if (mu > 0 && su > 0) { nratio++; if (su / mu >= 1) nmet++ }
	}
	print ""
	printf "highest offered rate sustained (>= 95%% of it, no failed call): moonsip %s/s, SIPp UAC %s/s\n", (mbest ? mbest : "none"), (sbest ? sbest : "none")
	if (mmax) printf "closed loop: moonsip %.0f calls/s (%d failed), SIPp UAC %.0f calls/s (%d failed)\n", mmax, mmaxf, smax, smaxf
	printf "target, at least SIPp UAC'"'"'s calls per CPU-second: met at %d of %d rates\n", nmet, nratio
}' "$tsv"

# ---- memory per call up -------------------------------------------------------
if ((HOLD_CALLS > 0)); then
	echo
	echo "memory: $HOLD_CALLS calls up at once"
	start_uas
	wait_quiet
	"${pin_gen[@]}" timeout $((SETTLE + HOLD_CALLS / 1000 + 120)) "$tool" --target "sip:service@127.0.0.1:$uas_port" \
		--rate 2000 --hold-all "$HOLD_CALLS" --settle "$SETTLE" --timeout $((HOLD_CALLS / 1000 + 60)) \
		>"$work/hold.out" 2>"$work/hold.err" || echo "  ua_load --hold-all exited $?: $(tail -c 300 "$work/hold.err")"
	stop_pid "$uas_pid"
	grep -m1 '^RESULT ' "$work/hold.out" | tr ' ' '\n' | awk -F= 'NR > 1 { v[$1] = $2 } END {
		printf "  moonsip UA: %d up (%d failed) in %.1f s; once up: RSS +%.0f bytes/call, moonsip heap +%.0f bytes/call;\n", v["up"], v["failed"], v["setup_s"], v["rss_per_call_up_bytes"], v["heap_per_call_up_bytes"]
		printf "    %.0f s later (INVITE transactions over): RSS +%.0f bytes/call, heap +%.0f bytes/call in %.1f blocks\n", v["settle_s"], v["rss_per_call_settled_bytes"], v["heap_per_call_settled_bytes"], v["blocks_per_call_settled"]
		printf "    (RSS %d KiB before, %d up, %d settled)\n", v["rss0_kib"], v["rss_up_kib"], v["rss_settled_kib"] }'
	grep -m1 '^RESULT ' "$work/hold.out" >>"$out/hold-results.txt" || true
	# SIPp's UAC holding as many calls: its pause (-d) keeps them up
	start_uas
	free_port
	"${pin_gen[@]}" sipp -sn uac "127.0.0.1:$uas_port" -i 127.0.0.1 -p "$fp" -t u1 -r 2000 -rp 1000 -l "$HOLD_CALLS" \
		-m "$HOLD_CALLS" -d $(((HOLD_CALLS / 2000 + SETTLE + 30) * 1000)) -nostdin -buff_size 4194304 \
		-timeout $((HOLD_CALLS / 2000 + SETTLE + 60)) >"$work/sipp-hold.out" 2>&1 &
	sp=$!
	started+=("$sp")
	sleep 0.5
	r0=$(awk '{ print $2 }' "/proc/$sp/statm")
	sleep $((HOLD_CALLS / 2000 + 5))
	r1=$(awk '{ print $2 }' "/proc/$sp/statm")
	sleep "$SETTLE"
	r2=$(awk '{ print $2 }' "/proc/$sp/statm")
	stop_pid "$sp"
	stop_pid "$uas_pid"
	awk -v r0="$r0" -v r1="$r1" -v r2="$r2" -v n="$HOLD_CALLS" -v pg="$(getconf PAGESIZE)" -v s="$SETTLE" 'BEGIN {
		printf "  SIPp UAC: RSS +%.0f bytes/call once up, +%.0f bytes/call %d s later (RSS %d KiB before, %d up, %d later)\n",
			(r1 - r0) * pg / n, (r2 - r0) * pg / n, s, r0 * pg / 1024, r1 * pg / 1024, r2 * pg / 1024 }'
fi
echo
echo "raw results: ${tsv#"$root"/}"
echo "command: ${cmd_env}bash tests/bench/ua.sh"
