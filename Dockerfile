# syntax=docker/dockerfile:1
#
# Hookferry container image. One image serves every role; the command picks it:
#   npm run api      REST API + web dashboard (default)
#   npm run worker   Temporal worker (workflows + activities)
#   npm run migrate  database migrations
#
# The TypeScript sources run directly under tsx (a runtime dependency), so no
# tsc step is needed. The only build step is the Vite dashboard -> web/dist.

ARG NODE_IMAGE=node:20-bookworm-slim

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

USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
