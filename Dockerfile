# finrep — one image for web, worker and beat (the command differs); see docs/deploy.md.
#
#   docker build -t finrep/app:0.1.0 -t finrep/app:$(git rev-parse --short HEAD) --target runtime .
#   docker build -t finrep/app:dev --target dev .
#   docker buildx build --platform linux/amd64,linux/arm64 -t finrep/app:0.1.0 --target runtime --push .
#
# Stages: deps (npm ci with dev dependencies) → build (npm run build: src/ → dist/) → os (Debian packages the
# processes need at run time) → prod-deps (npm ci --omit=dev) → dev (sources mounted, reload on change) and
# runtime (the production image). Nothing here is x86-only: Debian's chromium, fonts-noto-cjk, tini and
# postgresql-client-15 exist for arm64, and the native npm modules (argon2, jieba, resvg) ship arm64 builds
# that npm ci picks by platform.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS os
# chromium renders dynamic sources; fonts-noto-cjk gives Chromium and the charts their Chinese glyphs; tini is
# PID 1 (signals forwarded, zombies reaped: Chromium leaves children); postgresql-client-15 is finrep backup's
# pg_dump/psql, the server's major version.
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium fonts-noto-cjk tini postgresql-client-15 ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && printf '#!/bin/sh\nexec node /app/dist/main.js "$@"\n' > /usr/local/bin/finrep \
  && chmod 755 /usr/local/bin/finrep
ENV CHROMIUM_PATH=/usr/bin/chromium \
    FINREP_DATA_DIR=/app/data \
    TZ=Asia/Shanghai
WORKDIR /app

FROM os AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Development: the whole toolchain; docker-compose.dev.yml mounts src/ over the copy and tsx restarts the
# process when a source changes.
FROM os AS dev
ENV NODE_ENV=development \
    PATH=/app/node_modules/.bin:$PATH
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN mkdir -p /app/data && chown 1000:1000 /app/data
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["tsx", "watch", "--clear-screen=false", "src/main.ts", "web"]

FROM os AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="finrep" \
      org.opencontainers.image.description="金融情报日报系统 — financial-intelligence daily report: web, worker and beat" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED"
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# /backups: compose mounts the finrep_backups_prod volume there (beat, the backup profile). A new named volume
# takes the ownership of the image's folder; without one here it would be root's and uid 1000 could not write.
RUN mkdir -p /app/data /backups && chown 1000:1000 /app/data /backups
# The node image's "node" user: uid/gid 1000, the owner of the data volume.
USER 1000:1000
VOLUME ["/app/data"]
EXPOSE 8000
# The web process by default; compose gives worker and beat their own check (finrep health worker|beat).
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 CMD ["finrep", "health", "web"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/main.js"]
CMD ["web"]
