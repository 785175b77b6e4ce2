# The few commands a contributor needs. `make test` is what CI runs.
GO ?= go
# staticcheck's release, fetched through the module proxy by `make check`.
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run test check bench deps fuzz static rootfs image-test

run:
	$(GO) run ./cmd/beacon

# deps installs what the tests need beyond Go modules: npm tools from
# package-lock.json (Prism, the mock server generated from Twilio's OpenAPI
# spec that proves SMS requests match Twilio's wire format; html-validate and
# axe-core for the page tests), Debian's chromium for the browser tests,
# Debian's systemd for systemd-analyze (the deployment tests), Debian's
# prometheus-alertmanager, which the alert integration test starts, and
# Debian's postgresql, whose programs (in /usr/lib/postgresql/VERSION/bin,
# not on PATH) start the throwaway clusters of the tests on PostgreSQL
# (internal/pgtest; BEACON_PG_BIN names another directory).
deps:
	$(GO) mod download
	npm ci --no-audit --no-fund --loglevel=error
	@command -v chromium >/dev/null || { \
		echo "installing chromium (Debian package) for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@command -v systemd-analyze >/dev/null || { \
		echo "installing systemd (Debian package) for systemd-analyze verify of deploy/beacon.service"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq systemd >/dev/null; }
	@command -v prometheus-alertmanager >/dev/null || { \
		echo "installing prometheus-alertmanager (Debian package) for the alert integration test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq prometheus-alertmanager >/dev/null; }
	@[ -n "$$BEACON_PG_BIN" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing postgresql (Debian package) for the tests on PostgreSQL"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# DB_PKGS are the packages whose tests open a database: `make test` runs
# them a second time on PostgreSQL (BEACON_TEST_ENGINE=postgres), each test
# binary on a throwaway cluster of its own (internal/testutil's test checks
# the list). Under CI=true a missing PostgreSQL fails those tests instead of
# skipping them. The browser tests (PG_SKIP) stay out of that pass: they
# check pages a browser renders from the in-memory snapshot, not the
# database, and take nine tenths of cmd/beacon's time.
DB_PKGS = ./internal/store ./internal/dbcopy ./internal/testutil ./internal/accounts ./internal/apikeys ./internal/settings \
	./components ./subscribers ./incidents ./integrations ./metrics ./notifier \
	./internal/messages ./internal/web ./internal/demo ./internal/api ./internal/console ./public ./cmd/beacon
PG_SKIP = ^Test(Browser|EmbedInBrowser)
# PG_ONLY are cmd/beacon's tests that run on PostgreSQL whatever
# BEACON_TEST_ENGINE says, each on a cluster or database of its own: the
# replicas, the database outage, migrate-db, and the schema and collation
# checks. The PostgreSQL pass runs them; the SQLite pass skips them rather
# than run them a second time the same way (200 of cmd/beacon's 480 s).
# PG_SKIP must not match them.
PG_ONLY = ^Test(ReplicasKill|ProcessDatabaseDown|MigrateDB|SchemasMatch|PostgresTextCollation)

# The two passes run one after the other. Run side by side they took
# about as long (21 min 6 s against 21 min 48 s: the machine is CPU-bound,
# though time(1) does not count PostgreSQL's and chromium's CPU), and the
# PostgreSQL pass failed more often.
# The deploy test builds a static binary: on a cold build cache that alone
# takes minutes, more than go test's default 10 minutes allow on a busy box.
test: deps check
	$(GO) test -race -count=1 -timeout 20m -skip '$(PG_ONLY)' ./...
	BEACON_TEST_ENGINE=postgres $(GO) test -race -count=1 -timeout 30m -skip '$(PG_SKIP)' $(DB_PKGS)

# bench measures the public side (docs/BENCHMARKS.md): the page's rebuild
# after a change, then summary.json and / against a minimal Fiber server;
# then metrics ingest (the simulated year: see docs/BENCHMARKS.md).
bench:
	$(GO) test ./public -run '^$$' -bench Rebuild -benchtime 20x -count 3
	$(GO) run ./cmd/beacon-bench
	$(GO) test ./metrics -run '^$$' -bench Ingest -benchtime 3s -count 3

# fuzz runs each fuzz target for FUZZTIME, one after another (docs/FUZZING.md).
# Their seeds (f.Add and testdata/fuzz/) already run in every `go test`; a
# finding is written to the package's testdata/fuzz/; the loop goes on and
# fails at the end, naming the targets that found something.
FUZZTIME ?= 60s
# Go minimises every new input it finds for up to a minute by default,
# counting no executions meanwhile: a 60 s run could spend most of its time
# there. Findings are still written, just less minimised.
FUZZMINIMIZETIME ?= 5s
FUZZ_TARGETS = \
	./internal/api:FuzzDecodeBody \
	./public:FuzzTwilioCallbacks \
	./subscribers:FuzzImport \
	./subscribers:FuzzSubscribeAddress \
	./templates:FuzzMarkdown \
	./templates:FuzzPolicy \
	./notifier/webhook:FuzzValidateURLParse \
	./notifier/webhook:FuzzValidateURLAddress

fuzz:
	@failed=; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed"; exit 1; fi

# static builds the binaries a container image FROM scratch or a bare host
# runs: beacon, linked statically (cgo for SQLite against glibc's static
# libc; the pure-Go resolver and user lookup, since glibc's need shared
# libraries at run time; no SQLite extension loading, which would need
# dlopen), and beacon-healthcheck, the image's HEALTHCHECK (no cgo).
STATIC_DIR ?= bin
STATIC_TAGS = netgo,osusergo,sqlite_omit_load_extension
static:
	CGO_ENABLED=1 $(GO) build -tags $(STATIC_TAGS) -ldflags '-s -w -extldflags -static' -o $(STATIC_DIR)/beacon ./cmd/beacon
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(STATIC_DIR)/beacon-healthcheck ./cmd/beacon-healthcheck

# rootfs lays out the image's files in ROOTFS (the Dockerfile's build stage
# runs it): the two static binaries, the CA certificates email, SMS and
# webhooks check TLS servers against, and a /tmp for SQLite's temporary
# files.
ROOTFS ?= rootfs
CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt
rootfs:
	$(MAKE) static STATIC_DIR=$(ROOTFS)
	mkdir -p $(ROOTFS)/etc/ssl/certs
	mkdir -p -m 1777 $(ROOTFS)/tmp
	cp $(CA_CERTS) $(ROOTFS)/etc/ssl/certs/ca-certificates.crt

# image-test builds the Dockerfile's final stage FROM scratch with buildah
# around `make rootfs`, runs it with podman and asks /readyz, from outside
# and through the image's HEALTHCHECK (deploy/image-test.sh). It needs
# Debian's buildah, podman and runc (installed when missing) and a host that
# can run containers.
image-test:
	@missing=; for p in buildah podman runc; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (Debian packages) for the image test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	deploy/image-test.sh
