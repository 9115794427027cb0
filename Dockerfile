# One image for the three services; the command picks the service: structures gateway|moderation|notifier.
# GraphiQL's browser files, from the npm packages pinned in the lock file (the page works without internet).
FROM node:20-slim AS graphiql
WORKDIR /src
COPY shared/graphiql_assets/package.json shared/graphiql_assets/package-lock.json shared/graphiql_assets/build.mjs shared/graphiql_assets/README.md ./
RUN npm ci --no-audit --no-fund && npm run build

# The espace professionnel (web/), typed from the committed SDL; served by the gateway at / (GATEWAY_WEB_DIST).
FROM node:20-slim AS web
WORKDIR /src
COPY gateway/schema.graphql gateway/schema.graphql
COPY web web
RUN cd web && npm ci --no-audit --no-fund && npm run build

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY moderation moderation
COPY notifier notifier
COPY shared shared
COPY structures structures
COPY --from=graphiql /src/dist shared/graphiql_assets/dist
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 structures
COPY --from=build /wheels /wheels
COPY --from=web /src/web/dist /srv/espace-professionnel
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER structures
WORKDIR /home/structures
ENV GATEWAY_HOST=0.0.0.0 MODERATION_HOST=0.0.0.0 NOTIFIER_HOST=0.0.0.0 GATEWAY_WEB_DIST=/srv/espace-professionnel
EXPOSE 8000 8001 8002
CMD ["structures", "gateway"]
