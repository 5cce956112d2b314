# Active Defense. Two commands matter on a fresh machine:
#   make run    set up, build and start the service on the embedded engine (data in ./data)
#   make test   set up, vet and run every test
SHELL := /bin/bash
GO ?= go
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Where deploy/fetch-chdb.sh caches libchdb.so (outside the repository).
CHDB_LIB = $(shell deploy/fetch-chdb.sh)
LISTEN ?= :8443
# host:port to print: ":8443" means every interface, shown as localhost:8443
SHOW_ADDR = $(if $(filter :%,$(LISTEN)),localhost$(LISTEN),$(LISTEN))
TEST_FLAGS ?= -race -timeout 20m

.PHONY: all setup build run demo test vet fuzz bench clean

all: build

# setup fetches the pinned, hash-checked libchdb.so into the cache (once)
# and the Go modules.
setup:
	@deploy/fetch-chdb.sh >/dev/null
	@$(GO) mod download

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/activedefense ./cmd/activedefense

run: setup build
	@echo
	@echo "Starting Active Defense on the embedded engine, data in ./data."
	@echo "  health:        https://$(SHOW_ADDR)/healthz   (self-signed certificate; curl -k)"
	@echo "  add a user:    bin/activedefense user add admin --role admin   (password on stdin)"
	@echo "  add a device:  bin/activedefense device add fw1 /var/log/Firewall/fw1.log --timezone Europe/Berlin"
	@echo "  query:         bin/activedefense sql 'SELECT count() FROM logs'"
	@echo "  demo:          make demo (instead of make run): serve plus a simulated firewall under attack"
	@echo "  stop:          Ctrl-C"
	@echo
	AD_CHDB_LIB=$(CHDB_LIB) bin/activedefense serve --data-dir ./data --listen $(LISTEN)

# demo runs serve (data in ./data, firewall files in ./data/demo-logs, its
# log in data/demo-serve.log) and `activedefense demo`, a simulated firewall
# under attack; Ctrl-C stops both.
DEMO_LOGS = $(CURDIR)/data/demo-logs
demo: setup build
	@mkdir -p data
	@echo
	@echo "Starting Active Defense and a simulated firewall (data in ./data, serve's log in data/demo-serve.log)."
	@echo "  web app:       https://$(SHOW_ADDR)/   (self-signed certificate)"
	@echo "  log in:        bin/activedefense user add admin --role admin   (password on stdin),"
	@echo "                 or with the setup token serve writes to data/demo-serve.log"
	@echo "  EDL:           curl -k https://$(SHOW_ADDR)/edl/blacklist.txt"
	@echo "  stop:          Ctrl-C"
	@echo
	@AD_CHDB_LIB=$(CHDB_LIB) bin/activedefense serve --data-dir ./data --listen $(LISTEN) --log-dir $(DEMO_LOGS) \
		>>data/demo-serve.log 2>&1 & serve=$$!; \
	trap 'wait $$serve' INT; trap 'kill $$serve 2>/dev/null; wait $$serve' EXIT; \
	bin/activedefense demo --data-dir ./data --file $(DEMO_LOGS)/demo-fw.log --wait 120s

vet:
	$(GO) vet ./...

test: setup vet
	AD_CHDB_LIB=$(CHDB_LIB) CGO_ENABLED=1 $(GO) test $(TEST_FLAGS) ./...

# fuzz runs each fuzz target briefly (longer runs: FUZZTIME=10m make fuzz).
FUZZTIME ?= 30s
fuzz: setup
	$(GO) test ./ingest/panos -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ingest/panos -run '^$$' -fuzz '^FuzzSplitHeader$$' -fuzztime $(FUZZTIME)
	$(GO) test ./schema -run '^$$' -fuzz '^FuzzTSVEscape$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf bin

# bench measures ingest end to end (1M-line files: the Go pipeline against
# the engine's own SQL ingest as the baseline, peak RSS of each), detection
# over 1M/3M/6M rows, the delay from a line to a blacklist entry, the EDL
# under wrk (apt-get install wrk), search and dashboards, and the parser per
# format; BENCHMARKS.md records the figures.
BENCH_LINES ?= 1000000
# The web bench stores BENCH_WEB_ROWS lines first (about 5 minutes for 100M).
BENCH_WEB_ROWS ?= 100000000
bench: setup build
	$(GO) build -o bin/adbench ./cmd/adbench
	AD_CHDB_LIB=$(CHDB_LIB) bin/adbench -lines $(BENCH_LINES)
	AD_CHDB_LIB=$(CHDB_LIB) bin/adbench detect
	AD_CHDB_LIB=$(CHDB_LIB) bin/adbench latency bin/activedefense
	AD_CHDB_LIB=$(CHDB_LIB) bin/adbench edl bin/activedefense
	AD_CHDB_LIB=$(CHDB_LIB) bin/adbench web -rows $(BENCH_WEB_ROWS)
	$(GO) test ./ingest/panos -run '^$$' -bench 'BenchmarkParse' -benchmem -count 1
