#!/usr/bin/env bash
# Installs the real AWS Lambda Node runtime client (aws-lambda-ric, npm) into
# test/.ric/ for the end-to-end bootstrap tests. It is not a dependency of
# syscage: it builds a native addon at install (cmake, autoconf, automake,
# libtool, make, g++) and declares node >= 22 (it runs on 20). The tests skip,
# saying why, when it is not there. .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/../test"
dir=.ric
[ -f "$dir/node_modules/aws-lambda-ric/rapid-client.node" ] && exit 0
mkdir -p "$dir"
cd "$dir"
cat > package.json <<'JSON'
{ "name": "syscage-test-ric", "private": true, "allowScripts": { "aws-lambda-ric": true } }
JSON
npm install --no-audit --no-fund --no-save aws-lambda-ric@4.0.2 >install.log 2>&1 || { tail -20 install.log >&2; exit 1; }
test -f node_modules/aws-lambda-ric/rapid-client.node
