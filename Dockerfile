# syntax=docker/dockerfile:1
# Two images from one file:
#   docker build --target backend -t storeintel-backend .   (small: no torch, non-root, health check on /ready)
#   docker build --target worker  -t storeintel-worker  .   (edge worker with the CPU build of PyTorch)
# Migrations are a release step (`storeintel migrate`), never run at every start (see fly.toml).

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin storeintel

# ---- backend -------------------------------------------------------------------------------------
FROM base AS backend-build
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY admin ./admin
COPY worker ./worker
COPY storeintel_app.py ./
# hadolint ignore=DL3013
RUN pip install .

FROM base AS backend
COPY --from=backend-build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    STOREINTEL_ENVIRONMENT=production \
    STOREINTEL_DATA_DIR=/data
RUN mkdir -p /data && chown storeintel:storeintel /data
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=3).status != 200)"]
CMD ["storeintel", "serve", "--host", "0.0.0.0", "--port", "8000"]

# ---- worker --------------------------------------------------------------------------------------
FROM base AS worker
# OpenCV (pulled in by Ultralytics) needs these shared libraries. Unpinned on purpose: Debian's stable
# security updates should land on every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    YOLO_CONFIG_DIR=/tmp/ultralytics \
    STOREINTEL_WORKER_DATA_DIR=/var/lib/storeintel-worker
# The CPU wheels first, so Ultralytics does not pull the multi-gigabyte CUDA build. Versions come from the
# lower bounds in pyproject.toml (Ultralytics' own torch requirement), not pinned twice.
# hadolint ignore=DL3013
RUN pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY admin ./admin
COPY worker ./worker
COPY storeintel_app.py ./
# hadolint ignore=DL3013
RUN pip install ".[worker]"
RUN mkdir -p /var/lib/storeintel-worker && chown storeintel:storeintel /var/lib/storeintel-worker
USER 10001
VOLUME ["/var/lib/storeintel-worker"]
ENTRYPOINT ["storeintel-worker"]
CMD ["run", "--help"]
