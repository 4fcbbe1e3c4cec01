# Socialdapres production image.
#
# Node 24 runs the TypeScript sources directly (type stripping), so there is no
# build step and one stage is enough. `npm ci --omit=dev` leaves out the
# development tools, the `node` package that pins Node 24 for development (the
# base image is Node 24 already) and pino-pretty (logs are JSON lines here).
#
#   docker build -t socialdapres .
#   docker run -p 3000:3000 -v socialdapres-data:/data -e ORIGIN=https://social.example socialdapres
FROM node:24-slim

# Node's compile cache (stripped TypeScript and compiled code, src/main.js) in the data
# volume, so that it outlives the container: only the first start after an upgrade strips.
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000 \
    NODE_COMPILE_CACHE=/data/.compile-cache

WORKDIR /app

# Dependencies first: a change to the sources does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The application: sources and SQL migrations (applied at start), owned by root
# and read-only for the user that runs them.
COPY migrations ./migrations
COPY src ./src

# The embedded database (when DATABASE_URL is unset), the control socket used
# by the CLI, and later media, live in DATA_DIR.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node
EXPOSE 3000

# No curl in the slim image: Node's own fetch. A worker (ROLE=worker) serves no
# HTTP: disable the health check for it (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Node itself as PID 1 (not npm): it receives SIGTERM and shuts down cleanly,
# letting running jobs finish. The same command as `npm start` (package.json;
# test/start-command.test.ts keeps them equal): V8's young generation capped
# at 2 × 16 MB instead of growing to 2 × 64 MB (docs/ARCHITECTURE.md, "Memory").
CMD ["node", "--max-semi-space-size=16", "src/main.js"]
