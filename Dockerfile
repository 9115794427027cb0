# One image for the three services; the command picks the service: structures gateway|moderation|notifier.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY moderation moderation
COPY notifier notifier
COPY shared shared
COPY structures structures
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 structures
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER structures
WORKDIR /home/structures
ENV GATEWAY_HOST=0.0.0.0 MODERATION_HOST=0.0.0.0 NOTIFIER_HOST=0.0.0.0
EXPOSE 8000 8001 8002
CMD ["structures", "gateway"]
