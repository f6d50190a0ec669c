# coordbot in a container: the wheel built in one stage, installed in a slim one.
# Build: docker build -t coordbot .    Run several: docker compose up (docs/container.md)

FROM python:3.11-slim AS builder
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot bot
COPY handlers handlers
COPY locales locales
COPY migrations migrations
COPY events events
# The same command tests/test_package.py builds and checks the wheel with.
RUN python -m pip wheel --no-cache-dir --no-deps -w /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/coordbot/bin:$PATH
COPY --from=builder /wheels /wheels
# A virtualenv, as the package test installs into: our dependencies apart from the image's.
RUN python -m venv /opt/coordbot \
    && /opt/coordbot/bin/pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && groupadd --gid 10001 coordbot \
    && useradd --create-home --uid 10001 --gid 10001 coordbot
USER 10001:10001
WORKDIR /home/coordbot
# Telegram's webhook, Slack's HTTP mode, the health and metrics endpoint (HEALTH_PORT), the
# calendar feeds (CALENDAR_PORT).
EXPOSE 8443 3000 8081 8082
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HEALTH_PORT', '8081') + '/healthz', timeout=4)"]
CMD ["coordbot", "run"]
