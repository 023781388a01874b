#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root):
#   bash tests/run.sh
# It installs what it needs, builds with warnings as errors, runs the unit,
# corpus and command-line tests, then all of them again under AddressSanitizer
# and UndefinedBehaviorSanitizer, then each fuzzer for a bounded time.
# The last line is the total: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

packages=(build-essential cmake pkg-config libluajit-5.1-dev luajit lua-busted libev-dev libssl-dev
	libsqlite3-dev clang-14 libclang-rt-14-dev clang-format-14 openssl
	sip-tester python3 stunnel4 iproute2 nftables valgrind baresip-core)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null ||
		{ echo "apt-get install failed"; exit 1; }
fi

passed=0 failed=0
# Runs ctest in a build directory and adds its counts to the totals.
run_ctest() {
	local dir=$1 label=$2 out
	out=$(cd "$dir" && ctest --output-on-failure -j"$jobs" 2>&1)
	echo "$out" | grep -vE '^ +Start |Test +#[0-9]+: .* Passed' | sed "s/^/[$label] /"
	local total fails
	total=$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' | tail -1)
	fails=$(echo "$out" | sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' | tail -1)
	if [ -z "$total" ]; then
		echo "[$label] ctest did not run"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + total - fails))
	failed=$((failed + fails))
}

build() {
	local dir=$1
	shift
	cmake -S "$root" -B "$dir" -DMOONSIP_WERROR=ON "$@" >/dev/null &&
		cmake --build "$dir" -j"$jobs" 2>&1 | grep -E 'error|warning' 
	[ "${PIPESTATUS[0]}" -eq 0 ] && [ -x "$dir/moonsip" ]
}

echo "== release build"
if build build/test; then
	run_ctest build/test release
else
	echo "build failed"; failed=$((failed + 1))
fi

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
# clang: its UBSan also checks pointer overflow, which gcc does not.
if CC=clang-14 build build/asan -DMOONSIP_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug; then
	ASAN_OPTIONS=detect_leaks=1 run_ctest build/asan asan
else
	echo "sanitizer build failed"; failed=$((failed + 1))
fi

echo "== fuzzers (bounded)"
if [ -x tests/fuzz/run.sh ]; then
	fuzz_out=$(MS_FUZZ_SECONDS=${MS_FUZZ_SECONDS:-15} tests/fuzz/run.sh "$root/build/fuzz" 2>&1)
	echo "$fuzz_out" | sed 's/^/[fuzz] /'
	passed=$((passed + $(echo "$fuzz_out" | grep -c '^ok ')))
	failed=$((failed + $(echo "$fuzz_out" | grep -c '^FAIL ')))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
