# syntax=docker/dockerfile:1
# The inventory service as a container: build a wheel, install it into a virtualenv, copy only
# that virtualenv into a slim runtime that runs as an unprivileged user.
#   docker build -t inventory-service:0.1.0 .
#   docker run --rm -p 8000:8000 -e INVENTORY_DATABASE_URL=postgresql://... inventory-service:0.1.0
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY models ./models
COPY inventory_service ./inventory_service
COPY api ./api
COPY seed ./seed
# The same two steps tests/deploy/test_image.py runs: the wheel, then the wheel into a venv.
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/inventory \
    && /opt/inventory/bin/pip install /wheels/inventory_service-*.whl \
    && /opt/inventory/bin/pip uninstall --yes pip \
    && /opt/inventory/bin/inventory-service --help > /dev/null

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="inventory-service" \
      org.opencontainers.image.description="Spare parts and device register of the Liaoning O&M contract"
# No compiler, no pip cache, no source tree: the virtualenv holds the installed wheel alone.
RUN groupadd --system --gid 10001 inventory \
    && useradd --system --uid 10001 --gid inventory --home-dir /nonexistent \
       --no-create-home --shell /usr/sbin/nologin inventory
COPY --from=build /opt/inventory /opt/inventory
ENV PATH=/opt/inventory/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INVENTORY_ENVIRONMENT=production \
    INVENTORY_LOG_JSON=true \
    INVENTORY_WORKERS=1 \
    INVENTORY_SHUTDOWN_GRACE_SECONDS=20
# Temporary files (spreadsheet exports) go to /tmp, a writable volume under a read-only root.
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["inventory-service"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
