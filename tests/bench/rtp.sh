#!/usr/bin/env bash
# The RTP relay benchmark: packets forwarded per second, the relay's CPU
# time per packet on one core, and the latency it adds (median, p99, max),
# for moonsip beside rtpengine, in the same run.
#
# tests/bench/rtp_load.c (built here with cc -O2) makes CALLS calls of two
# streams each (A to B, B to A: 2 x CALLS streams) of RTP at PPS packets/s,
# spread evenly over each period, and times every packet from its send to
# its arrival (CLOCK_MONOTONIC in the payload). Three modes, one after the
# other in each of REPS rounds:
#   direct     no relay: A sends straight to B; the latency of the loopback
#              and of the tool itself, subtracted from the relays' to give
#              the latency they add (same round);
#   rtpengine  Debian's rtpengine-daemon, userspace only (--table=-1), a
#              process of its own (not the package's service), its calls set
#              up over the ng protocol (offer, answer; delete at the end);
#   moonsip    `moonsip run tests/bench/rtp-relay.lua --rtp-address 127.0.0.1
#              --rtp-ports ...`, its calls set up through SIP (INVITE with
#              SDP to moonsip, relayed to the tool's UAS, 200, ACK; BYE at
#              the end) with proxy.relay(..., { media = "relay" }).
# Two more can be listed in RELAYS (not run unless asked for):
#   floor-epoll, floor-uring  tests/bench/rtp_floor.c (built here with cc -O2, -luring), a
#              relay that does nothing but forward between fixed port pairs with symmetric
#              latching, through epoll + recvmmsg/sendmmsg (as moonsip does) or io_uring (one
#              system call per loop turn for every socket); the tool sends to its pairs with
#              --mode fixed. Their CPU per packet is the floor this kernel sets for any
#              userspace relay: what is left of a relay's figure above it is its own work.
#              FLOOR_LINGER_US (0): floor-uring waits up to that long in each turn for more
#              packets (batching by time: fewer wake-ups, more latency).
# Each relay is started fresh for its run and pinned to RELAY_CPU, the
# tool to LOAD_CPU (where it spins). The relay's CPU time (every thread's
# schedstat run time; utime+stime agrees) and its core's idle time are read
# by the tool at the first and the last send of the measured phase, after
# WARMUP seconds of media.
#
#   bash tests/bench/rtp.sh                          # 500 calls = 1000 streams x 50 pps, 20 s, 3 rounds
#   CALLS=100 SECONDS=5 REPS=1 bash tests/bench/rtp.sh
#
# Settings (environment): CALLS (500) or STREAMS (2 x CALLS), PPS (50),
# SECONDS or DURATION (20, measured), WARMUP (3), REPS (3), RELAYS ("direct
# rtpengine moonsip"), RATE (call set-up per second, 200), RELAY_CPU (1),
# LOAD_CPU (0), RTPENGINE_THREADS (1), LOG_LEVEL (warn), QUIET_WAIT (120: at
# most this many seconds of waiting before each run for the machine to be
# idle), NOISE_MAX (15) and RETRIES (2: a run during which another process
# or the hypervisor took more than NOISE_MAX% of either CPU is made again,
# at most RETRIES times; the noisy ones stay in the TSV as RELAY-noisy and
# out of the medians), LOW_LATENCY (0; 1: idle CPUs poll instead of
# halting, through a PM QoS request held while the script runs), COMMIT (a
# commit to build
# moonsip from, by git archive into build/bench-rtp-src-HASH and
# build/bench-rtp-HASH, clear of edits in progress in the working tree),
# BIN (a moonsip binary; default build/bench-rtp/moonsip from the working
# tree, rebuilt first unless REBUILD=0).
# Ports, all on 127.0.0.1: rtpengine's media 40000-43999, moonsip's
# 44000-47999, the tool's sockets 48000-49989, rtpengine's ng 49998,
# moonsip's SIP 49999 (clear of the integration tests' 21000-21200 and of
# the relay's default 30000-39999). Every wait has a deadline; every process
# started here is stopped by its PID on exit.
set -euo pipefail
# SECONDS is bash's own clock: the value given is the one in the environment this shell started with
env_seconds=$(tr '\0' '\n' </proc/$$/environ | sed -n 's/^SECONDS=//p' | head -1)
cd "$(dirname "$0")/../.."
root=$PWD
cmd_env=""
[[ -n $env_seconds ]] && cmd_env="SECONDS=${env_seconds@Q} "
for v in FLOOR_LINGER_US CALLS STREAMS PPS DURATION WARMUP REPS RELAYS RATE RELAY_CPU LOAD_CPU RTPENGINE_THREADS LOG_LEVEL QUIET_WAIT NOISE_MAX RETRIES LOW_LATENCY COMMIT BIN REBUILD; do
	if [[ -n ${!v:-} ]]; then cmd_env+="$v=${!v@Q} "; fi
