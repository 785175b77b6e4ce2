# The few commands a contributor needs. `make test` is what CI runs.
GO ?= go
# staticcheck's release, fetched through the module proxy by `make check`.
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run test check bench deps fuzz

run:
	$(GO) run ./cmd/beacon

# deps installs what the tests need beyond Go modules: npm tools from
# package-lock.json (Prism, the mock server generated from Twilio's OpenAPI
# spec that proves SMS requests match Twilio's wire format; html-validate and
# axe-core for the page tests) and Debian's chromium for the browser tests.
deps:
	$(GO) mod download
	npm ci --no-audit --no-fund --loglevel=error
	@command -v chromium >/dev/null || { \
		echo "installing chromium (Debian package) for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

test: deps check
	$(GO) test -race -count=1 ./...

# bench measures the public side (docs/BENCHMARKS.md): the page's rebuild
# after a change, then summary.json and / against a minimal Fiber server.
bench:
	$(GO) test ./public -run '^$$' -bench Rebuild -benchtime 20x -count 3
	$(GO) run ./cmd/beacon-bench

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
