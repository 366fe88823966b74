#!/bin/bash
# Healthy when Asterisk answers on its console socket and the app's /healthz says ok (the
# database answers, the app is connected to Asterisk's ARI, and every data key the database
# uses is configured). "degraded" (a key missing: calls are answered, some pages fail) is
# unhealthy too: a person must act. Compose restarts nothing for it (a restart would not
# bring the key back and would cut the calls in progress).
set -euo pipefail
asterisk -rx "core show uptime" | grep -q "System uptime"
host=${LIFELINE_WEB_HOST:-127.0.0.1}
case "$host" in 0.0.0.0|"") host=127.0.0.1 ;; esac
exec python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
  "http://$host:${LIFELINE_WEB_PORT:-8080}/healthz"
