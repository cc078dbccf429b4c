#!/usr/bin/env bash
# Builds FerretDB (MongoDB wire protocol on SQLite) from the Go module proxy into the cache:
#   ${CHAT_CACHE_DIR:-$HOME/.cache/chat-backend}/bin/ferretdb
# A second run with the binary already there at this version does nothing.
#
# Why not `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: the module as served
# lacks build/version/version.txt (FerretDB generates it from `git describe` at release time,
# and it is embedded with go:embed), so that binary panics at start-up ("Invalid
# build/version/version.txt file content"). So: download the module, copy it to a temp dir,
# write version.txt, and `go build` there. Its dependencies come from the module proxy via
# the module's own go.mod/go.sum. The SQLite backend is in the default build (pure Go,
# modernc.org/sqlite): no build tags, no cgo.
set -euo pipefail

FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_VERSION=v1.24.2
CACHE_DIR="${CHAT_CACHE_DIR:-$HOME/.cache/chat-backend}"
BIN_DIR="$CACHE_DIR/bin"
BIN="$BIN_DIR/ferretdb"

if [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep -q "version: ${FERRETDB_VERSION}\$"; then
  echo "ferretdb: ${FERRETDB_VERSION} cached at $BIN"
  exit 0
fi

command -v go >/dev/null || { echo "ferretdb: 'go' is not on PATH; cannot build FerretDB" >&2; exit 1; }
echo "ferretdb: building ${FERRETDB_VERSION} with $(go version) into $BIN_DIR"

MOD_DIR="$(go mod download -json "${FERRETDB_MODULE}@${FERRETDB_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n "$MOD_DIR" && -f "$MOD_DIR/go.mod" ]] || { echo "ferretdb: go mod download gave no module dir" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$MOD_DIR/." "$WORK/src"
chmod -R u+w "$WORK/src"
printf '%s\n' "$FERRETDB_VERSION" > "$WORK/src/build/version/version.txt"
printf '%s\n' "go-module-proxy" > "$WORK/src/build/version/package.txt"

mkdir -p "$BIN_DIR"
# GOTOOLCHAIN=local: build with the machine's Go (newer than the module's go/toolchain lines).
(cd "$WORK/src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
  go build -buildvcs=false -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
mv -f "$BIN.tmp" "$BIN"
"$BIN" --version
