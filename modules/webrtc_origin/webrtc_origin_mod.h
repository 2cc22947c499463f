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
 * webrtc_origin glue: what webrtc_origin_mod.c shares with
 * webrtc_origin_rpc_mod.c (Kamailio side only).
 */

#ifndef WEBRTC_ORIGIN_MOD_H
#define WEBRTC_ORIGIN_MOD_H

#include <stdint.h>

#include "core/locking.h"
#include "core/rpc.h"

#include "epc_wwsf_registry.h"
#include "worigin_state.h"

/** Everything all processes share, in shm, behind worigin_lock. */
typedef struct worigin_shared
{
	worigin_state_t st;
	int64_t reload_time; /**< last (re)load attempt */
	int reload_ok;		 /**< its outcome */
	char reload_error[EPC_WWSF_ERR_MAX];
	unsigned reloads;		  /**< successful loads, startup included */
	unsigned reload_failures; /**< failed reloads */
} worigin_shared_t;

extern worigin_shared_t *worigin_shared;
extern gen_lock_t *worigin_lock;
extern char *worigin_registry_path;

#define WORIGIN_LOCK lock_get(worigin_lock)
#define WORIGIN_UNLOCK lock_release(worigin_lock)

/**
 * (Re)load the registry file and put it in force. A file that does not load
 * leaves the registry in force unchanged.
 * @param err,errlen "file:line: message" on failure
 * @return the new generation (> 0), or a negative EPC_WWSF_E_* code
 */
long worigin_reload(char *err, size_t errlen);

/** RPC commands (webrtc_origin_rpc_mod.c). */
extern rpc_export_t worigin_rpc_cmds[];

#endif /* WEBRTC_ORIGIN_MOD_H */
