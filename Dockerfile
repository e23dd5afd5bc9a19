# kubereach container image: `docker build -t kubereach:0.1.0 .` (BuildKit, the default builder
# since Docker 23: RUN --mount caches npm downloads between builds).
#
# Three stages. `build` installs everything (dev dependencies included), generates the Prisma
# client and compiles the sources into dist/ (package.json "postinstall": `npm run build`);
# `deps` installs the production dependencies alone; the final stage copies the production
# node_modules, the compiled JavaScript and the sources, and runs as an unprivileged user with
# node as PID 1.
#
# bin/kubereach.js runs dist/ (nothing is transpiled at start); the sources stay in the image so
# it would fall back to them through tsx if dist/ were ever older than a source file.
# test/packaging/ checks this file and runs the start command below (see README).

ARG NODE_VERSION=20.20.2

# ---------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# The whole context (.dockerignore keeps node_modules, generated code and local state out): the
# postinstall script (`prisma generate`) needs prisma/, prisma.config.ts and tsconfig.json.
COPY . .
# Install scripts run as package.json "allowScripts" and .npmrc (strict-allow-scripts) say.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --strict-allow-scripts --no-audit --no-fund \
 && test -f src/generated/prisma/client.ts \
 && test -f dist/cli/main.js \
 && test -f web/dist/index.html

# ---------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only. --ignore-scripts: the root postinstall (`prisma generate`) needs
# the prisma CLI, a dev dependency; the client it generates comes from the build stage.
# npm keeps "devOptional" packages with --omit=dev (dev dependencies that are also optional peers
# of a production package: the prisma CLI and typescript for @prisma/client, ~120 MB); nothing
# in production needs them, so they are removed as the lockfile lists them. --omit=optional is
# not an option: it would also drop esbuild's platform binary, which tsx needs.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node -e 'const fs = require("node:fs"); const lock = require("./package-lock.json"); for (const [path, meta] of Object.entries(lock.packages)) if (meta.devOptional) fs.rmSync(path, { recursive: true, force: true });'

# ---------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG NODE_VERSION
LABEL org.opencontainers.image.title="kubereach" \
      org.opencontainers.image.description="Who can talk to what in a Kubernetes cluster, and since when: NetworkPolicy reachability analysis, history and API." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-bookworm-slim"

# An unprivileged user with a fixed numeric id (Kubernetes runAsNonRoot checks the number), the
# only writable directory (/data, for the embedded database when no DATABASE_URL is given), and
# no package manager left in the image: nothing at run time uses npm, yarn or corepack.
RUN groupadd --system --gid 10001 kubereach \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin kubereach \
 && mkdir -p /data \
 && chown 10001:10001 /data \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx \
           /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*

ENV NODE_ENV=production \
    KUBEREACH_DATA_DIR=/data/db \
    PORT=4000

WORKDIR /app
# Owned by root and read-only for the kubereach user: the application cannot modify itself, and
# the root filesystem can be mounted read-only (writable: /data, and /tmp for tsx's cache).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/tsconfig.json /app/schema.graphql ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/examples ./examples
# The web view at /ui, built from web/ by the install (npm run build:ui).
COPY --from=build /app/web/dist ./web/dist

USER 10001:10001
EXPOSE 4000
# Liveness of the process only (the event loop answers); /readyz is for traffic (see deploy/).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 (no shell, no npm): SIGTERM reaches kubereach, which shuts down gracefully.
STOPSIGNAL SIGTERM
# A young generation of up to 2 x 64 MB (V8's default: 2 x 16 MB): every scavenge costs ~3 ms per GB
# of heap whatever it collects, so on a large cluster's heap fewer scavenges hold the API's readers
# less (docs/configuration.md, "Node's heap").
ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/kubereach.js"]
CMD ["serve"]
