# dist-exec: one image recipe, two targets. From the repository root:
#   docker build --target master -t dist-exec-master .
#   docker build --target worker -t dist-exec-worker .
# (docker-compose.yml builds both.)

# Compiles TypeScript, the native modules and the native spawner (g++ brings cc) with the full toolchain.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .prebuild-installrc tsconfig.base.json tsconfig.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY packages ./packages
# npm ci runs "prepare" (tsc -b, then the spawner); then drop the dev dependencies and the sources.
RUN npm ci && npm prune --omit=dev && rm -rf packages/*/test packages/*/src

# What both programs run on: the code owned by root (COPY without --chown), which the user the programs
# run as can read but not change, so a job cannot rewrite the worker that runs it. proto/ is read at run
# time by proto-loader.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app

# The master. Its store and admin token live in /data, the worker token it writes in /secrets: named volumes
# start out as these directories, owned by the user the master runs as.
FROM runtime AS master
RUN mkdir -p /data /secrets && chown node:node /data /secrets && chmod 700 /data /secrets
USER node
VOLUME ["/data"]
EXPOSE 50051 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "packages/runtime/dist/health-probe.js", "127.0.0.1:50051"]
ENTRYPOINT ["node", "packages/master/dist/main.js"]
# In a container, loopback is no use: listen on every interface (callers still need a token).
CMD ["--host", "0.0.0.0", "--port", "50051", "--http-port", "8080", "--data-dir", "/data"]

# A worker. What it keeps across restarts (its node secret) lives in /state, owned by its user.
FROM runtime AS worker
RUN mkdir -p /state && chown node:node /state && chmod 700 /state
USER node
VOLUME ["/state"]
EXPOSE 50052 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "packages/runtime/dist/health-probe.js", "127.0.0.1:50052"]
ENTRYPOINT ["node", "packages/worker/dist/main.js"]
# In a container, loopback is no use: listen on every interface (only the master it registered with may call it).
CMD ["--host", "0.0.0.0", "--port", "50052", "--state-dir", "/state"]
