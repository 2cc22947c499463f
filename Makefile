# eP-CSCF modules for Kamailio (3GPP TS 23.228 Annex U, WebRTC access to IMS)
#
#   make run      install what is missing, build, start the demo stack
#   make test     install what is missing, build, run every test suite
#
# Other targets: deps, modules (default), lib, docs, deb, unit, fuzz, integration,
# wic (the WWSF demo's JsSIP bundle, build/wwsf-demo/vendor/),
# bench (the benchmark suite, ~15 min: figures and ratios, not timed tests;
# writes doc/benchmarks.md), bench-sdp
# (SDP rewrite), bench-token (wwsf_token vs a bare OpenSSL verify),
# bench-agw (call setups/s, eimsagw_ctl vs Kamailio's rtpengine module),
# bench-tls (WSS reconnect storms and TCP workers, starts stacks, ~6 min),
# clean (keeps the cached Kamailio source tree), distclean (removes build/).

TOP       := $(abspath .)
BUILD     ?= $(TOP)/build
KSRC      := $(BUILD)/ksrc/kamailio/src
MODULES   := webrtc_origin wwsf_token sdp_unbundle eimsagw_ctl tls_guard
LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(LIB_SRCS:lib/%.c=$(BUILD)/lib/%.o)
LIB_A     := $(BUILD)/lib/libepc.a
# EPC_EXTRA_CFLAGS: e.g. Debian's hardening flags (packaging/debian/rules).
LIB_CFLAGS := -O2 -g -fPIC -fvisibility=hidden -std=gnu11 -Wall -Wextra \
	-Werror $(shell pkg-config --cflags libxml-2.0 2>/dev/null) $(EPC_EXTRA_CFLAGS)
# Fuzz targets run this long each inside 'make test' (longer: make fuzz FUZZ_SECONDS=600).
FUZZ_SECONDS ?= 15

export BUILD

.PHONY: all modules lib deps run test unit fuzz integration docs deb clean wic \
	clean-objects distclean print-modules bench bench-sdp bench-token bench-agw \
	bench-tls $(MODULES)

all: modules

deps:
	@scripts/install-deps.sh $(BUILD)

# The configured Kamailio tree is the only thing the module build needs from
# deps; build it on demand so 'make' on a prepared machine stays offline.
$(KSRC)/config.mak:
	@scripts/install-deps.sh $(BUILD)

lib: $(LIB_A)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

modules: $(MODULES)

$(MODULES): $(LIB_A) $(KSRC)/config.mak
	@mkdir -p $(BUILD)/logs
	@$(MAKE) -s --no-print-directory -C modules/$@ >$(BUILD)/logs/build-$@.log 2>&1; \
		rc=$$?; grep -v '^config.mak included$$' $(BUILD)/logs/build-$@.log; exit $$rc

docs: $(KSRC)/config.mak
	@scripts/gendoc.sh

unit: lib
	@$(MAKE) -s --no-print-directory -C test/unit run

fuzz:
	@$(MAKE) -s --no-print-directory -C test/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

bench: modules
	@$(MAKE) -s --no-print-directory -C test/bench run

integration: modules
	@python3 test/integration/run.py

bench-sdp:
	@$(MAKE) -s --no-print-directory -C test/bench run-sdp

bench-token:
	@$(MAKE) -s --no-print-directory -C test/bench run-token

bench-agw: modules
	@$(MAKE) -s --no-print-directory -C test/bench run-agw

# Not part of 'bench': it starts the test stack several times (test/bench/README).
bench-tls: modules
	@python3 test/bench/tls_storm.py

test: deps
	@$(MAKE) --no-print-directory modules
	@scripts/run-tests.sh

# The browser side of the WWSF demo's WebRTC IMS Client: JsSIP from npm,
# bundled with esbuild (node_modules stays in build/).
wic:
	@scripts/build-wic.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory modules
	@scripts/build-wic.sh $(BUILD)
	@python3 scripts/demo.py

# The Debian package (build/deb/*.deb), checked with lintian.
deb: deps
	@scripts/mkdeb.sh

print-modules:
	@echo $(MODULES)

clean-objects:
	@for m in $(MODULES); do $(MAKE) -s -C modules/$$m clean >/dev/null 2>&1 || true; done

clean: clean-objects
	@$(MAKE) -s -C test/unit clean >/dev/null 2>&1 || true
	@$(MAKE) -s -C test/fuzz clean >/dev/null 2>&1 || true
	@$(MAKE) -s -C test/bench clean >/dev/null 2>&1 || true
	rm -rf $(BUILD)/lib $(BUILD)/unit $(BUILD)/fuzz $(BUILD)/test-logs \
		$(BUILD)/results $(BUILD)/demo $(BUILD)/certs $(BUILD)/wwsf-demo/vendor

distclean: clean
	rm -rf $(BUILD)
