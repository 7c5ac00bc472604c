# uiprocs — make targets. `make up` installs, builds and starts the bundled ui-procs.yaml;
# `make test` runs every test. Pass a service or group with S=name (make up S=inference),
# or use the pattern targets (make up-inference, make down-ui, make ps-ui).
#
# Installing and building print nothing unless they fail (npm's errors go to stderr, and
# tsc and rolldown print their own), and the uiprocs commands are not echoed: `make up`
# shows what uiprocs says, the UIs and their URLs, not a build log.
UIPROCS := node bin/uiprocs.js
S ?=

.PHONY: install build test lint format bench soak up down ps logs restart watch clean

node_modules/.package-lock.json: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

install: node_modules/.package-lock.json

SOURCES := $(shell find src schemas scripts -type f 2>/dev/null) rolldown.config.mjs

dist/cli/main.cjs: node_modules/.package-lock.json $(SOURCES)
	@npm run build --silent
	@touch $@

# Sources are never made: without this, the pattern targets below match them by file name
# (src/runtime/ps-system.ts is `ps-%`), and make reports a circular dependency on build.
$(SOURCES): ;

build: dist/cli/main.cjs

# What the tests need beyond Node (chromium, gunicorn, lsof, systemd-analyze, python3) is
# brought first: installed quietly as root, one line naming it otherwise. Piped (CI), vitest
# would still colour its output because CI is set; NO_COLOR keeps the log plain.
test: install
	@sh scripts/test-prereqs.sh
	@if [ -t 1 ]; then npm test --silent; else NO_COLOR=1 npm test --silent; fi

lint: install
	npm run lint

format: install
	npm run format

bench: build
	npm run bench

soak: build
	npm run soak

up: build
	@$(UIPROCS) up $(S)

down: build
	@$(UIPROCS) down $(S)

ps: build
	@$(UIPROCS) ps $(S)

logs: build
	@$(UIPROCS) logs $(S)

restart: build
	@$(UIPROCS) restart $(S)

watch: build
	@$(UIPROCS) watch $(S)

up-%: build
	@$(UIPROCS) up $*

down-%: build
	@$(UIPROCS) down $*

ps-%: build
	@$(UIPROCS) ps $*

clean:
	rm -rf dist