done
if [[ -n ${STREAMS:-} ]]; then CALLS=$(((STREAMS + 1) / 2)); fi
CALLS=${CALLS:-500}
PPS=${PPS:-50}
DURATION=${DURATION:-${env_seconds:-20}}
WARMUP=${WARMUP:-3}
REPS=${REPS:-3}
RELAYS=${RELAYS:-"direct rtpengine moonsip"}
RATE=${RATE:-200}
RELAY_CPU=${RELAY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
RTPENGINE_THREADS=${RTPENGINE_THREADS:-1}
LOG_LEVEL=${LOG_LEVEL:-warn}
QUIET_WAIT=${QUIET_WAIT:-120}
NOISE_MAX=${NOISE_MAX:-15}
RETRIES=${RETRIES:-2}
RTPENGINE_PORTS=40000-43999
MOONSIP_PORTS=44000-47999
LOAD_PORTS=48000-49989
NG_PORT=49998
SIP_PORT=49999
FLOOR_LINGER_US=${FLOOR_LINGER_US:-0}
FLOOR_BASE=50000 # the floors' pairs: 50000 up to 50000 + 2 x CALLS - 1
build=$root/build/bench-rtp
src=$root
if [[ -n ${COMMIT:-} ]]; then
	# a committed tree, apart from the edits others have in progress in this working tree
	commit=$(git -C "$root" rev-parse --short "$COMMIT^{commit}")
	src=$root/build/bench-rtp-src-$commit
	build=$root/build/bench-rtp-$commit
	if [[ ! -f $src/CMakeLists.txt ]]; then
		rm -rf "$src" && mkdir -p "$src"
		git -C "$root" archive "$commit" | tar -x -C "$src"
	fi
fi
bin=${BIN:-$build/moonsip}
out=$root/build/bench-rtp-results
tool=$out/rtp_load
tsv=$out/rtp-results.tsv
mkdir -p "$out"
if ((CALLS * 2 > 49989 - 48000 + 1 || CALLS * 4 > 4000)); then
	echo "CALLS=$CALLS needs more ports than the ranges hold (at most 994 calls)" >&2
	exit 1
fi

# ---- prerequisites ---------------------------------------------------------
apt_install() {
	apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
if [[ " $RELAYS " == *" rtpengine "* ]] && ! command -v rtpengine >/dev/null; then
	# the package may start its own service (under systemd); the one measured is started below
	apt_install rtpengine-daemon
fi
command -v cc >/dev/null || apt_install build-essential
cc -O2 -std=gnu11 -Wall -Wextra -o "$tool" "$root/tests/bench/rtp_load.c"
floor=$out/rtp_floor
if [[ " $RELAYS " == *" floor-"* ]]; then
	[[ -f /usr/include/liburing.h ]] || apt_install liburing-dev
	cc -O2 -std=gnu11 -Wall -Wextra -o "$floor" "$root/tests/bench/rtp_floor.c" -luring
fi
build_note=""
if [[ " $RELAYS " == *" moonsip "* && ${REBUILD:-1} == 1 && -z ${BIN:-} ]]; then
	if ! { cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/build.log" 2>&1 &&
		cmake --build "$build" -j"$(nproc)" --target moonsip >>"$out/build.log" 2>&1; }; then
		build_note="(build FAILED, see ${out#"$root"/}/build.log; using the binary left from an earlier build)"
		echo "warning: building moonsip failed: $(grep -m1 -E 'error' "$out/build.log" || tail -1 "$out/build.log")" >&2
	fi
fi
if [[ $(nproc) -ge 2 ]]; then
	pin_relay=(taskset -c "$RELAY_CPU"); pin_load=(taskset -c "$LOAD_CPU")
else
	pin_relay=(); pin_load=(); echo "warning: one core, the tool and the relays share it" >&2
fi

# LOW_LATENCY=1: a PM QoS request of 0 us for as long as this script runs, so that an idle CPU
# polls instead of halting (on this VM's haltpoll cpuidle a halted vCPU takes the hypervisor
# milliseconds, now and then, to wake); closing the file at exit drops the request
qos_note="CPUs halt when idle (the machine as it is)"
if [[ ${LOW_LATENCY:-0} == 1 ]]; then
	if exec {qos_fd}>/dev/cpu_dma_latency && printf 0 >&"$qos_fd"; then
		qos_note="LOW_LATENCY=1: /dev/cpu_dma_latency held at 0 us, idle CPUs poll instead of halting"
	else
		qos_note="LOW_LATENCY=1 asked, but /dev/cpu_dma_latency could not be written: CPUs halt when idle"
	fi
fi

started=() # PIDs this script started, stopped on exit
. tests/bench/cpu.sh # descendants, cpu, alive, stop_pid
cleanup() {
	local p
	for p in "${started[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# port_bound PORT: something listens on udp 127.0.0.1:PORT
port_bound() { [[ -n $(ss -Hlnu "sport = :$1") ]]; }

# cpu_idle N: jiffies CPU N spent idle (idle, iowait), from /proc/stat. With NO_HZ these are
# measured at every idle entry and exit, where user and system time are sampled at the tick
# (and a CPU that sleeps and wakes up often is caught busy more often than it is)
cpu_idle() { awk -v c="cpu$1" '$1 == c { print $5 + $6; exit }' /proc/stat; }
# cpu_steal N: jiffies the hypervisor took from CPU N
cpu_steal() { awk -v c="cpu$1" '$1 == c { print $9; exit }' /proc/stat; }

# wait_quiet: until the machine is idle (both CPUs under 10% busy over a second) for at most
# QUIET_WAIT seconds, as other work on it shows up in every figure; says so when it gave up
wait_quiet() {
	local t0=$SECONDS a b
	while ((SECONDS - t0 < QUIET_WAIT)); do
		a=$(($(cpu_idle 0) + $(cpu_idle 1)))
		sleep 1
		b=$(($(cpu_idle 0) + $(cpu_idle 1)))
		(((b - a) * 100 > 180 * $(getconf CLK_TCK))) && return 0
	done
	((QUIET_WAIT == 0)) || echo "  (the machine was still busy after ${QUIET_WAIT} s of waiting: $(cut -d' ' -f1-3 /proc/loadavg); measuring anyway)"
}

moonsip_ok=0
moonsip_why=""
if [[ " $RELAYS " == *" moonsip "* ]]; then
	help=$("$bin" run --help 2>&1 || true)
	if [[ ! -x $bin ]]; then
		moonsip_why="no binary $bin"
	elif [[ $help != *--rtp-ports* ]]; then
		moonsip_why="$bin has no --rtp-ports option (the media relay is not in that build)"
	elif ! grep -q 'media' "$src/lua/lib/prelude.lua"; then
		moonsip_why="lua/lib/prelude.lua has no media option for proxy.relay"
	else
		moonsip_ok=1
	fi
fi
media_timeout=()
[[ ${help:-} == *--media-timeout* ]] && media_timeout=(--media-timeout 120)

declare -A why_failed
relay_pid=""
# start_relay NAME: sets relay_pid (empty for direct); 1 when it could not start
start_relay() {
	local r=$1 i
	relay_pid=""
	case $r in
	direct) return 0 ;;
	rtpengine)
		if port_bound "$NG_PORT"; then why_failed[$r]="udp port $NG_PORT is taken"; return 1; fi
		# --config-file=none: not the package's /etc/rtpengine/rtpengine.conf (kernel table 0, its ports)
		"${pin_relay[@]}" rtpengine --config-file=none --foreground --log-stderr --table=-1 \
			--interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" --port-min="${RTPENGINE_PORTS%-*}" \
			--port-max="${RTPENGINE_PORTS#*-}" --num-threads="$RTPENGINE_THREADS" --timeout=120 \
			--log-level=4 >"$out/rtpengine.log" 2>&1 &
		relay_pid=$!
		;;
	moonsip)
		if [[ $moonsip_ok != 1 ]]; then why_failed[$r]=$moonsip_why; return 1; fi
		if port_bound "$SIP_PORT"; then why_failed[$r]="udp port $SIP_PORT is taken"; return 1; fi
		mkdir -p "$out/moonsip"
		"${pin_relay[@]}" "$bin" run "$root/tests/bench/rtp-relay.lua" --listen "udp:127.0.0.1:$SIP_PORT" \
			--rtp-address 127.0.0.1 --rtp-ports "$MOONSIP_PORTS" "${media_timeout[@]}" \
			--db "$out/moonsip/moonsip.db" --log-level "$LOG_LEVEL" >"$out/moonsip.log" 2>&1 &
		relay_pid=$!
		;;
	floor-epoll | floor-uring)
		if port_bound "$FLOOR_BASE"; then why_failed[$r]="udp port $FLOOR_BASE is taken"; return 1; fi
		linger=()
		[[ $r == floor-uring ]] && linger=(--linger-us "$FLOOR_LINGER_US")
		"${pin_relay[@]}" "$floor" --backend "${r#floor-}" --address 127.0.0.1 --base "$FLOOR_BASE" \
			--calls "$CALLS" "${linger[@]}" >"$out/$r.log" 2>&1 &
		relay_pid=$!
		;;
	*) why_failed[$r]="unknown relay (direct, rtpengine, moonsip, floor-epoll, floor-uring)"; return 1 ;;
	esac
	started+=("$relay_pid")
	local port=$SIP_PORT
	[[ $r == rtpengine ]] && port=$NG_PORT
	[[ $r == floor-* ]] && port=$((FLOOR_BASE + 2 * CALLS - 1))
	for i in $(seq 100); do
		if ! alive "$relay_pid"; then
			why_failed[$r]="exited at start; its log ends with: $(tail -c 600 "$out/$r.log")"
			return 1
		fi
		if port_bound "$port"; then sleep 0.2; return 0; fi
		sleep 0.1
	done
	why_failed[$r]="not listening on $port after 10 s"
	return 1
}

