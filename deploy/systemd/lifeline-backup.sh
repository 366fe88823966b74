#!/bin/sh
# lifeline-backup.service's job: a new backup, then the newest $LIFELINE_BACKUP_KEEP kept.
# A backup that fails deletes nothing but what it left. Needs LIFELINE_ADMIN_DATABASE_URL.
set -eu
dir=${LIFELINE_BACKUP_DIR:-/var/backups/lifeline}
keep=${LIFELINE_BACKUP_KEEP:-14}
lifeline=${LIFELINE_BIN:-/opt/lifeline-pbx/venv/bin/lifeline}

umask 077
mkdir -p "$dir"
new="$dir/$(date -u +%Y-%m-%dT%H%M%SZ)"
if [ -e "$new" ]; then echo "$new exists already" >&2; exit 1; fi
if ! "$lifeline" backup "$new"; then
    rm -rf -- "$new"
    exit 1
fi
# Names sort by time: all but the newest $keep backups go (folders with a manifest only).
ls -1d "$dir"/????-??-??T??????Z/manifest.json | head -n -"$keep" | while read -r manifest; do
    rm -rf -- "${manifest%/manifest.json}"
done
