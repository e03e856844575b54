# syntax=docker/dockerfile:1
# The Threds image: one image for every process type (gateway, worker, agents, setup and the CLI); the command picks
# the role, e.g. `docker run threds:0.1.0 worker`. Configuration and secrets come from the environment at run time
# (SPEC §11, §13): nothing secret is built into a layer.

ARG NODE_IMAGE=node:20.19-bookworm-slim

# ---- build: dependencies, the web console and the workflow bundle, then drop the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the npm ci layer is reused until the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# esbuild is a dev dependency: the console is built here and the runtime stage ships web/dist alone (the gateway
# only serves it).
RUN npm run build:web
# Bundling the workflows takes seconds; done once here, every worker start reads .data/bundle (bin/bundle.ts keys it
# by a hash of workflows/, patterns/ and the lock file, all copied unchanged into the runtime stage).
RUN node --import tsx --input-type=module -e "await (await import('./bin/bundle.ts')).workflowBundle()"
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and the sources tsx runs, as an unprivileged user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json /app/tsconfig.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/activities ./activities
COPY --from=build /app/config ./config
COPY --from=build /app/gateway ./gateway
COPY --from=build /app/patterns ./patterns
COPY --from=build /app/store ./store
COPY --from=build /app/telemetry ./telemetry
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/deploy/probe.mjs ./deploy/probe.mjs
# .data is the one writable place (the bundle cache; the JWT secret file only when THREDS_JWT_SECRET is unset).
COPY --from=build --chown=node:node /app/.data ./.data
USER node
EXPOSE 3000 9464
ENTRYPOINT ["node", "bin/threds.mjs"]
CMD ["gateway"]
