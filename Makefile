# aiops: `make run` (demo on the embedded default) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: install run test lint bench clean worker

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

var:
	mkdir -p var/celery/out var/celery/processed var/celery/control var/artifacts

run: install var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Starting a Celery worker with embedded beat (filesystem broker unless REDIS_URL)..."
	@$(VENV)/bin/celery -A config worker --beat --pool=solo --loglevel=INFO \
		--logfile=var/celery.log --schedule=var/celerybeat-schedule & \
		WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
		echo "API and admin on http://127.0.0.1:$(PORT)/ (docs: /api/docs/, admin: /admin/)"; \
		$(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

worker: install var
	$(VENV)/bin/celery -A config worker --beat --pool=solo --loglevel=INFO

test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -n 2 --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) benchmarks/banking77.py

clean:
	rm -rf var
