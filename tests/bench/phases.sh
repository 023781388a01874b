# shellcheck shell=bash
# shellcheck disable=SC2154 # live, port, pid... are the caller's
# The phases shared by proxy.sh and register.sh (sourced). The caller defines
#   measure SERVER MODE RATE REP   one SIPp run against one server: a line in $tsv (successful
#                                  runs in column 6, offered rate 3, failed 7, retransmissions 8,
#                                  answered/s 10, SIPp CPU % 16); 0 when the run was clean
#   sipp_uac PORT ARGS...          a bounded SIPp UAC run, statistics in $work/stat.csv
# and the globals live (the servers, in order), pid[], port[], extra_done[] (units done outside
# the TSV: start checks, warm-up), tsv, work, HZ, RATES, REPS, DRAIN, MAX_RATES, and UNIT, what a
# run counts ("calls", "regs").

# warm_up ARGS...: 400 units at 200/s through every live server, not measured (ARGS go to SIPp)
warm_up() {
	local s fields
	for s in $live; do
		sipp_uac "${port[$s]}" -r 200 -rp 1000 -l 500 -m 400 -timeout 10 -recv_timeout 5000 "$@" || true
		read -r -a fields <<<"$(stat_fields "$work/stat.csv")"
		extra_done[$s]=$((extra_done[$s] + fields[1]))
	done
}

# fixed_phase: every rate of RATES, REPS times, interleaved (rate, repetition, then server)
fixed_phase() {
	local r i s
	echo "fixed rates"
	for r in $RATES; do
		for i in $(seq "$REPS"); do
			for s in $live; do measure "$s" fixed "$r" "$i" || true; done
		done
	done
}

# drain_phase: with DRAIN=1, waits out the transaction timers (Timer J and K, up to 32 s over
# UDP) of the last runs, then prints CPU per unit over each server's whole life, drain included
# (also into $work/drain.txt)
drain_phase() {
	local s c
	[[ $DRAIN == 1 ]] || return 0
	echo "  (waiting 33 s for the transaction timers to end)"
	sleep 33
	for s in $live; do
		read -r -a c <<<"$(cpu "${pid[$s]}")"
		awk -F'\t' -v s="$s" -v ns="${c[1]}" -v tk="${c[0]}" -v hz="$HZ" -v extra="${extra_done[$s]}" -v unit="$UNIT" \
			'$1 == s && $2 == "fixed" { n += $6 }
			END { printf "  %-12s whole life so far (start, warm-up, fixed runs, drain): %d %s, %.1f us CPU per %s (ticks %.1f)\n",
				s, n + extra, unit, ns / 1e3 / (n + extra), substr(unit, 1, length(unit) - 1), tk * 1e6 / hz / (n + extra) }' \
			"$tsv" | tee -a "$work/drain.txt"
	done
}

# max_phase: MAX_RATES in turn until a server's run is not clean; sets best[SERVER] (the
# highest clean rate) and stop_at[SERVER] (what the failing step did)
max_phase() {
	local r s searching=$live
	declare -gA best stop_at
	echo "maximum rate: each rate in turn until a run fails"
	for r in $MAX_RATES; do
		[[ -n $searching ]] || break
		for s in $searching; do
			if measure "$s" max "$r" 1; then
				best[$s]=$r
			else
				stop_at[$s]=$(tail -1 "$tsv" | awk -F'\t' -v unit="$UNIT" '{ printf "%d/s: %d failed, %d retransmissions, %.0f %s/s answered, SIPp %.0f%% CPU", $3, $7, $8, $10, unit, $16 }')
				searching=$(echo " $searching " | sed "s/ $s / /; s/^ //; s/ $//")
			fi
		done
		# a server that died is out of the search too
		for s in $searching; do [[ " $live " == *" $s "* ]] || searching=$(echo " $searching " | sed "s/ $s / /; s/^ //; s/ $//"); done
	done
}
