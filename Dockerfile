# syntax=docker/dockerfile:1
#
# Hookferry container image. One image serves every role; the command picks it:
#   npm run api      REST API + web dashboard (default)
#   npm run worker   Temporal worker (workflows + activities)
#   npm run migrate  database migrations
#   npm run temporal:cluster -- setup|register   the Temporal server's schemas, namespace and search attributes
#
# The TypeScript sources run directly under tsx (a runtime dependency), so no
# tsc step is needed. The only build step is the Vite dashboard -> web/dist.

ARG NODE_IMAGE=node:20-bookworm-slim
# temporal-sql-tool of the same Temporal release as the server (deploy/temporal/, src/temporal/server.ts).
ARG TEMPORAL_ADMIN_TOOLS_IMAGE=temporalio/admin-tools:1.29.1-tctl-1.18.4-cli-1.5.0

# ---- temporal-admin-tools: only its temporal-sql-tool is used (Temporal builds its binaries without cgo, so it runs on Debian too) ----
FROM ${TEMPORAL_ADMIN_TOOLS_IMAGE} AS temporal-admin-tools

# ---- deps: full dependency tree (dev deps are needed for the Vite build) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: the web dashboard (Vite -> web/dist) ----------------------------
FROM deps AS build
COPY . .
RUN npm run build

# ---- prod-deps: runtime dependencies only -----------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ----------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
WORKDIR /app

# Application files stay owned by root (read-only for the app user); the
# process itself runs as the unprivileged `node` user (uid 1000) that the
# official Node image provides.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY . .
COPY --from=build /app/web/dist ./web/dist
# For `npm run temporal:cluster -- setup` (docker-compose.yml's temporal-schema service), which
# creates and upgrades the Temporal server's databases as it does outside Docker.
COPY --from=temporal-admin-tools /usr/local/bin/temporal-sql-tool /usr/local/bin/temporal-sql-tool
ENV TEMPORAL_SQL_TOOL_PATH=/usr/local/bin/temporal-sql-tool

USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
