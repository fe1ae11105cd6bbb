# One image for the gateway and the park nodes; the command chooses the role.
# Installed editable: the contracts in schema/ are read from the source tree at run time.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY alliance ./alliance
COPY adapters ./adapters
COPY bot ./bot
COPY schema ./schema
RUN pip install -e . && useradd --create-home --uid 10001 alliance
USER alliance

EXPOSE 8000
CMD ["alliance", "serve", "--host", "0.0.0.0", "--port", "8000"]
