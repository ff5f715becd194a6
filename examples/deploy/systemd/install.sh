#!/bin/sh
# Installs fleet demo as rendered by clawhost (systemd, system scope). Creates what is missing;
# never replaces a gateway's config or token that is already there (the gateway's own copy wins).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
umask 077
mk() { [ -d "$1" ] || { mkdir -p -m 0700 "$1"; chown 'clawhost' "$1"; }; }
mk '/srv/clawhost/demo'
# main
mk '/srv/clawhost/demo/main'
mk '/srv/clawhost/demo/main/config'
mk '/srv/clawhost/demo/main/state'
mk '/srv/clawhost/demo/main/workspace'
mk '/srv/clawhost/demo/main/logs'
mk '/srv/clawhost/demo/main/home'
mk '/srv/clawhost/demo/main/tmp'
mk '/srv/clawhost/demo/main/cache'
mk '/srv/clawhost/demo/main/run'
mk '/srv/clawhost/demo/main/secrets'
[ -e '/srv/clawhost/demo/main/config/openclaw.json' ] || install -m 0600 -o 'clawhost' "$here/config/main.json" '/srv/clawhost/demo/main/config/openclaw.json'
[ -e '/srv/clawhost/demo/main/secrets/gateway.token' ] || install -m 0600 -o 'clawhost' "$here/secrets/main.token" '/srv/clawhost/demo/main/secrets/gateway.token'
# rescue
mk '/srv/clawhost/demo/rescue'
mk '/srv/clawhost/demo/rescue/config'
mk '/srv/clawhost/demo/rescue/state'
mk '/srv/clawhost/demo/rescue/workspace'
mk '/srv/clawhost/demo/rescue/logs'
mk '/srv/clawhost/demo/rescue/home'
mk '/srv/clawhost/demo/rescue/tmp'
mk '/srv/clawhost/demo/rescue/cache'
mk '/srv/clawhost/demo/rescue/run'
mk '/srv/clawhost/demo/rescue/secrets'
[ -e '/srv/clawhost/demo/rescue/config/openclaw.json' ] || install -m 0600 -o 'clawhost' "$here/config/rescue.json" '/srv/clawhost/demo/rescue/config/openclaw.json'
[ -e '/srv/clawhost/demo/rescue/secrets/gateway.token' ] || install -m 0600 -o 'clawhost' "$here/secrets/rescue.token" '/srv/clawhost/demo/rescue/secrets/gateway.token'
# research
mk '/srv/clawhost/demo/research'
mk '/srv/clawhost/demo/research/config'
mk '/srv/clawhost/demo/research/state'
mk '/srv/clawhost/demo/research/workspace'
mk '/srv/clawhost/demo/research/logs'
mk '/srv/clawhost/demo/research/home'
mk '/srv/clawhost/demo/research/tmp'
mk '/srv/clawhost/demo/research/cache'
mk '/srv/clawhost/demo/research/run'
mk '/srv/clawhost/demo/research/secrets'
[ -e '/srv/clawhost/demo/research/config/openclaw.json' ] || install -m 0600 -o 'clawhost' "$here/config/research.json" '/srv/clawhost/demo/research/config/openclaw.json'
[ -e '/srv/clawhost/demo/research/secrets/gateway.token' ] || install -m 0600 -o 'clawhost' "$here/secrets/research.token" '/srv/clawhost/demo/research/secrets/gateway.token'
install -m 0600 -o 'clawhost' "$here/secrets/research.env" '/srv/clawhost/demo/research/secrets/gateway.env'
systemctl link "$here/clawhost-demo-main.service" "$here/clawhost-demo-rescue.service" "$here/clawhost-demo-research.service" "$here/clawhost-demo.target"
systemctl daemon-reload
echo "installed; start with: systemctl start clawhost-demo.target (at boot: systemctl enable clawhost-demo.target)"
