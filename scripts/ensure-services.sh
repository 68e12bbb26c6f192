#!/usr/bin/env bash
# The cluster tests start Debian's redis-server and nginx themselves (never as services).
# Installs whichever is missing, once; quiet when both are there.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
	echo "Missing ${missing[*]}: install them (apt-get install -y ${missing[*]})" >&2
	exit 1
fi
echo "Installing Debian's ${missing[*]} for the cluster tests..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# policy-rc.d 101: the packages' postinst must not start the services on the default ports.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
