#!/bin/bash
# Check the settings, render the shipped Asterisk configuration, generate prompts, migrate
# (when given the admin login), then run Asterisk and the Lifeline app together; if either
# stops, the container stops. Every secret may come from a file: LIFELINE_X_FILE=/path
# instead of LIFELINE_X (compose secrets). Nothing starts while a setting is missing or bad.
set -euo pipefail

fail() { echo "lifeline-entrypoint: $*" >&2; exit 2; }

# VAR from VAR_FILE when that is set (a trailing newline is dropped), as the postgres image does.
# `lifeline` reads LIFELINE_X_FILE itself too, but the files are read here, as root: the app
# runs as its own user, who may not read them, and this script needs some values itself (the
# ARI password for ari.conf, the database passwords, which are no setting of the app).
from_file() {
  local var=$1 file_var="$1_FILE"
  local path=${!file_var:-}
  [ -n "$path" ] || return 0
  [ -z "${!var:-}" ] || fail "set $var or $file_var, not both"
  [ -r "$path" ] || fail "$file_var: cannot read $path"
  local value
  value=$(<"$path")
  [ -n "$value" ] || fail "$file_var: $path is empty"
  export "$var=$value"
  unset "$file_var"
}

# The app's secret settings (config.SECRET_SETTINGS; tests/test_entrypoint.py holds the two
# lists equal) and the database passwords.
secrets=(LIFELINE_DATABASE_URL LIFELINE_ADMIN_DATABASE_URL LIFELINE_DATA_KEYS LIFELINE_LOOKUP_KEY
         LIFELINE_ARI_PASSWORD LIFELINE_AMI_SECRET
         LIFELINE_DATABASE_PASSWORD LIFELINE_ADMIN_DATABASE_PASSWORD)
for var in "${secrets[@]}"; do
  from_file "$var"
done

need() {
  local how=$1
  [[ $1 == LIFELINE_* ]] && how="$1 (or $1_FILE)"
  [ -n "${!1:-}" ] || fail "set $how: $2"
}
need LIFELINE_DATABASE_URL "the app's login, role lifeline_app (lifeline db app-role prints it)"
need LIFELINE_DATA_KEYS "id:key; make a key with: lifeline keys new"
need LIFELINE_LOOKUP_KEY "make one with: lifeline keys new"
need CARRIER_IP "the SIP address of the facility phone contractor"

# Values go into Asterisk's configuration text: a newline would start a new line of it, and
# ';' a comment that silently cuts the value short.
plain() {
  [[ "${!1}" =~ $2 ]] || fail "$1=${3:-${!1}}: $4"
}
plain CARRIER_IP '^[A-Za-z0-9.:-]+$' "" "expected an IP address or host name"
SIP_PORT=${SIP_PORT:-5060}
plain SIP_PORT '^[0-9]+$' "" "expected a port number"
(( SIP_PORT >= 1 && SIP_PORT <= 65535 )) || fail "SIP_PORT=$SIP_PORT: expected a port number"
# 4 RTP ports per call through the PBX; 10000-19999 carries 2,500 calls (docs/decisions.md).
RTP_START=${RTP_START:-10000}
RTP_END=${RTP_END:-19999}
plain RTP_START '^[0-9]+$' "" "expected a port number"
plain RTP_END '^[0-9]+$' "" "expected a port number"
if (( RTP_START < 1024 || RTP_END > 65535 || RTP_END - RTP_START < 399 )); then
  fail "RTP_START-RTP_END ($RTP_START-$RTP_END) must lie in 1024-65535 and hold at least 400 ports (100 calls)"
fi
if [ -n "${LIFELINE_ARI_PASSWORD:-}" ]; then
  plain LIFELINE_ARI_PASSWORD '^[A-Za-z0-9._~+=/-]+$' "(hidden)" \
    "letters, digits and ._~+=/- only (it is written into ari.conf)"
