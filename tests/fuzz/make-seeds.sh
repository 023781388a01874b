#!/bin/bash
# Builds the seed corpora of the fuzz targets into OUT_DIR, from the test
# corpus (tests/corpus) and the hand-written seeds in tests/fuzz/seeds.
# The corpus is not copied into the source tree: seeds are made at run time,
# into a directory the fuzzers may then write their findings into.
#
#   tests/fuzz/make-seeds.sh OUT_DIR
#
# OUT_DIR/msg    every corpus message as it is, and the RFC 5118 ones (bare
#                LF) also with CRLF line ends, as a transport would carry them
# OUT_DIR/uri    tests/fuzz/seeds/uri, and the Request-URI of each message
# OUT_DIR/frame  a 9-byte fuzz_frame header (size limit, then the sizes of
#                the pieces the stream arrives in) followed by one or more
#                messages with CRLF keep-alives between them
# OUT_DIR/sdp    the bodies of the corpus messages that carry SDP, and
#                tests/fuzz/seeds/sdp when it exists
# OUT_DIR/media  the sdp seeds behind a fuzz_media flag byte
# OUT_DIR/ua_media  the same behind a fuzz_ua_media flag byte
# OUT_DIR/stack  the msg seeds behind a fuzz_stack mode byte
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUT_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/../corpus
out=$1
mkdir -p "$out/msg" "$out/uri" "$out/frame" "$out/sdp" "$out/media" "$out/ua_media" "$out/stack"

# Corpus files as "dir-name" seed names, in a stable order.
mapfile -t files < <(cd "$corpus" && find rfc4475 rfc5118 -name '*.dat' | LC_ALL=C sort)
seed_name() {
	local f=${1%.dat}
	echo "${f//\//-}"
}

# msg: the messages, and CRLF versions of those written with bare LF.
for f in "${files[@]}"; do
	name=$(seed_name "$f")
	cp "$corpus/$f" "$out/msg/$name"
	if ! grep -q $'\r' "$corpus/$f"; then
		sed 's/$/\r/' "$corpus/$f" >"$out/msg/$name-crlf"
	fi
done

# uri: the hand-written URIs and every Request-URI in the corpus.
cp "$here"/seeds/uri/* "$out/uri/"
for f in "${files[@]}"; do
	ruri=$(head -n 1 "$corpus/$f" | tr -d '\r' | awk '$1 !~ /^SIP\// { print $2 }')
	if [ -n "$ruri" ]; then
		printf '%s' "$ruri" >"$out/uri/ruri-$(seed_name "$f")"
	fi
done

# frame: headers picking the size limit and the piece sizes (octal). The
# first byte's low bits choose 4096, 4096, 512 or 100 bytes, and its bit 2
# leaves keep-alives unconsumed; a piece of 0 is "the rest at once".
headers=(
	'\000\000\000\000\000\000\000\000\000'
	'\000\001\001\001\001\001\001\001\001'
	'\001\003\007\015\037\077\177\377\002'
	'\002\020\040\100\200\001\002\004\010'
	'\003\005\005\005\005\005\005\005\005'
	'\004\001\002\001\003\001\005\001\007'
)
i=0
for f in "${files[@]}"; do
	h=${headers[i % ${#headers[@]}]}
	{ printf "$h"; cat "$corpus/$f"; } >"$out/frame/$(seed_name "$f")"
	i=$((i + 1))
done
# Several messages on one stream, with keep-alives and pings between them.
for d in valid application invalid; do
	for n in "${!headers[@]}"; do
		{
			printf "${headers[n]}"
			printf '\r\n\r\n'
			for f in "$corpus/rfc4475/$d"/*.dat; do
				cat "$f"
				printf '\r\n'
			done
		} >"$out/frame/stream-$d-$n"
	done
done

# sdp: the bodies of the messages whose Content-Type is application/sdp
# (everything after the first empty line).
for f in "${files[@]}"; do
	if grep -qi '^\(content-type\|c\)[ \t]*:[ \t]*application/sdp' "$corpus/$f"; then
		sed '1,/^\r\{0,1\}$/d' "$corpus/$f" >"$out/sdp/body-$(seed_name "$f")"
	fi
done
if [ -d "$here/seeds/sdp" ]; then
	find "$here/seeds/sdp" -maxdepth 1 -type f -exec cp {} "$out/sdp/" \;
fi

# stack: each message behind a mode byte: datagram over UDP with the TU
# answering (0x04), framed over TCP (0x07), and as an unframeable stream
# (0x0a); the last one sees the bytes the 400 is salvaged from.
for f in "$out"/msg/*; do
	for m in 04 07 0a; do
		{ printf "\\x$m"; cat "$f"; } >"$out/stack/$m-$(basename "$f")"
	done
done

# media: the SDP seeds behind a flag byte each (first leg, re-INVITE, address)
for f in "$out/sdp"/*; do
	for b in 00 03 05; do
		{ printf "\\x$b"; cat "$f"; } >"$out/media/$b-$(basename "$f")"
	done
done

# ua_media: the same behind its flag byte (answer an offer, take an answer,
# a fresh endpoint)
for f in "$out/sdp"/*; do
	for b in 00 01 03; do
		{ printf "\\x$b"; cat "$f"; } >"$out/ua_media/$b-$(basename "$f")"
	done
done

for t in msg uri frame sdp media ua_media stack; do
	echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
