#!/bin/bash
# Start-up of `moonsip run scripts/default.lua` with N bindings in its registrar file: the time
# the registrar takes to load them (the server's own log line "registrar: N bindings loaded
# from FILE in X ms"), the time from exec to "running", and the server's memory once running
# (VmRSS and PSS), beside the same with an empty file. The file is filled by bench_registrar
# (through the REGISTER path; BENCH_KEEP_DB keeps it).
#
# usage (from the repository root): bash tests/bench/registrar-start.sh
# env:  N=100000  RUNS=5  BIN=build/bench-proxy/moonsip  BENCH=build-bench-reg/bench_registrar
#       (both built here when missing: Release, MOONSIP_BENCH=ON for the bench)
# Output: one line per start, then the medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
N=${N:-100000}
RUNS=${RUNS:-5}
bin=${BIN:-$root/build/bench-proxy/moonsip}
bench=${BENCH:-$root/build-bench-reg/bench_registrar}
. tests/bench/cpu.sh   # alive, stop_pid
. tests/bench/sipp.sh  # free_port

if [[ ! -x $bin ]]; then
	cmake -S . -B build/bench-proxy -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/bench-proxy --target moonsip -j"$(nproc)" >/dev/null
fi
if [[ ! -x $bench ]]; then
	cmake -S . -B build-bench-reg -DMOONSIP_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-bench-reg --target bench_registrar -j"$(nproc)" >/dev/null
fi

work=$(mktemp -d /tmp/moonsip-regstart.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do stop_pid "$p"; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "filling $N bindings with $bench (about 10 s per 100 000)"
BENCH_KEEP_DB=$work/full.db "$bench" "$N" 0.05 >"$work/fill.txt"

# start FILE: one start; prints "load_ms exec_to_running_ms rss_kib pss_kib bindings"
start() {
	local db=$1 log=$work/srv.log p t0 t1 loaded
	free_port
	t0=$(date +%s%N)
	"$bin" run --listen "udp:127.0.0.1:$fp" --db "$db" scripts/default.lua 2>"$log" &
	p=$!
	pids+=("$p")
	for _ in $(seq 1 600); do
		grep -q ' running$' "$log" && break
		alive "$p" || { echo "the server died:" >&2; cat "$log" >&2; exit 1; }
		sleep 0.005
	done
	t1=$(date +%s%N)
	loaded=$(sed -n 's/.*registrar: \([0-9]*\) bindings loaded from .* in \([0-9.]*\) ms.*/\2 \1/p' "$log")
	local rss pss
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")
	pss=$(awk '/^Pss:/ { s += $2 } END { print s }' "/proc/$p/smaps_rollup")
	stop_pid "$p"
	echo "${loaded% *} $(((t1 - t0) / 1000000)) $rss $pss ${loaded#* }"
}

empty=$work/empty.db
"$bin" user add nobody@127.0.0.1 --password x --db "$empty" 2>/dev/null # a file, no binding
printf 'file\tload_ms\tstart_ms\trss_kib\tpss_kib\tbindings\n'
for f in empty full; do
	for _ in $(seq 1 "$RUNS"); do
		printf '%s\t%s\n' "$f" "$(start "$work/$f.db" | tr ' ' '\t')"
	done
done | tee "$work/starts.tsv"
echo
awk -F'\t' '{ n[$1]++; l[$1, n[$1]] = $2; s[$1, n[$1]] = $3; r[$1, n[$1]] = $4; p[$1, n[$1]] = $5; b[$1] = $6 }
	function med(a, k, m,   i, j, t, v) { for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((m + 1) / 2)] }
	END {
		for (k in n) printf "%-5s  %7d bindings  load %7.1f ms  exec to running %5d ms  RSS %7d KiB  PSS %7d KiB\n",
			k, b[k], med(l, k, n[k]), med(s, k, n[k]), med(r, k, n[k]), med(p, k, n[k])
	}' "$work/starts.tsv" | sort
echo "command: N=$N RUNS=$RUNS bash tests/bench/registrar-start.sh"
