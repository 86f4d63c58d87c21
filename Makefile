# mini_twitter: `make run` serves the app on the embedded default (manage.py's development settings,
# mini_twitter/settings/local.py); `make test` runs lint and tests (mini_twitter/settings/test.py).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format install migrate demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo_data

run: demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Tests run in two processes (pytest-xdist; tests/support/parallel.py gives each its own Redis
# databases and keeps the tests on a shared server in one of them); `make test PYTEST_ARGS=-n0` runs
# them in one.
PYTEST_ARGS ?= -n 2 --dist loadgroup

test: lint
	DJANGO_SETTINGS_MODULE=mini_twitter.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# A local Redis Cluster for the home timelines (three masters on 127.0.0.1:7001-7003, a replica of
# each on 7004-7006): serve with TIMELINES_REDIS_URL=$$(.ci/redis-cluster url); `make test-cluster`
# runs the cluster tests against it.
redis-cluster:
	.ci/redis-cluster start

redis-cluster-stop:
	.ci/redis-cluster stop

test-cluster: install
	TEST_REDIS_CLUSTER_URL=$$(.ci/redis-cluster url) $(BIN)/pytest -m cluster

.PHONY: redis-cluster redis-cluster-stop test-cluster

# Benchmark on PostgreSQL + Redis (see bench/run.py): seeds dedicated databases (created if missing),
# serves them with gunicorn and measures every endpoint a client uses; writes bench/results.json and
# bench/RESULTS.md, prints each scenario against its target (ratios to GET /api/users/me/ in the same
# run) and fails on a miss, after the plots (BENCH_ARGS=--no-fail: exploring; BENCH_PORT: the port).
# The home timeline groups are measured first on BENCH_DB_small (same users and follows, 100,000 posts),
# then on BENCH_DB (2,000,000 posts), so feed latency against total posts comes from one run.
BENCH_PG ?= -h 127.0.0.1 -U postgres
BENCH_DB ?= mini_twitter_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
BENCH_SMALL_REDIS_URL ?= redis://127.0.0.1:6379/15

bench: install
	for db in $(BENCH_DB) $(BENCH_DB)_small; do \
		psql $(BENCH_PG) -lqt | cut -d '|' -f 1 | grep -qw $$db || createdb $(BENCH_PG) $$db || exit 1; \
	done
	DATABASE_URL=$${BENCH_SMALL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$(BENCH_DB)_small} \
		REDIS_URL=$(BENCH_SMALL_REDIS_URL) $(BIN)/python bench/run.py --posts 100000 --name small \
		--only timelines --fanout-followers 0 --no-explain
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$(BENCH_DB)} REDIS_URL=$(BENCH_REDIS_URL) \
		$(BIN)/python bench/run.py --compare-posts bench/results.small.json $(BENCH_ARGS); \
		status=$$?; $(BIN)/python bench/plot.py && exit $$status

# A small data set (2,000 users, 100,000 posts) in its own database, 8 s per scenario; the same
# targets, plotted into bench/targets.quick.png.
bench-quick: install
	psql $(BENCH_PG) -lqt | cut -d '|' -f 1 | grep -qw $(BENCH_DB)_quick || createdb $(BENCH_PG) $(BENCH_DB)_quick
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$(BENCH_DB)_quick} REDIS_URL=$(BENCH_REDIS_URL) \
		$(BIN)/python bench/run.py --quick $(BENCH_ARGS); \
		status=$$?; $(BIN)/python bench/plot.py --name quick && exit $$status

.PHONY: bench-quick

# The scale-out topology beside the single node, in one run (bench/scale.py): a PostgreSQL primary
# and streaming replica (ports 5450/5451) and a three-master Redis Cluster (7101-7103) started under
# a temporary directory and stopped after, Celery on the RabbitMQ of BENCH_AMQP_URL; writes
# bench/RESULTS.scale.md.
bench-scale: install
	$(BIN)/python bench/scale.py

.PHONY: bench-scale

# A bounded load test (reads and writes mixed, loopback only, a fresh database): fails on any error;
# writes bench/LOADTEST.md.
LOADTEST_DB ?= mini_twitter_loadtest

loadtest: install
	psql $(BENCH_PG) -d postgres -q -c "DROP DATABASE IF EXISTS $(LOADTEST_DB) WITH (FORCE)" -c "CREATE DATABASE $(LOADTEST_DB)"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(LOADTEST_DB) REDIS_URL=redis://127.0.0.1:6379/13 \
		$(BIN)/python bench/loadtest.py

.PHONY: loadtest

# A faulted minute of mixed load (bench/chaos.py): its own Redis, uvicorn, a Celery worker and beat on a
# fresh database; the worker killed, Redis restarted with and without its data, the database connections
# cut. Fails on anything acknowledged and lost, or an error outside the faults; writes bench/CHAOS.md.
CHAOS_DB ?= mini_twitter_chaos

chaos: install
	psql $(BENCH_PG) -d postgres -q -c "DROP DATABASE IF EXISTS $(CHAOS_DB) WITH (FORCE)" -c "CREATE DATABASE $(CHAOS_DB)"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(CHAOS_DB) $(BIN)/python bench/chaos.py

.PHONY: chaos
