# Omnihub: one image for API nodes and workers (the command picks the role: api, worker, migrate, …).
# Node 26, the project's Node line (package.json engines, .nvmrc, README).

# Build: every dependency (TypeScript is a devDependency), then the compiled JavaScript in dist/.
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts here: `prepare` would compile before the sources are copied; the build step below does it.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime: production dependencies, the compiled code and the migrations; no TypeScript, no sources, no tests.
FROM node:26-trixie-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs the devDependencies this stage leaves out.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY deploy/worker-healthcheck.mjs ./deploy/
USER node
EXPOSE 4000 9464
# An API node's readiness; docker-compose.yml gives the worker its own check (deploy/worker-healthcheck.mjs).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/bin/omnihub.js"]
CMD ["api"]
