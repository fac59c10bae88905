# syntax=docker/dockerfile:1
# The relgraph API image. Build from the repository root:
#   docker build -f docker/api.Dockerfile -t relgraph-api .
# (docker compose does this; see docker-compose.yml). Configuration is RELGRAPH_* environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libgomp1: OpenMP runtime that the LightGBM wheel links against (not in the slim image).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

# torch first, pinned, from the CPU-only index: a looser requirement (or the default index) pulls
# several GB of CUDA packages. `pip install .` below then finds torch==2.13.0 already satisfied.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /src
COPY . .
RUN pip install . && rm -rf /src/build

RUN useradd --create-home --uid 10001 relgraph \
    && mkdir -p /data \
    && chown relgraph:relgraph /data
USER relgraph
WORKDIR /data
ENV RELGRAPH_DATA_DIR=/data
VOLUME ["/data"]

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

CMD ["relgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
