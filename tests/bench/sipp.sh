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

# reg_users FILE N: SIPp's injection file for tests/sipp/reg-auth.xml, users user0001 to userN
# with passwords pw0001... (the [authentication ...] keyword is in the file, as SIPp 3.6 takes no
# nested keyword inside one in the scenario); sets kam_users to the same users, for Kamailio's
# KAM_USERS
reg_users() {
	local i
	kam_users=""
	{
		echo SEQUENTIAL
		for i in $(seq -f %04g 1 "$2"); do
			echo "user$i;[authentication username=user$i password=pw$i]"
			kam_users="$kam_users user$i:pw$i"
		done
	} >"$1"
	kam_users=${kam_users# }
}
