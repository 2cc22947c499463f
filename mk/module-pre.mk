# First half of every module Makefile: locate the configured Kamailio source
# tree of the installed kamailio (prepared by scripts/install-deps.sh) and pull
# in its Makefile.defs, so our objects get exactly the flags the packaged
# /usr/sbin/kamailio was built with (the loader compares them).
#
# Usage in modules/<name>/Makefile:
#   include ../../mk/module-pre.mk
#   NAME=<name>.so
#   LIBS+=...          (after module-pre.mk: Makefile.defs resets LIBS)
#   include ../../mk/module-post.mk

EPC_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
EPC_BUILD ?= $(or $(BUILD),$(EPC_TOP)/build)
COREPATH ?= $(EPC_BUILD)/ksrc/kamailio/src
EPC_LIB := $(EPC_BUILD)/lib/libepc.a
EPC_VERSION ?= $(shell cat $(EPC_TOP)/VERSION)

ifeq ($(wildcard $(COREPATH)/config.mak),)
$(error no configured Kamailio source tree at $(COREPATH); run 'make deps' in $(EPC_TOP))
endif

include $(COREPATH)/Makefile.defs
auto_gen=
