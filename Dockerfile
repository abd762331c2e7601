# Stance Atlas in a container: the dashboard on port 8501, SQLite store in /data unless DATABASE_URL is set.
#   docker build -t stance-atlas .
#   docker run -p 8501:8501 -v stance-atlas-data:/data stance-atlas
#   docker run -p 8501:8501 -e DATABASE_URL=postgresql+psycopg://user:pw@db:5432/stance_atlas stance-atlas
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STANCE_ATLAS_DATA_DIR=/data \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app
COPY requirements.txt .
# PyPI's Linux wheels of torch are CUDA builds (several GB); take the CPU build from PyTorch's own index first.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 atlas && mkdir -p /data && chown atlas /data
USER atlas
VOLUME ["/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')" || exit 1
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
