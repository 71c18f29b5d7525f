FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY migrator ./migrator
COPY connectors ./connectors
COPY wizard ./wizard
COPY billing ./billing
COPY reports ./reports
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home app && mkdir -p /data && chown app /data
USER app
EXPOSE 8000
