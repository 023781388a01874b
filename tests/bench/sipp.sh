# Shared by the benchmark scripts (sourced): ports and SIPp's statistics.

# free_port: sets $fp to the next port from $next_port (then moves it on) that is
# free for both UDP and TCP on 127.0.0.1; never 5060.
next_port=${next_port:-26060}
free_port() {
	fp=$next_port
	while [[ $fp == 5060 || -n $(ss -Hlnu "sport = :$fp") || -n $(ss -Hlnt "sport = :$fp") ]]; do
		fp=$((fp + 1))
	done
	next_port=$((fp + 1))
}

# stat_fields [FILE]: created successful failed retransmissions elapsed_seconds, from the
# last line of a SIPp -trace_stat CSV (default $work/stat.csv); zeros when there is none.
stat_fields() {
	local f=${1:-$work/stat.csv}
	[[ -s $f ]] || { echo "0 0 0 0 0"; return; }
	awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ last = $0 }
		END {
			split(last, f, ";")
			split(f[col["StartTime"]], a, "\t"); split(f[col["CurrentTime"]], b, "\t")
			printf "%d %d %d %d %.3f\n", f[col["TotalCallCreated"]], f[col["SuccessfulCall(C)"]],
				f[col["FailedCall(C)"]], f[col["Retransmissions(C)"]], b[3] - a[3]
		}' "$f"
}
