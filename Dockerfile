# One image for every Switchboard service; compose.yaml picks the service with `serve <name>`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml ./
COPY events ./events
COPY schemas ./schemas
COPY services ./services
COPY switchboard ./switchboard
RUN pip install . && useradd --create-home --uid 10001 switchboard
# The built-in configuration; compose mounts the deployment's own over it.
COPY switchboard.toml /etc/switchboard/switchboard.toml

USER switchboard
# DATA_DIR: where SQLite stores go when no SWITCHBOARD_DATABASE_URL is given (writable here).
ENV SWITCHBOARD_CONFIG_FILE=/etc/switchboard/switchboard.toml \
    SWITCHBOARD_DATA_DIR=/home/switchboard/data \
    SWITCHBOARD_HTTP_HOST=0.0.0.0 \
    SWITCHBOARD_HTTP_PORT=8000
EXPOSE 8000
ENTRYPOINT ["switchboard"]
CMD ["serve"]
