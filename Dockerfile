# One image for the whole platform; each compose service chooses what to run (the HTTP API, the
# worker, `alembic upgrade head`, the topic set-up, or the demo). Build: docker build -t huleedu/platform .
# No `# syntax=` line: BuildKit would fetch that frontend from a registry; this file needs none.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve the production set from the frozen pdm.lock into /opt/venv -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PDM_CHECK_UPDATE=false
RUN pip install "pdm==2.29.3" "unearth<0.19" "hishel<2"
WORKDIR /src
COPY pyproject.toml pdm.lock ./
COPY libs ./libs
COPY services ./services
COPY scripts/docker_requirements.py ./scripts/
# Fails when pdm.lock no longer matches pyproject.toml: the image installs only what is locked.
RUN pdm lock --check \
 && pdm export --dev --group dev --no-hashes --no-extras --format requirements -o /tmp/locked.txt \
 && python scripts/docker_requirements.py --locked /tmp/locked.txt --out-dir /tmp/req \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --constraint /tmp/req/constraints.txt \
      --requirement /tmp/req/requirements.txt

# --- runtime: the virtualenv and the source, no build or dev tools, not root ---------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 huleedu \
 && useradd --system --uid 10001 --gid huleedu --home-dir /app --shell /usr/sbin/nologin huleedu
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root services ./services
COPY --chown=root:root scripts/__init__.py scripts/create_topics.py scripts/platform_services.py \
     scripts/migrate_all.py scripts/database_urls.py scripts/verify_outbox_indexes.py \
     scripts/demo.py scripts/demo_matching.py scripts/mint_token.py ./scripts/
COPY --chown=root:root scripts/demo_data ./scripts/demo_data
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER huleedu
CMD ["python", "-c", "print('huleedu platform image: choose a command, see docker-compose.services.yml')"]
