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
 * sdp_unbundle: WebRTC SDP toward IMS entities without BUNDLE/rtcp-mux, and back
 *
 * Kamailio glue only: exports, parameters, script functions, RPC. The logic
 * lives in the pure core files of this directory and in lib/.
 */

#include "core/sr_module.h"
#include "core/dprint.h"

#include "kam/epc_kam.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

/* clang-format off */
static cmd_export_t cmds[] = {
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{0, 0, 0}
};

struct module_exports exports = {
	"sdp_unbundle",            /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	0,               /* RPC method exports */
	0,               /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module initialization function */
	child_init,      /* per-child init function */
	mod_destroy      /* module destroy function */
};
/* clang-format on */

static int mod_init(void)
{
	LM_INFO("sdp_unbundle %s initialised\n", EPC_VERSION);
	return 0;
}

static int child_init(int rank)
{
	return 0;
}

static void mod_destroy(void)
{
}
