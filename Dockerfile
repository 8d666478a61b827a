# kinesis-lake production image. Built by `cdk deploy` (as a CDK asset) or by
# hand: docker build -t kinesis-lake .
# Checked rule by rule by test/deploy/dockerfile.test.ts (no Docker engine in CI).

# One pinned base for both stages: a full Node LTS version, never a moving tag;
# the same as package.json's devDependencies.node, which the tests and benches run on.
FROM node:22.22.0-bookworm-slim AS base

# Build stage: dev dependencies (TypeScript) and the compiled dist/.
FROM base AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped: compiling needs no native module, and the dev-only
# emulators' native add-ons would need a toolchain the slim image lacks.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY tools/bundle.mjs ./tools/
COPY src ./src
RUN npm run build

# Run stage: production dependencies only, the built code and its runtime assets.
FROM base AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful lease handoff) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# The root file system is read-only in ECS: anything that writes (npm, os.tmpdir(), $HOME caches) goes to /tmp.
# MALLOC_*: freed Buffers go back to the kernel instead of staying in
# per-thread malloc arenas (src/config/memoryFit.ts MALLOC_ENV, measured there).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    HOME=/tmp \
    TMPDIR=/tmp \
    npm_config_cache=/tmp/.npm \
    KL_METRICS_PORT=9464
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY queries ./queries
# The node image's unprivileged user (uid 1000); the code stays root-owned, so read-only to it.
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KL_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/bin/kinesis-lake.js"]
CMD ["run"]
