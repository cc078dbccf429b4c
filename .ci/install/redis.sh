#!/usr/bin/env bash
# Installs Debian's redis-server when it is not on PATH. The service is not started:
# tests start their own redis-server on a free loopback port (testing/servers/startRedis.ts).
set -euo pipefail

if command -v redis-server >/dev/null; then
  echo "redis: $(redis-server --version | cut -d' ' -f1-3) already on PATH"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "redis: redis-server is missing and there is no apt-get to install it" >&2
  exit 1
fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

echo "redis: installing Debian's redis-server"
export DEBIAN_FRONTEND=noninteractive
# Keep the package from starting its service (tests start their own): while it installs,
# a policy-rc.d that says 101 ("action forbidden") makes invoke-rc.d skip the start. Only
# when there is none already, and removed again afterwards.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
redis-server --version
