/*
 * Copyright (C) 2026 The eP-CSCF modules authors
 *
 * This file is part of the eP-CSCF modules for Kamailio.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the Free
 * Software Foundation; either version 2 of the License, or (at your option)
 * any later version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * Kamailio-side helpers shared by the modules' glue (*_mod.c files only):
 * pkg/shm adapters for epc_alloc_t and str <-> epc_span_t conversion.
 * This is the one place in lib/ that includes Kamailio headers; the pure
 * cores never include it.
 */

#ifndef EPC_KAM_H
#define EPC_KAM_H

#include "core/str.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"

#include "epc_alloc.h"
#include "epc_span.h"

static inline void *epc_kam_pkg_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return pkg_malloc(n);
}

static inline void epc_kam_pkg_free(void *ctx, void *p)
{
	(void)ctx;
	pkg_free(p);
}

static inline void *epc_kam_shm_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return shm_malloc(n);
}

static inline void epc_kam_shm_free(void *ctx, void *p)
{
	(void)ctx;
	shm_free(p);
}

/* pkg_malloc/shm_malloc are macros (file/line for memory debugging), so
 * the adapters are defined per module, in the module that includes this. */
static const epc_alloc_t epc_kam_pkg = {
		epc_kam_pkg_alloc, epc_kam_pkg_free, NULL};
static const epc_alloc_t epc_kam_shm = {
		epc_kam_shm_alloc, epc_kam_shm_free, NULL};

static inline epc_span_t epc_kam_span(const str *s)
{
	epc_span_t r = {s && s->len > 0 ? s->s : NULL,
			s && s->len > 0 ? (size_t)s->len : 0};
	return r;
}

static inline str epc_kam_str(epc_span_t s)
{
	str r = {(char *)s.s, (int)s.len};
	return r;
}

#endif /* EPC_KAM_H */
