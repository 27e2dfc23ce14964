#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# Lint docs/openapi.yaml with the pinned linter (installed by
# `scripts/install-deps --lint`, which `make check` runs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/node_modules/.bin/redocly"
if [ ! -x "$bin" ]; then
	echo "openapi lint: linter not installed; run scripts/install-deps --lint" >&2
	exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec "$bin" lint --config "$here/redocly.yaml" "$here/../../docs/openapi.yaml"
