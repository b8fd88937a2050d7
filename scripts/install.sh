#!/bin/sh
# Installs slipway as a systemd service: a dedicated user, its folders, an SSH key pair for the
# deploy hosts, and the unit. Idempotent: what exists is kept (never a new key over an old one).
# Usage: scripts/install.sh [--dry-run] [--prefix /opt/slipway]
#   --dry-run   print what would be done, change nothing
set -eu

DRY=0
PREFIX=/opt/slipway
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --prefix) shift; PREFIX="${1:?--prefix needs a folder}" ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

SRC="$(cd "$(dirname "$0")/.." && pwd)"
USER_NAME=slipway
STATE=/var/lib/slipway
ETC=/etc/slipway
UNIT=/etc/systemd/system/slipway.service

run() {
  if [ "$DRY" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

if [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then echo "install.sh: run as root (or with --dry-run)" >&2; exit 1; fi

if id "$USER_NAME" >/dev/null 2>&1; then echo "user $USER_NAME exists"; else
  run useradd --system --home-dir "$STATE" --shell /usr/sbin/nologin --user-group "$USER_NAME"
fi

for dir in "$STATE" "$STATE/.ssh" "$ETC" "$ETC/config"; do
  if [ -d "$dir" ]; then echo "folder $dir exists"; else run install -d -m 0750 "$dir"; fi
done
run chown -R "$USER_NAME:$USER_NAME" "$STATE"
run chown "root:$USER_NAME" "$ETC" "$ETC/config"

KEY="$STATE/.ssh/id_ed25519"
if [ -f "$KEY" ]; then echo "key $KEY exists (kept)"; else
  run ssh-keygen -q -t ed25519 -N '' -C "slipway@$(hostname)" -f "$KEY"
  run chown "$USER_NAME:$USER_NAME" "$KEY" "$KEY.pub"
fi
if [ -f "$STATE/.ssh/known_hosts" ]; then echo "known_hosts exists"; else run install -m 0640 -o "$USER_NAME" -g "$USER_NAME" /dev/null "$STATE/.ssh/known_hosts"; fi

if [ "$SRC" != "$PREFIX" ]; then
  run install -d "$PREFIX"
  run cp -R "$SRC/bin" "$SRC/dist" "$SRC/package.json" "$PREFIX/"
  [ -d "$SRC/node_modules" ] && run cp -R "$SRC/node_modules" "$PREFIX/"
fi

if [ -f "$ETC/config/slipway.yaml" ]; then echo "config $ETC/config exists (kept)"; else
  run node "$PREFIX/bin/slipway.js" init "$ETC/config"
  echo "edit $ETC/config: stateDir: $STATE, ssh.identity: $KEY, ssh.knownHosts: $STATE/.ssh/known_hosts"
fi

if [ -f "$UNIT" ] && cmp -s "$SRC/scripts/slipway.service" "$UNIT"; then echo "unit $UNIT is current"; else
  run install -m 0644 "$SRC/scripts/slipway.service" "$UNIT"
  run systemctl daemon-reload
fi
echo "next: add $KEY.pub to each deploy host's authorized_keys, then: systemctl enable --now slipway"
