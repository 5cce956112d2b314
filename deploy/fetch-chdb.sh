#!/bin/sh
# fetch-chdb.sh installs libchdb.so (the embedded ClickHouse engine) into a
# cache outside the repository, from the npm registry package
# @chdb/lib-linux-x64-gnu, pinned and checked against its published integrity
# hash. It reuses the cached copy when one is already there.
#
# Usage: deploy/fetch-chdb.sh            # prints the path of libchdb.so
# Env:   AD_CHDB_CACHE  cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/activedefense)
set -eu

PKG="@chdb/lib-linux-x64-gnu"
VERSION="26.7.3-stable.1"
INTEGRITY="sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw=="

cache="${AD_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/activedefense}"
dir="$cache/chdb-$VERSION"
lib="$dir/libchdb.so"

if [ -s "$lib" ] && [ -f "$dir/.verified" ]; then
	echo "$lib"
	exit 0
fi

for tool in npm tar openssl base64; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "fetch-chdb: '$tool' is required (Debian: apt-get install -y nodejs npm tar openssl coreutils)" >&2
		exit 1
	}
done

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "fetch-chdb: downloading $PKG@$VERSION (~180 MB) with npm pack" >&2
(cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)

got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
if [ "$got" != "$INTEGRITY" ]; then
	echo "fetch-chdb: integrity mismatch for $PKG@$VERSION" >&2
	echo "  want $INTEGRITY" >&2
	echo "  got  $got" >&2
	exit 1
fi

tar -xzf "$tgz" -C "$tmp" package/libchdb.so
mkdir -p "$dir"
mv "$tmp/package/libchdb.so" "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "$INTEGRITY" >"$dir/.verified"
echo "$lib"
