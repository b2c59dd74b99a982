"""Settings of {{name}}: a small Django project without a database (add DATABASES and apps as you need them)."""
import os

# Set DJANGO_SECRET_KEY in serverless.yml's environment (e.g. ${env:DJANGO_SECRET_KEY}) before going to production.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-{{name}}-change-me")

DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"

# Ferry's gateway reaches the app as Host 127.0.0.1 (the public host is in X-Forwarded-Host).
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = []

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "config.urls"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {}

USE_TZ = True
