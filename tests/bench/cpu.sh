# Shared by the benchmark scripts (sourced): CPU time of a server and of
# every process it forked, as Kamailio forks its workers; stopping one.

# descendants PID: PID and every process below it
descendants() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1" || true); do descendants "$c"; done
}

# cpu PID: "ticks ns" summed over the process tree: utime+stime from /proc/P/stat
# (clock ticks) and the scheduler's run time from /proc/P/task/*/schedstat (ns).
cpu() {
	local p s f t=0 ns=0 n x
	for p in $(descendants "$1"); do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		read -r -a f <<<"$s"
		t=$((t + f[11] + f[12]))
		for x in /proc/"$p"/task/*/schedstat; do
			read -r n _ <"$x" 2>/dev/null && ns=$((ns + n))
		done
	done
	echo "$t $ns"
}

# alive PID: running and not a zombie
alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[[ ${s:0:1} != Z ]]
}
# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL for it and whatever it forked
stop_pid() {
	local p=$1 kids i
	if alive "$p"; then
		kids=$(descendants "$p")
		kill "$p" 2>/dev/null || true
		for i in $(seq 50); do
			alive "$p" || break
			sleep 0.1
		done
		for i in $kids; do if alive "$i"; then kill -KILL "$i" 2>/dev/null || true; fi; done
	fi
	wait "$p" 2>/dev/null || true
}
