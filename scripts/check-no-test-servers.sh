#!/usr/bin/env bash
# Fails when a server started by the test harness is still running (their command lines carry
# the harness's work directory, /tmp/huleedu-test-*).
set -euo pipefail
sleep 1
if survivors=$(pgrep -af 'huleedu-test-' | grep -v -e pgrep -e check-no-test-servers); then
  echo "test servers survived the run:" >&2
  echo "$survivors" >&2
  exit 1
fi
echo "no test server survived the run"
