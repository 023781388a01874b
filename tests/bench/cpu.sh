# Shared by the benchmark scripts (sourced): CPU time of a server and of
# every process it forked, as Kamailio forks its workers.

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
