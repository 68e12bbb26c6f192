#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
# Installs it once if missing; honours CHROMIUM_PATH when it points at another build.
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
	echo "Chromium not found at $bin: install it (apt-get install -y chromium) or set CHROMIUM_PATH" >&2
	exit 1
fi
echo "Installing Debian's chromium for the browser tests..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium >/dev/null
"$bin" --version
