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

# Two workers: the default queue (feedback sweep, retrain check, guardrails, reaper) in a solo
# pool with beat embedded, and the `training` queue (fits) in a one-child prefork pool, the
# pool that enforces the training time limits. A long fit never holds up the default queue.
CELERY_WORKER := $(VENV)/bin/celery -A config worker --loglevel=INFO --without-mingle --without-gossip
# Beat's schedule is in the database, edited in the admin; the code's (config/celery.py) is
# synced into it when beat starts (aiops/beat.py).
WORKER_DEFAULT := $(CELERY_WORKER) -Q celery -n default@%h --pool=solo --beat \
	--scheduler=aiops.beat:CodeDefinedScheduler
WORKER_TRAINING := $(CELERY_WORKER) -Q training -n training@%h --pool=prefork --concurrency=1

run: install var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Starting the Celery workers: default queue + beat, and training (logs: var/celery*.log)..."
	@$(WORKER_DEFAULT) --logfile=var/celery.log & DEFAULT=$$!; \
		$(WORKER_TRAINING) --logfile=var/celery-training.log & TRAINING=$$!; \
		trap "kill $$DEFAULT $$TRAINING 2>/dev/null" EXIT INT TERM; \
		echo "API and admin on http://127.0.0.1:$(PORT)/ (docs: /api/docs/, admin: /admin/)"; \
		$(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

worker: install var
	@$(WORKER_TRAINING) & TRAINING=$$!; trap "kill $$TRAINING 2>/dev/null" EXIT INT TERM; \
		$(WORKER_DEFAULT)

test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -n 2 --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DATABASE_URL=sqlite://:memory: DJANGO_SETTINGS_MODULE=config.settings.test \
		$(PY) manage.py makemigrations --check --dry-run

bench: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) benchmarks/banking77.py

clean:
	rm -rf var
