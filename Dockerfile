# Lifeline PBX: Asterisk 22 and the Lifeline app (ARI + web) in one image.
# Asterisk 22 comes from Debian unstable's packages, as in the tests (Debian 12 lacks it).
# PostgreSQL runs outside the image (compose.yaml runs one beside it): pass the app role's
# login in LIFELINE_DATABASE_URL, and LIFELINE_ADMIN_DATABASE_URL when migrations are to be
# applied (docs/operations.md). Secrets may come from files: LIFELINE_X_FILE=/run/secrets/x.
#   docker build -t lifeline-pbx .
#   docker run --network host -e CARRIER_IP=203.0.113.7 \
#     -e LIFELINE_DATABASE_URL=postgresql://lifeline_app:...@127.0.0.1/lifeline \
#     -e LIFELINE_DATA_KEYS=k1:... -e LIFELINE_LOOKUP_KEY=... \
#     -v lifeline-prompts:/var/lib/lifeline-pbx lifeline-pbx
# Behind 1:1 NAT (a cloud VM whose public address is not on the host), calls have no audio
# unless given -e EXTERNAL_SIGNALING_ADDRESS=PUBLIC-IP -e EXTERNAL_MEDIA_ADDRESS=PUBLIC-IP
# -e LOCAL_NET=10.0.0.0/8 (the private networks, comma-separated); unset, none is rendered.
# The ARI password and the AMI secret are made at each start (only the app inside uses them).
FROM debian:sid-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends asterisk asterisk-modules \
      python3 python3-venv espeak-ng sox ffmpeg tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin lifeline

WORKDIR /opt/lifeline
COPY pyproject.toml README.md ./
COPY lifeline_pbx ./lifeline_pbx
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .
COPY asterisk-conf ./asterisk-conf
COPY dialplan ./dialplan
COPY migrations ./migrations
COPY prompts ./prompts
COPY web ./web
COPY docker/entrypoint.sh /usr/local/bin/lifeline-entrypoint
COPY docker/healthcheck.sh /usr/local/bin/lifeline-healthcheck
# The package is installed non-editable; point it at the shipped data folders. The web UI
# listens on loopback: put a TLS proxy in front of it (docs/operations.md), or set
# LIFELINE_WEB_HOST=0.0.0.0 on a trusted network only.
ENV PATH=/opt/venv/bin:$PATH \
    LIFELINE_HOME=/opt/lifeline \
    LIFELINE_ARI_URL=http://127.0.0.1:8088 \
    LIFELINE_ARI_USER=lifeline \
    LIFELINE_WEB_HOST=127.0.0.1
# Prompts, recordings waiting to be sealed into the database, Asterisk's own database.
VOLUME ["/var/lib/lifeline-pbx", "/var/spool/asterisk", "/var/lib/asterisk"]
EXPOSE 5060/udp 8080/tcp 10000-19999/udp
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
  CMD ["lifeline-healthcheck"]
ENTRYPOINT ["tini", "--", "lifeline-entrypoint"]
