#!/usr/bin/env bash
# Sets up a fresh machine for Orchestra: system packages (when apt and root are available), npm
# dependencies from the lock file, and the VS Code server used by `npm start` and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="chromium ripgrep build-essential pkg-config python3 libkrb5-dev bubblewrap"
missing=""
for c in chromium rg g++ pkg-config python3 bwrap; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
[ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/gssapi.h ] || missing="$missing libkrb5-dev"
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing system packages (missing:$missing)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $PKGS >/dev/null
  else
    echo "Missing:$missing. Install them with: sudo apt-get install $PKGS" >&2
    exit 1
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-vscode-server.sh
