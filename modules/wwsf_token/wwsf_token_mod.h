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
 * wwsf_token glue: what wwsf_token_mod.c shares with wwsf_token_rpc_mod.c.
 */

#ifndef WWSF_TOKEN_MOD_H
#define WWSF_TOKEN_MOD_H

#include "core/locking.h"
#include "core/rpc.h"

#include "epc_wwsf_registry.h"
#include "wwsf_replay.h"
#include "wwsf_token.h"
#include "../webrtc_origin/api.h"

/** WWSFs with their own counters (more share the "other" slot). */
#define WWSF_STATS_MAX 256
#define WWSF_KEY_ERR_MAX 256

/* one accepted key, as PEM text in shm */
typedef struct wwsf_skey
{
	char kid[WWSF_KID_MAX + 1];
	unsigned alg; /* EPC_JWS_* bit */
	char *pem;
	size_t pem_len;
} wwsf_skey_t;

/* the accepted keys of one WWSF */
typedef struct wwsf_sentry
{
	char id[EPC_WWSF_ID_MAX + 1];
	int stale; /* the registry's keys were refused: these are older ones */
	char error[WWSF_KEY_ERR_MAX];
	size_t n;
	wwsf_skey_t *keys;
} wwsf_sentry_t;

typedef struct wwsf_stat
{
	char id[EPC_WWSF_ID_MAX + 1];
	unsigned long n[WWSF_R_COUNT];
} wwsf_stat_t;

/* everything shared by the processes, behind wwsf_lock */
typedef struct wwsf_shared
{
	unsigned reg_gen; /* registry generation the key store was synced to */
	int synced;
	unsigned key_gen; /* bumped at every sync: processes re-parse */
	unsigned long syncs;
	time_t sync_time;
	size_t n_entries;
	wwsf_sentry_t *entries;
	wwsf_rwin_t rwin;
	unsigned long replay_inserted;
	unsigned long replay_full;
	size_t n_stats;
	wwsf_stat_t stats[WWSF_STATS_MAX + 1]; /* [0] = no / other WWSF */
} wwsf_shared_t;

extern wwsf_shared_t *wwsf_shared;
extern gen_lock_t *wwsf_lock;
extern webrtc_origin_api_t wwsf_worigin;
extern str wwsf_replay_htable;
extern int wwsf_replay_max;

#define WWSF_LOCK lock_get(wwsf_lock)
#define WWSF_UNLOCK lock_release(wwsf_lock)

/**
 * Sync the key store with the registry in force (force: even if its
 * generation did not change). Takes the lock. @return WWSFs whose new keys
 * were refused (they keep their previous ones), or -1 on an internal error.
 */
int wwsf_keys_sync(int force);

extern rpc_export_t wwsf_rpc_cmds[];

#endif /* WWSF_TOKEN_MOD_H */
