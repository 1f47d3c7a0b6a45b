"""The WSGI entry point for production servers: `gunicorn -w 2 -k gthread --threads 8 genstudio.wsgi:app`.

Configuration comes from the environment (see config.py). Run `genstudio db upgrade` once before starting
several web processes, so that they find the tables (and the instance's secret key) already there.
"""

from .app import create_app

app = create_app()