fi
if [ -n "${LIFELINE_AMI_SECRET:-}" ]; then
  plain LIFELINE_AMI_SECRET '^[A-Za-z0-9._~+=/-]+$' "(hidden)" \
    "letters, digits and ._~+=/- only (it is written into manager.conf)"
fi

# Behind 1:1 NAT (a cloud VM whose public address the provider maps to its private one): the
# public address Asterisk gives the carrier for SIP and audio (without it calls connect and
# nobody hears), and the networks it reaches directly. Unset, pjsip.conf is the shipped one.
nat=()
if [ -n "${EXTERNAL_SIGNALING_ADDRESS:-}" ] || [ -n "${EXTERNAL_MEDIA_ADDRESS:-}" ]; then
  need EXTERNAL_SIGNALING_ADDRESS \
    "the server's public address, as EXTERNAL_MEDIA_ADDRESS (behind NAT both are set)"
  need EXTERNAL_MEDIA_ADDRESS \
    "the server's public address, as EXTERNAL_SIGNALING_ADDRESS (behind NAT both are set)"
  plain EXTERNAL_SIGNALING_ADDRESS '^[A-Za-z0-9.:-]+$' "" "expected an IP address or host name"
  plain EXTERNAL_MEDIA_ADDRESS '^[A-Za-z0-9.:-]+$' "" "expected an IP address or host name"
  nat=(--set external_signaling_address="$EXTERNAL_SIGNALING_ADDRESS"
       --set external_media_address="$EXTERNAL_MEDIA_ADDRESS")