printf 'round\trelay\tresult\n' >"$tsv"
echo "RTP relay benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bin_desc="none"
if [[ -n ${BIN:-} ]]; then
	tree="given binary"
elif [[ -n ${COMMIT:-} ]]; then
	tree="commit $commit, built from git archive"
else
	tree="tree $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?')"
fi
[[ -x $bin ]] && bin_desc="$("$bin" --version 2>&1 | head -1) ($tree, binary $(date -u -r "$bin" '+%Y-%m-%d %H:%M'))${build_note:+ $build_note}"
echo "moonsip: $bin_desc"
echo "rtpengine: $(rtpengine --version 2>&1 | head -1 || echo none), userspace (--table=-1), $RTPENGINE_THREADS worker thread(s)"
echo "load: $CALLS calls = $((2 * CALLS)) streams x $PPS packets/s ($((2 * CALLS * PPS)) packets/s), RTP PT 0, 160-byte payload; ${WARMUP} s warm-up, ${DURATION} s measured, $REPS round(s) of: $RELAYS"
echo "relays on CPU $RELAY_CPU, the load tool on CPU $LOAD_CPU (it spins: 100% of its CPU); $qos_note"
echo

for round in $(seq "$REPS"); do
	for r in $RELAYS; do
		for attempt in $(seq $((RETRIES + 1))); do
			if [[ -n ${why_failed[$r]:-} ]]; then continue; fi
			wait_quiet
			if ! start_relay "$r"; then
				echo "  $r: FAILED to start: ${why_failed[$r]}"
				[[ -n $relay_pid ]] && stop_pid "$relay_pid"
				continue
			fi
			args=(--mode "$([[ $r == floor-* ]] && echo fixed || echo "$r")" --label "$r" --calls "$CALLS" --pps "$PPS" --seconds "$DURATION" --warmup "$WARMUP" --rate "$RATE"
				--ports "$LOAD_PORTS" --quiet)
			case $r in
			rtpengine) args+=(--ng "127.0.0.1:$NG_PORT" --pid "$relay_pid") ;;
			moonsip) args+=(--sip "127.0.0.1:$SIP_PORT" --pid "$relay_pid") ;;
			floor-*) args+=(--relay-base "$FLOOR_BASE" --pid "$relay_pid") ;;
			esac
			[[ $r != direct && ${#pin_relay[@]} -gt 0 ]] && args+=(--core "$RELAY_CPU")
			b0=$(cpu_idle "$RELAY_CPU"); l0=$(cpu_idle "$LOAD_CPU"); sb0=$(cpu_steal "$RELAY_CPU"); sl0=$(cpu_steal "$LOAD_CPU")
			read -r -a rc0 <<<"$([[ -n $relay_pid ]] && cpu "$relay_pid" || echo "0 0")"
			t0=$(date +%s.%N)
			rc=0
			TIMEFORMAT='%3U %3S'
			limit=$(awk -v c="$CALLS" -v r="$RATE" -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", 2 * c / r + d + w + 60 }')
			{ time "${pin_load[@]}" timeout "$limit" "$tool" "${args[@]}" >"$out/tool.out" 2>"$out/tool.err" || rc=$?; } 2>"$out/tool.time"
			t1=$(date +%s.%N)
			read -r -a rc1 <<<"$([[ -n $relay_pid ]] && cpu "$relay_pid" || echo "0 0")"
			b1=$(cpu_idle "$RELAY_CPU"); l1=$(cpu_idle "$LOAD_CPU"); sb1=$(cpu_steal "$RELAY_CPU"); sl1=$(cpu_steal "$LOAD_CPU")
			read -r tu ts <"$out/tool.time"
			res=$(grep -m1 '^RESULT ' "$out/tool.out" || true)
			# what else ran on the two CPUs during the tool's run: time not idle minus ours (a share, 0-100%)
			noise=$(awk -v hz="$(getconf CLK_TCK)" -v b0="$b0" -v b1="$b1" -v l0="$l0" -v l1="$l1" -v r="$((rc1[1] - rc0[1]))" \
				-v tu="$tu" -v ts="$ts" -v t0="$t0" -v t1="$t1" -v sb0="$sb0" -v sb1="$sb1" -v sl0="$sl0" -v sl1="$sl1" 'BEGIN {
				el = t1 - t0; o1 = (el - (b1 - b0) / hz - r / 1e9) / el; o0 = (el - (l1 - l0) / hz - tu - ts) / el
				printf "others_cpu%d_pct=%.1f others_cpu%d_pct=%.1f steal_cpu%d_pct=%.1f steal_cpu%d_pct=%.1f", '"$RELAY_CPU"', 100 * (o1 < 0 ? 0 : o1), '"$LOAD_CPU"', 100 * (o0 < 0 ? 0 : o0),
					'"$RELAY_CPU"', 100 * (sb1 - sb0) / hz / el, '"$LOAD_CPU"', 100 * (sl1 - sl0) / hz / el }')
			if [[ -n $relay_pid ]] && ! alive "$relay_pid"; then
				res="${res:-RESULT mode=$r} died=1"
				echo "  $r: FAILED: the relay died during the run ($(tail -c 300 "$out/$r.log" | tr '\n' ' '))"
			fi
			[[ -n $relay_pid ]] && stop_pid "$relay_pid"
			if [[ -z $res || $rc != 0 ]]; then
				echo "  round $round $r: FAILED (tool exit $rc): $(tail -c 800 "$out/tool.err" | tr '\n' ' ')"
				[[ -z $res ]] && continue
			fi
			# another process or the hypervisor took more than NOISE_MAX% of a CPU: that run again
			nz=$(echo "$noise" | tr ' ' '\n' | awk -F= '$2 + 0 > m { m = $2 + 0 } END { printf "%.0f", m }')
			if ((nz > NOISE_MAX && attempt <= RETRIES)); then
				echo "  round $round $r: others took ${nz}% of a CPU ($noise): run again"
				printf '%s\t%s-noisy\t%s %s\n' "$round" "$r" "$res" "$noise" >>"$tsv"
				continue
			fi
			printf '%s\t%s\t%s %s\n' "$round" "$r" "$res" "$noise" >>"$tsv"
			echo "$res $noise" | awk -v round="$round" '{
				for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
				printf "  round %d %-11s %7.0f pkt/s, lost %d, one-way median %7.1f us, p99 %8.1f us, max %9.1f us", round, v["label"], v["pkts_per_s"], v["lost"], v["median_us"], v["p99_us"], v["max_us"]
				if (v["cpu_us_per_pkt"] >= 0) printf ", relay %.3f us CPU/pkt (%.1f%% of a core; its core busy %.3f us/pkt)", v["cpu_us_per_pkt"], v["relay_cpu_ns"] / 1e7 / v["measured_s"], v["core_busy_us_per_pkt"]
				printf "; tool %.0f%% CPU, send lag p99 %.1f us\n    others on the CPUs: %s %s %s %s\n", v["tool_cpu_pct"], v["send_lag_p99_us"], $(NF - 3), $(NF - 2), $(NF - 1), $NF
				if (v["misrouted"] + v["bad_src"] + v["altered"] + v["dup"] + v["send_errors"] > 0) printf "    misrouted %d, wrong source %d, altered %d, duplicated %d, send errors %d\n", v["misrouted"], v["bad_src"], v["altered"], v["dup"], v["send_errors"]
				if (v["setup_s"] > 0) printf "    calls set up in %.2f s, %d of them ended at the end\n", v["setup_s"], v["ended"]
			}'
			break
		done
	done
done

# ---- summary: medians over the rounds; added latency = relay minus direct of the same round ----
echo
echo "medians over $REPS round(s); added = the relay's one-way figure minus the direct one of the same round"
awk -F'\t' -v target_streams=1000 -v target_pps=50 -v streams=$((2 * CALLS)) -v pps="$PPS" 'NR > 1 && $2 !~ /-noisy$/ {
	n = split($3, f, " ")
	delete v
	nz = 0
	for (i = 2; i <= n; i++) {
		split(f[i], kv, "="); v[kv[1]] = kv[2]
		if (kv[1] ~ /^(others|steal)_cpu/ && kv[2] + 0 > nz) nz = kv[2] + 0
	}
	r = $2; k = ++cnt[r]; if (k == 1) order[++nr] = r
	noise[r, k] = nz; tl[r, k] = v["send_lag_p99_us"]; core[r, k] = v["core_busy_us_per_pkt"]
	pk[r, k] = v["pkts_per_s"]; cpu[r, k] = v["cpu_us_per_pkt"]; lost[r] += v["lost"]; sent[r] += v["sent"]
	md[r, k] = v["median_us"]; p9[r, k] = v["p99_us"]; mx[r, k] = v["max_us"]; rd[r, k] = $1
	if (r == "direct") { dmd[$1] = v["median_us"]; dp9[$1] = v["p99_us"]; dmx[$1] = v["max_us"] }
}
function med(a, r, m,    i, j, x, t) {
	for (i = 1; i <= m; i++) x[i] = a[r, i]
	for (i = 2; i <= m; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
	return (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
}
END {
	printf "%-11s %10s %12s %12s %9s %12s %12s %12s %12s %12s %9s %12s\n", "relay", "pkt/s", "CPU_us/pkt", "core_us/pkt", "loss", "median_us", "p99_us", "added_med", "added_p99", "added_max", "noise%", "tool_lag_p99"
	for (o = 1; o <= nr; o++) {
		r = order[o]; m = cnt[r]
		nodirect = 0
		for (k = 1; k <= m; k++) {
			ok = (rd[r, k] in dmd)
			if (!ok) nodirect = 1
			am[r, k] = ok ? md[r, k] - dmd[rd[r, k]] : "nan"; ap[r, k] = ok ? p9[r, k] - dp9[rd[r, k]] : "nan"; ax[r, k] = ok ? mx[r, k] - dmx[rd[r, k]] : "nan"
		}
		c = med(cpu, r, m); if (r == "rtpengine") rc = c; if (r == "moonsip") mc = c; if (r ~ /^floor-/) fc[r] = c
		if (r == "moonsip" && !nodirect) map = med(ap, r, m)
		skip = (r == "direct" || nodirect)
		cc = med(core, r, m); if (r == "rtpengine") rcc = cc; if (r == "moonsip") mcc = cc
		printf "%-11s %10.0f %12s %12s %8.4f%% %12.1f %12.1f %12s %12s %12s %9.1f %12.1f\n", r, med(pk, r, m), (c >= 0 ? sprintf("%.3f", c) : "-"), (cc > 0 ? sprintf("%.3f", cc) : "-"),
			(sent[r] ? 100 * lost[r] / sent[r] : 0), med(md, r, m), med(p9, r, m),
			(skip ? "-" : sprintf("%.1f", med(am, r, m))), (skip ? "-" : sprintf("%.1f", med(ap, r, m))),
			(skip ? "-" : sprintf("%.1f", med(ax, r, m))), med(noise, r, m), med(tl, r, m)
	}
	print "(CPU_us/pkt: the relay process'"'"'s CPU time; core_us/pkt: its core not idle, which adds the wake-ups from idle to"
	print " it that no task is charged; noise%: the most another process or the hypervisor took of either CPU during a"
	print " run, the relay'"'"'s core counting those wake-ups too; tool_lag_p99: how late"
	print " the tool sent, in us: above a few hundred it was short of CPU itself and the latencies are not the relay'"'"'s)"
	print ""
	if (rc > 0 && mc > 0)
		printf "target CPU per packet <= half of rtpengine'"'"'s: moonsip %.3f / rtpengine %.3f us = %.2f: %s (their cores: %.2f)\n", mc, rc, mc / rc, (mc / rc <= 0.5 ? "MET" : "NOT MET"), (rcc > 0 ? mcc / rcc : 0)
	else
		print "target CPU per packet: not measured (a relay is missing)"
	for (fl in fc) if (rc > 0 && fc[fl] > 0)
		printf "%s, the floor: %.3f us CPU per packet = %.2f of rtpengine'"'"'s%s\n", fl, fc[fl], fc[fl] / rc, (mc > 0 ? sprintf(", %.2f of moonsip'"'"'s", fc[fl] / mc) : "")
	if (map != "")
		printf "target p99 added < 100 us at 1000 streams x 50 pps: moonsip %.1f us at %d streams x %g pps: %s\n", map, streams, pps,
			(streams != target_streams || pps != target_pps ? "(not the target load)" : (map < 100 ? "MET" : "NOT MET"))
}' "$tsv"
for r in $RELAYS; do
	[[ -n ${why_failed[$r]:-} ]] && echo "$r: FAILED, not measured: ${why_failed[$r]}"
done
for r in rtpengine moonsip; do
	[[ -f $out/$r.log && " $RELAYS " == *" $r "* ]] || continue
	n=$(grep -ciE 'error|warn|crit' "$out/$r.log" || true)
	[[ ${n:-0} -gt 0 ]] && echo "$r log (last run): $n warning/error lines in ${out#"$root"/}/$r.log, the first: $(grep -m1 -iE 'error|warn|crit' "$out/$r.log" | cut -c1-200)"
done
echo
echo "raw results: ${tsv#"$root"/}"
echo "command: ${cmd_env}bash tests/bench/rtp.sh"
