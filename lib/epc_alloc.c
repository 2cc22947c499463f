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

#include <stdlib.h>

#include "epc_alloc.h"

static void *libc_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void libc_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

const epc_alloc_t epc_alloc_libc = {libc_alloc, libc_free, NULL};
