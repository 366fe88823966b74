# Lifeline PBX: Asterisk 22 and the Lifeline app (ARI + web) in one image.
# Asterisk 22 comes from Debian unstable's packages, as in the tests (Debian 12 lacks it).
# PostgreSQL runs outside the image: pass LIFELINE_DATABASE_URL (the app role lifeline_app),
# and LIFELINE_ADMIN_DATABASE_URL when migrations are to be applied (docs/operations.md).
#   docker build -t lifeline-pbx .
#   docker run --network host -e LIFELINE_DATABASE_URL=postgresql://lifeline_app:... \
#     -e LIFELINE_ARI_PASSWORD=... -e CARRIER_IP=203.0.113.7 -v lifeline-data:/var/lib/lifeline-pbx lifeline-pbx
FROM debian:sid-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends asterisk asterisk-modules \
      python3 python3-venv espeak-ng sox tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*

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
# The package is installed non-editable; point it at the shipped data folders.
ENV PATH=/opt/venv/bin:$PATH \
    LIFELINE_HOME=/opt/lifeline \
    LIFELINE_ARI_URL=http://127.0.0.1:8088 \
    LIFELINE_ARI_USER=lifeline \
    LIFELINE_WEB_HOST=0.0.0.0
EXPOSE 5060/udp 8080/tcp 10000-10999/udp
ENTRYPOINT ["tini", "--", "lifeline-entrypoint"]
