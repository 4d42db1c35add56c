#!/usr/bin/env bash
# Install the real agent CLIs that tests/test_clients_*.py drive, and the `skills` installer
# (npx skills add) with the Node.js it needs (>= 22.20, from the `node` package), at the versions
# pinned in package.json / package-lock.json beside this script, into $SKILL_EVAL_CLIENTS_DIR
# (default: ~/.cache/skill-eval/clients). Nothing is downloaded again while the pins are unchanged.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${SKILL_EVAL_CLIENTS_DIR:-$HOME/.cache/skill-eval/clients}"
if cmp -s "$here/package-lock.json" "$dest/.installed-lock.json" 2>/dev/null; then
  echo "agent CLIs: up to date in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "agent CLIs: npm not found (install Node.js 20+)" >&2; exit 1; }
staging="$dest.partial"
rm -rf "$staging"
mkdir -p "$staging"
cp "$here/package.json" "$here/package-lock.json" "$staging/"
(cd "$staging" && npm ci --no-audit --no-fund --loglevel=error)
# That Node.js is for the skills CLI only: the tests put node_modules/.bin first on PATH, and the
# agent CLIs keep running on the machine's node. It stays at node_modules/node/bin/node.
rm -f "$staging/node_modules/.bin/node"
cp "$here/package-lock.json" "$staging/.installed-lock.json"  # written last: the stamp
rm -rf "$dest"
mv "$staging" "$dest"
echo "agent CLIs: installed in $dest"
