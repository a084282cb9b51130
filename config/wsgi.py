"""WSGI entry point (gunicorn config.wsgi).

Under gunicorn with several workers on embedded chDB, the page workers forward the pipe API to
the built-in host's own process, and that process trusts the client address they forward
(config/pipes_host.py, config/host_forward.py).
"""
import os

from django.core.wsgi import get_wsgi_application

from config import host_forward

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application: host_forward.WSGIApp = get_wsgi_application()

if os.environ.get("PANES_PIPES_HOST"):
    application = host_forward.trust_forwarded_client(application)
elif os.environ.get("PIPES_HOST_SOCKET"):
    application = host_forward.forward_to_host(application, os.environ["PIPES_HOST_SOCKET"])
