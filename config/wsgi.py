import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Load every serving model version in the background (gunicorn imports this in each worker,
# runserver once), so the first requests do not wait for the loads.
from models_registry.warming import serving_warm_in_background  # noqa: E402

serving_warm_in_background()
