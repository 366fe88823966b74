#!/bin/sh
# The secret files compose.yaml reads, made once in secrets/ (folder 0700, files 0600; run
# it as the user who runs docker compose). A file that exists is kept: replacing data_keys or
# lookup_key would leave the sealed case data unreadable. Back those two up apart from the
# database backups (docs/operations.md).
set -eu
cd "$(dirname "$0")/.."
umask 077
mkdir -p secrets
chmod 700 secrets
random_hex() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
random_key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
write_once() {
  if [ -e "secrets/$1" ]; then
    echo "kept secrets/$1"
  else
    printf '%s' "$2" > "secrets/$1"
    echo "wrote secrets/$1"
  fi
}
write_once db_admin_password "$(random_hex)"
write_once db_app_password "$(random_hex)"
write_once data_keys "$(date +%Y%m):$(random_key)"
write_once lookup_key "$(random_key)"
