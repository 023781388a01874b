#!/bin/bash
# Builds the libFuzzer targets with clang-14, ASan and UBSan, and runs each
# for a bounded time on a writable copy of its seeds. Prints one line per
# target, "ok fuzz_x: ..." or "FAIL fuzz_x: ..." (tests/run.sh counts them);
# exits non-zero when a target found a crash, a leak or undefined behaviour
# (its reproducer and log are kept and named in the output).
#
#   tests/fuzz/run.sh [BUILD_DIR]        (default: build-fuzz in the source tree)
#
# Environment:
#   MS_FUZZ_SECONDS  run time of each target (default 15)
#   MS_FUZZ_TARGETS  which targets (default "msg uri frame sdp media stack")
#   MS_FUZZ_CFLAGS   extra C flags for the build
#   MS_FUZZ_WORK     directory for corpora, logs and reproducers (default: a
#                    new temporary directory, removed when all targets pass)
set -uo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-fuzz}
secs=${MS_FUZZ_SECONDS:-15}
targets=${MS_FUZZ_TARGETS:-msg uri frame sdp media ua_media stack}
cc=clang-14

# Inputs longer than a target needs only slow it down: a URI is short, a
# stream holds several messages.
max_len() {
	case $1 in
	uri) echo 512 ;;
	msg) echo 8192 ;;
	sdp) echo 4096 ;;
	media | ua_media) echo 4096 ;;
	frame) echo 16384 ;;
	stack) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

mkdir -p "$build"
if ! cmake -S "$src" -B "$build" -DMOONSIP_FUZZ=ON -DMOONSIP_SANITIZE=address,undefined \
	-DCMAKE_C_COMPILER="$cc" -DMOONSIP_TESTS=OFF -DCMAKE_C_FLAGS="${MS_FUZZ_CFLAGS:-}" \
	>"$build/fuzz-cmake.log" 2>&1; then
	tail -n 40 "$build/fuzz-cmake.log" >&2
	echo "FAIL fuzz: configure failed (log: $build/fuzz-cmake.log)"
	exit 2
fi
bins=()
for t in $targets; do
	bins+=("fuzz_$t")
done
if ! cmake --build "$build" --target "${bins[@]}" -j 2 >"$build/fuzz-build.log" 2>&1; then
	tail -n 40 "$build/fuzz-build.log" >&2
	echo "FAIL fuzz: build failed (log: $build/fuzz-build.log)"
	exit 2
fi

work=${MS_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/moonsip-fuzz.XXXXXX")}
mkdir -p "$work"
if ! "$src/tests/fuzz/make-seeds.sh" "$work/seeds" >/dev/null; then
	echo "FAIL fuzz: could not make the seed corpora"
	exit 2
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
for t in $targets; do
	corpus=$work/corpus/$t
	log=$work/$t.log
	mkdir -p "$corpus"
	cp "$work/seeds/$t"/* "$corpus/" 2>/dev/null
	"$build/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$t-" \
		"$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok fuzz_$t: ${runs:-?} runs in ${secs}s, corpus $(ls "$corpus" | wc -l) inputs"
	else
		failed=1
		artifact=$(ls "$work/$t-"* 2>/dev/null | head -n 1)
		summary=$(grep -m 1 -E '^SUMMARY|runtime error|ERROR: libFuzzer' "$log")
		echo "FAIL fuzz_$t: exit $rc: ${summary:-see log}; reproducer ${artifact:-none}; log $log"
	fi
done

if [ $failed -eq 0 ] && [ -z "${MS_FUZZ_WORK:-}" ]; then
	rm -rf "$work"
fi
exit $failed
