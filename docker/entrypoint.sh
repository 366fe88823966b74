#!/bin/bash
# Render the shipped Asterisk configuration, generate prompts, migrate (when given the admin
# login), then run Asterisk and the Lifeline app together; if either stops, the container stops.
set -eu
: "${LIFELINE_DATABASE_URL:?set LIFELINE_DATABASE_URL (the app role lifeline_app: lifeline db app-role prints it)}"
: "${LIFELINE_ARI_PASSWORD:?set LIFELINE_ARI_PASSWORD}"
: "${CARRIER_IP:?set CARRIER_IP (the SIP address of the facility phone contractor)}"
: "${LIFELINE_DATA_KEYS:?set LIFELINE_DATA_KEYS (id:key; make a key with: lifeline keys new)}"
: "${LIFELINE_LOOKUP_KEY:?set LIFELINE_LOOKUP_KEY (make one with: lifeline keys new)}"
# The AMI secret is made at each start unless given: only this container's app uses it.
if [ -z "${LIFELINE_AMI_SECRET:-}" ]; then
  LIFELINE_AMI_SECRET=$(python3 -c "import secrets; print(secrets.token_hex(24))")
fi
export LIFELINE_AMI_SECRET LIFELINE_AMI_USER=${LIFELINE_AMI_USER:-lifeline-security}
moddir=$(dirname "$(find /usr/lib -name chan_pjsip.so | head -n 1)")
lifeline asterisk-config --out /etc/asterisk \
  --set astetcdir=/etc/asterisk --set astvarlibdir=/var/lib/asterisk \
  --set astspooldir=/var/spool/asterisk --set astrundir=/var/run/asterisk \
  --set astlogdir=/var/log/asterisk --set astmoddir="$moddir" --set astdatadir=/usr/share/asterisk \
  --set sip_bind=0.0.0.0 --set sip_port="${SIP_PORT:-5060}" \
  --set http_bind=127.0.0.1 --set http_port=8088 \
  --set ari_user="$LIFELINE_ARI_USER" --set ari_password="$LIFELINE_ARI_PASSWORD" --set ari_app=lifeline \
  --set rtp_start=10000 --set rtp_end=10999 \
  --set prompts_dir=/var/lib/lifeline-pbx/prompts --set moh_dir=/var/lib/lifeline-pbx/prompts/moh \
  --set default_language=en --set carrier_host="$CARRIER_IP" --set carrier_match="$CARRIER_IP" \
  --set ami_port="${LIFELINE_AMI_PORT:-5038}" --set ami_user="$LIFELINE_AMI_USER" \
  --set ami_secret="$LIFELINE_AMI_SECRET" >/dev/null
lifeline prompts --out /var/lib/lifeline-pbx/prompts
if [ -n "${LIFELINE_ADMIN_DATABASE_URL:-}" ]; then
  lifeline migrate
else
  echo "LIFELINE_ADMIN_DATABASE_URL is not set: not migrating (set it to upgrade the schema)" >&2
fi
unset LIFELINE_ADMIN_DATABASE_URL  # the app runs without the admin login
asterisk -f -n &
asterisk_pid=$!
lifeline serve &
app_pid=$!
trap 'kill $asterisk_pid $app_pid 2>/dev/null' INT TERM
wait -n 2>/dev/null || wait $app_pid
kill $asterisk_pid $app_pid 2>/dev/null || true
