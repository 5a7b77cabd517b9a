#!/usr/bin/env bash
# Installs the VS Code server bundled in the code-server npm package into .vscode-test/code-server,
# offline-safe: every postinstall that would download a binary is skipped or replaced by a local one.
# Reused when already installed (the marker file holds the version).
set -euo pipefail
VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/.vscode-test/code-server"
MARKER="$DEST/.installed-$VERSION"
if [ -f "$MARKER" ]; then echo "VS Code server $VERSION already installed in $DEST"; exit 0; fi
RG="$(command -v rg || true)"
if [ -z "$RG" ]; then echo "ripgrep (rg) is required: apt-get install ripgrep" >&2; exit 1; fi
NODE_DIR="$(dirname "$(dirname "$(command -v node)")")"
if [ ! -f "$NODE_DIR/include/node/node.h" ]; then echo "Node headers not found under $NODE_DIR/include/node" >&2; exit 1; fi
rm -rf "$DEST"; mkdir -p "$DEST"; cd "$DEST"
echo '{"name":"orchestra-vscode-server","private":true}' > package.json
npm install --no-audit --no-fund --ignore-scripts "code-server@$VERSION"
npm rebuild argon2 --foreground-scripts >/dev/null
VS="$DEST/node_modules/code-server/lib/vscode"
cd "$VS"
npm install --no-audit --no-fund --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$RG" node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm_config_nodedir="$NODE_DIR" npm rebuild >/dev/null
ln -sfn node_modules node_modules.asar
( cd bin/remote-cli && ln -sf code-linux.sh code-server )
( cd bin/helpers && ln -sf browser-linux.sh browser.sh )
( cd extensions && npm install --no-audit --no-fund --omit=dev )
touch "$MARKER"
echo "VS Code server $VERSION installed in $DEST"
