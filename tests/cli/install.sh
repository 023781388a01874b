#!/bin/sh
# cmake --install gives a tree that a program can build against with
# pkg-config alone, linking the shared library by its SONAME
# (libmoonsip.so.MAJOR), whose ms_version() is the project's version.
set -eu
build=$1 version=$2 cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cat > "$tmp/t.c" <<'C'
#include <moonsip/msg.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	static const char s[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
	struct ms_msg m;
	ms_msg_init(&m);
	int n = ms_msg_parse(&m, s, strlen(s), MS_PARSE_STREAM);
	printf("%s %d\n", ms_version(), n);
	ms_msg_free(&m);
	return n == (int)strlen(s) ? 0 : 1;
}
C
PKG_CONFIG_PATH=$(dirname "$(find "$tmp/prefix" -name moonsip.pc)")
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
$cc "$tmp/t.c" $(pkg-config --cflags --libs moonsip) -Wl,-rpath,"$(pkg-config --variable=libdir moonsip)" -o "$tmp/t"
out=$("$tmp/t")
[ "$out" = "$version 33" ] || { echo "the program printed '$out', expected '$version 33'"; exit 1; }
major=${version%%.*}
lib=$(pkg-config --variable=libdir moonsip)/libmoonsip.so
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libmoonsip.so.$major" ] || { echo "SONAME of $lib is '$soname', expected libmoonsip.so.$major"; exit 1; }
readelf -d "$tmp/t" | grep -q "(NEEDED).*\[libmoonsip.so.$major\]" ||
	{ echo "the program does not need libmoonsip.so.$major:"; readelf -d "$tmp/t" | grep NEEDED; exit 1; }
[ -e "$lib.$major" ] && [ -e "$lib.$version" ] || { echo "no $lib.$major and $lib.$version installed"; exit 1; }
echo "ok: $out, SONAME $soname"
