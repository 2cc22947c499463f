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
 * wwsf_token RPC commands: counters per WWSF and result, the keys in use,
 * key reload, the replay cache.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/rpc.h"

#include "wwsf_token_mod.h"

static unsigned sat_u(unsigned long v)
{
	return v > 0xffffffffu ? 0xffffffffu : (unsigned)v;
}

/* one struct per WWSF: its id and a counter per result */
static int stats_add(rpc_t *rpc, void *ah, const wwsf_stat_t *s)
{
	void *sh;
	int r;

	if(rpc->array_add(ah, "{", &sh) < 0
			|| rpc->struct_add(sh, "s", "wwsf", s->id) < 0)
		return -1;
	for(r = 0; r < WWSF_R_COUNT; r++) {
		if(rpc->struct_add(sh, "u", wwsf_result_name(r), sat_u(s->n[r])) < 0)
			return -1;
	}
	return 0;
}

static const char *rpc_stats_doc[2] = {
		"Verification results per WWSF (\"-\": no or unknown WWSF)", 0};

static void rpc_stats(rpc_t *rpc, void *ctx)
{
	wwsf_stat_t *copy;
	size_t i, n;
	void *th, *ah;

	copy = pkg_malloc((WWSF_STATS_MAX + 1) * sizeof(*copy));
	if(!copy) {
		rpc->fault(ctx, 500, "Out of memory");
		return;
	}
	WWSF_LOCK;
	n = wwsf_shared->n_stats + 1;
	memcpy(copy, wwsf_shared->stats, n * sizeof(*copy));
	WWSF_UNLOCK;
	if(rpc->add(ctx, "{", &th) < 0 || rpc->struct_add(th, "[", "wwsf", &ah) < 0)
		goto fault;
	for(i = 0; i < n; i++) {
		if(stats_add(rpc, ah, &copy[i]) < 0)
			goto fault;
	}
	pkg_free(copy);
	return;
fault:
	pkg_free(copy);
	rpc->fault(ctx, 500, "Cannot build the reply");
}

static int keys_add(rpc_t *rpc, void *th)
{
	void *ah, *wh, *kh, *kah;
	size_t i, j;

	if(rpc->struct_add(th, "uuu", "registry_generation", wwsf_shared->reg_gen,
			   "key_generation", wwsf_shared->key_gen, "syncs",
			   sat_u(wwsf_shared->syncs))
					< 0
			|| rpc->struct_add(th, "[", "wwsf", &ah) < 0)
		return -1;
	for(i = 0; i < wwsf_shared->n_entries; i++) {
		const wwsf_sentry_t *e = &wwsf_shared->entries[i];

		if(rpc->array_add(ah, "{", &wh) < 0
				|| rpc->struct_add(wh, "ssd", "wwsf", e->id, "state",
						   e->stale ? (e->n ? "previous keys kept"
											: "no usable keys")
									: "ok",
						   "n_keys", (int)e->n)
						   < 0)
			return -1;
		if(e->stale && rpc->struct_add(wh, "s", "error", e->error) < 0)
			return -1;
		if(rpc->struct_add(wh, "[", "keys", &kh) < 0)
			return -1;
		for(j = 0; j < e->n; j++) {
			if(rpc->array_add(kh, "{", &kah) < 0
					|| rpc->struct_add(kah, "ss", "kid", e->keys[j].kid, "alg",
							   epc_jws_alg_name(e->keys[j].alg))
							   < 0)
				return -1;
		}
	}
	return 0;
}

static const char *rpc_keys_doc[2] = {
		"The verification keys in use per WWSF (kid, alg; no key material)", 0};

static void rpc_keys(rpc_t *rpc, void *ctx)
{
	void *th;
	int rc;

	if(wwsf_keys_sync(0) < 0) {
		rpc->fault(ctx, 500, "Cannot sync the keys");
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Cannot build the reply");
		return;
	}
	WWSF_LOCK;
	rc = keys_add(rpc, th);
	WWSF_UNLOCK;
	if(rc < 0)
		rpc->fault(ctx, 500, "Cannot build the reply");
}

static const char *rpc_reload_doc[2] = {
		"Check the keys of the WWSF registry in force again with OpenSSL and "
		"put them in use; a WWSF whose keys are refused keeps its previous "
		"ones (run after webrtc_origin.reload; every process also does it "
		"at its next token after a registry reload)",
		0};

static void rpc_reload(rpc_t *rpc, void *ctx)
{
	void *th;
	int refused, rc;

	refused = wwsf_keys_sync(1);
	if(refused < 0) {
		rpc->fault(ctx, 500, "Cannot sync the keys (out of memory)");
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "d", "refused", refused) < 0) {
		rpc->fault(ctx, 500, "Cannot build the reply");
		return;
	}
	WWSF_LOCK;
	rc = keys_add(rpc, th);
	WWSF_UNLOCK;
	if(rc < 0)
		rpc->fault(ctx, 500, "Cannot build the reply");
}

static const char *rpc_replay_doc[2] = {
		"The jti replay cache: live entries (upper bound), maximum, "
		"insertions and refusals because it was full",
		0};

static void rpc_replay(rpc_t *rpc, void *ctx)
{
	unsigned long live, ins, full;
	void *th;

	WWSF_LOCK;
	live = (unsigned long)wwsf_rwin_live(&wwsf_shared->rwin, time(NULL));
	ins = wwsf_shared->replay_inserted;
	full = wwsf_shared->replay_full;
	WWSF_UNLOCK;
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "sduuu", "htable",
					   wwsf_replay_htable.len > 0 ? wwsf_replay_htable.s
												  : "(disabled)",
					   "enabled", wwsf_replay_htable.len > 0, "live",
					   sat_u(live), "max", (unsigned)wwsf_replay_max,
					   "inserted", sat_u(ins))
					   < 0
			|| rpc->struct_add(th, "u", "refused_full", sat_u(full)) < 0)
		rpc->fault(ctx, 500, "Cannot build the reply");
}

/* clang-format off */
rpc_export_t wwsf_rpc_cmds[] = {
	{"wwsf_token.stats", rpc_stats, rpc_stats_doc, 0},
	{"wwsf_token.keys", rpc_keys, rpc_keys_doc, 0},
	{"wwsf_token.reload", rpc_reload, rpc_reload_doc, 0},
	{"wwsf_token.replay", rpc_replay, rpc_replay_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