fi
if [ -n "${LOCAL_NET:-}" ]; then
  plain LOCAL_NET '^[0-9A-Fa-f.:/, ]+$' "" "expected networks, comma-separated (e.g. 10.0.0.0/8)"
  [ ${#nat[@]} -gt 0 ] ||
    fail "LOCAL_NET=$LOCAL_NET: set EXTERNAL_SIGNALING_ADDRESS and EXTERNAL_MEDIA_ADDRESS with it"
  nat+=(--set local_net="$LOCAL_NET")
fi

# The outbound trunk (on-call escalation, later transfers): off unless both are given. Its
# password goes to Asterisk as a file (--set-file), never on a command line.
trunk=()
if [ -n "${LIFELINE_TRUNK_USER:-}" ] || [ -n "${LIFELINE_TRUNK_PASSWORD_FILE:-}" ]; then
  need LIFELINE_TRUNK_USER "the outbound trunk's account at the carrier (with LIFELINE_TRUNK_PASSWORD_FILE)"
  plain LIFELINE_TRUNK_USER '^[A-Za-z0-9._~+=/-]+$' "" "letters, digits and ._~+=/- only"
  [ -r "${LIFELINE_TRUNK_PASSWORD_FILE:-}" ] ||
    fail "set LIFELINE_TRUNK_PASSWORD_FILE: a readable file holding the outbound trunk's password"
  trunk=(--set trunk_user="$LIFELINE_TRUNK_USER" --set-file trunk_password="$LIFELINE_TRUNK_PASSWORD_FILE")
fi

# ARI and AMI are on loopback and only this container's app uses them: unless given, their
# passwords are made at each start.
token() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
export LIFELINE_ARI_PASSWORD=${LIFELINE_ARI_PASSWORD:-$(token)}
export LIFELINE_AMI_SECRET=${LIFELINE_AMI_SECRET:-$(token)}
export LIFELINE_AMI_USER=${LIFELINE_AMI_USER:-lifeline-security}
export LIFELINE_ARI_USER=${LIFELINE_ARI_USER:-lifeline}

# The app's settings, checked as `lifeline serve` will read them, before anything starts.
lifeline config check

# With a command, run only it, as the app with the app's login and secrets, e.g.
#   docker compose exec pbx lifeline-entrypoint lifeline user add coordinator --role admin
if [ $# -gt 0 ]; then
  unset LIFELINE_ADMIN_DATABASE_URL LIFELINE_ADMIN_DATABASE_PASSWORD
  if [ -n "${LIFELINE_DATABASE_PASSWORD:-}" ]; then export PGPASSWORD=$LIFELINE_DATABASE_PASSWORD; fi
  unset LIFELINE_DATABASE_PASSWORD
  exec "$@"
fi

moddir=${ASTERISK_MODDIR:-}
if [ -z "$moddir" ]; then
  pjsip=$(find /usr/lib -name chan_pjsip.so -print -quit)
  [ -n "$pjsip" ] || fail "no chan_pjsip.so under /usr/lib: is asterisk-modules installed?"
  moddir=$(dirname "$pjsip")
fi

lifeline asterisk-config --out /etc/asterisk \
  --set astetcdir=/etc/asterisk --set astvarlibdir=/var/lib/asterisk \
  --set astspooldir=/var/spool/asterisk --set astrundir=/var/run/asterisk \
  --set astlogdir=/var/log/asterisk --set astmoddir="$moddir" --set astdatadir=/usr/share/asterisk \
  --set sip_bind=0.0.0.0 --set sip_port="$SIP_PORT" \
  --set http_bind=127.0.0.1 --set http_port=8088 \
  --set ari_user="$LIFELINE_ARI_USER" --set ari_password="$LIFELINE_ARI_PASSWORD" --set ari_app=lifeline \
  --set rtp_start="$RTP_START" --set rtp_end="$RTP_END" \
  --set prompts_dir=/var/lib/lifeline-pbx/prompts --set moh_dir=/var/lib/lifeline-pbx/prompts/moh \
  --set default_language=en --set carrier_host="$CARRIER_IP" --set carrier_match="$CARRIER_IP" \
  --set ami_host=127.0.0.1 --set ami_port="${LIFELINE_AMI_PORT:-5038}" --set ami_user="$LIFELINE_AMI_USER" \
  --set ami_secret="$LIFELINE_AMI_SECRET" "${nat[@]}" "${trunk[@]}" >/dev/null
lifeline prompts --out /var/lib/lifeline-pbx/prompts

# A URL without a password takes it from *_DATABASE_PASSWORD, handed to each command alone as
# libpq's PGPASSWORD (asyncpg reads it).
with_password() {
  local password=$1
  shift
  if [ -n "$password" ]; then PGPASSWORD=$password "$@"; else "$@"; fi
}
admin_password=${LIFELINE_ADMIN_DATABASE_PASSWORD:-}
app_password=${LIFELINE_DATABASE_PASSWORD:-}
unset LIFELINE_ADMIN_DATABASE_PASSWORD LIFELINE_DATABASE_PASSWORD
if [ -n "${LIFELINE_ADMIN_DATABASE_URL:-}" ]; then
  with_password "$admin_password" lifeline migrate
  if [ -n "$app_password" ]; then
    # lifeline_app gets the password the app is given (first start, or after it changed).
    with_password "$admin_password" \
      lifeline db app-role --password-file <(printf '%s' "$app_password") >/dev/null
  fi
else
  echo "LIFELINE_ADMIN_DATABASE_URL is not set: not migrating (set it to upgrade the schema)" >&2
fi
# The app runs without the admin login, and not as root: secret files readable by root only
# (mode 0600) stay out of its reach.
unset LIFELINE_ADMIN_DATABASE_URL admin_password

asterisk -f -n &
asterisk_pid=$!
with_password "$app_password" \
  setpriv --reuid=lifeline --regid=lifeline --init-groups lifeline serve &
app_pid=$!
trap 'kill $asterisk_pid $app_pid 2>/dev/null' INT TERM
status=0
wait -n "$asterisk_pid" "$app_pid" || status=$?
kill "$asterisk_pid" "$app_pid" 2>/dev/null || true
wait || true
exit "$status"
