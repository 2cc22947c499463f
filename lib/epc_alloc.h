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
 * Allocator indirection for the pure cores: a core that must allocate takes
 * an epc_alloc_t, so the Kamailio glue passes pkg or shm (lib/kam/epc_kam.h)
 * and tests pass libc, cmocka's test_malloc or a fail-after-N allocator.
 */

#ifndef EPC_ALLOC_H
#define EPC_ALLOC_H

#include <stddef.h>

typedef struct epc_alloc
{
	/** n bytes, or NULL; never called with n == 0 */
	void *(*alloc)(void *ctx, size_t n);
	/** p from alloc of the same allocator; never called with NULL */
	void (*free)(void *ctx, void *p);
	void *ctx;
} epc_alloc_t;

/** malloc/free. */
extern const epc_alloc_t epc_alloc_libc;

static inline void *epc_alloc(const epc_alloc_t *a, size_t n)
{
	return a->alloc(a->ctx, n ? n : 1);
}

static inline void epc_free(const epc_alloc_t *a, void *p)
{
	if(p)
		a->free(a->ctx, p);
}

#endif /* EPC_ALLOC_H */
