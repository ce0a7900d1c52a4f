# urdb serve in a container, installed from its own `npm pack` output (exactly what a global install gets).
#   docker build -t urdb . && docker run --env-file /etc/urdb/urdb.env -p 8000:8000 urdb
# Not built in urdb's CI (no container builder there): README.md, "Running in production".
FROM node:20-slim AS pack
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY bin bin
COPY src src
COPY sql sql
COPY tsconfig.json README.md ./
RUN npm run bundle && npm pack --ignore-scripts --pack-destination /out

FROM node:20-slim
ENV NODE_ENV=production
COPY --from=pack /out/ /tmp/urdb/
RUN npm install -g --omit=dev --no-audit --no-fund /tmp/urdb/urdb-*.tgz && rm -rf /tmp/urdb /root/.npm
# The image's unprivileged user; urdb writes nothing but its logs (stderr).
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8000/readyz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["urdb", "serve", "--host", "0.0.0.0", "--port", "8000", "--log-format", "json"]
