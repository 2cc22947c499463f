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
 * webrtc_origin RPC commands (kamcmd webrtc_origin.*): list the WWSFs with
 * their origins and counters, list bound connections (filtered, paged),
 * reload the registry, try an origin. Data is copied out under the lock and
 * emitted after it; a registry being listed is held by reference.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/mem/mem.h"

#include "kam/epc_kam.h"
#include "epc_origin.h"
#include "epc_wwsf_registry.h"
#include "worigin_state.h"
#include "webrtc_origin_mod.h"

#define DEFAULT_PAGE 100

static unsigned sat_u(uint64_t v)
{
	return v > 0xffffffffu ? 0xffffffffu : (unsigned)v;
}

typedef struct wcounts
{
	uint64_t accepted, rejected_disabled, rejected_limit;
	uint32_t current;
} wcounts_t;

static const char *rule_name(const epc_wwsf_idrule_t *r)
{
	if(r->type == EPC_WWSF_RULE_TEL_PREFIX)
		return "impu-tel-prefix";
	if(r->kind == EPC_WWSF_IMPU)
		return r->type == EPC_WWSF_RULE_DOMAIN ? "impu-domain" : "impu";
	return r->type == EPC_WWSF_RULE_DOMAIN ? "impi-domain" : "impi";
}

static int rpc_token(rpc_t *rpc, void *ctx, void *wh, const epc_wwsf_t *w)
{
	void *th, *ah, *kh;
	char algs[128];
	size_t i, len = 0;
	unsigned bit;

	if(rpc->struct_add(wh, "{", "token", &th) < 0)
		return -1;
	algs[0] = '\0';
	for(bit = 1; bit && bit <= EPC_JWS_EDDSA; bit <<= 1) {
		if((w->algs & bit) && len < sizeof(algs))
			len += (size_t)snprintf(algs + len, sizeof(algs) - len, "%s%s",
					len ? " " : "", epc_jws_alg_name(bit));
	}
	if(rpc->struct_add(th, "ssds", "issuer", w->issuer.s, "algorithms", algs,
			   "max_lifetime", (int)w->max_lifetime, "authz_server",
			   w->authz_server.s)
			< 0)
		return -1;
	if(rpc->struct_add(th, "[", "audiences", &ah) < 0)
		return -1;
	for(i = 0; i < w->n_audiences; i++)
		rpc->array_add(ah, "s", w->audiences[i].s);
	if(rpc->struct_add(th, "[", "keys", &ah) < 0)
		return -1;
	/* never the key material: kid, algorithm and where it came from */
	for(i = 0; i < w->n_keys; i++) {
		if(rpc->array_add(ah, "{", &kh) < 0)
			return -1;
		rpc->struct_add(kh, "sss", "kid", w->keys[i].kid.s, "alg",
				epc_jws_alg_name(w->keys[i].alg), "source",
				w->keys[i].file.len ? w->keys[i].file.s : "inline");
	}
	return 0;
}

static int rpc_wwsf(rpc_t *rpc, void *ctx, void *ah, const epc_wwsf_t *w,
		const wcounts_t *c)
{
	void *wh, *oh;
	char line[WORIGIN_ID_MAX + 32];
	size_t i;

	if(rpc->array_add(ah, "{", &wh) < 0)
		return -1;
	if(rpc->struct_add(wh, "ssduuuuu", "id", w->id.s, "description",
			   w->description.s, "enabled", w->enabled, "max_connections",
			   w->max_connections, "connections", c->current, "accepted",
			   sat_u(c->accepted), "rejected_disabled",
			   sat_u(c->rejected_disabled), "rejected_limit",
			   sat_u(c->rejected_limit))
			< 0)
		return -1;
	if(rpc->struct_add(wh, "[", "origins", &oh) < 0)
		return -1;
	for(i = 0; i < w->n_origins; i++)
		rpc->array_add(oh, "s", w->origins[i].text.s);
	if(w->has_token && rpc_token(rpc, ctx, wh, w) < 0)
		return -1;
	if(rpc->struct_add(wh, "[", "identities", &oh) < 0)
		return -1;
	for(i = 0; i < w->n_rules; i++) {
		snprintf(line, sizeof(line), "%s %s", rule_name(&w->rules[i]),
				w->rules[i].value.s);
		rpc->array_add(oh, "s", line);
	}
	return 0;
}

static const char *worigin_rpc_list_doc[2] = {
		"List the WWSF registry: each WWSF with its origins, token settings "
		"and counters. Optional parameter: a WWSF id.",
		0};

static void worigin_rpc_list(rpc_t *rpc, void *ctx)
{
	worigin_version_t *v;
	wcounts_t *cnt = NULL;
	worigin_shared_t snap;
	str id = STR_NULL;
	void *th, *ah, *lh;
	size_t i, n;

	if(rpc->scan(ctx, "*.S", &id) < 1)
		id.len = 0;
	WORIGIN_LOCK;
	v = worigin_acquire(&worigin_shared->st);
	WORIGIN_UNLOCK;
	if(v == NULL) {
		rpc->fault(ctx, 500, "No registry loaded");
		return;
	}
	n = v->reg->n_wwsf;
	cnt = pkg_malloc((n ? n : 1) * sizeof(*cnt));
	if(cnt == NULL) {
		rpc->fault(ctx, 500, "Out of memory");
		goto done;
	}
	WORIGIN_LOCK;
	for(i = 0; i < n; i++) {
		cnt[i].accepted = v->stats[i]->accepted;
		cnt[i].rejected_disabled = v->stats[i]->rejected_disabled;
		cnt[i].rejected_limit = v->stats[i]->rejected_limit;
		cnt[i].current = v->stats[i]->current;
	}
	snap.st.n_conns = worigin_shared->st.n_conns;
	snap.reload_time = worigin_shared->reload_time;
	snap.reload_ok = worigin_shared->reload_ok;
	snap.reloads = worigin_shared->reloads;
	snap.reload_failures = worigin_shared->reload_failures;
	memcpy(snap.reload_error, worigin_shared->reload_error,
			sizeof(snap.reload_error));
	WORIGIN_UNLOCK;
	if(id.len > 0
			&& epc_wwsf_registry_find(v->reg, epc_kam_span(&id)) == NULL) {
		rpc->fault(ctx, 400, "No WWSF %.*s", id.len, id.s);
		goto done;
	}
	if(rpc->add(ctx, "{", &th) < 0)
		goto done;
	rpc->struct_add(th, "sdddddd", "file", v->reg->source.s, "generation",
			(int)v->generation, "loaded", (int)v->loaded, "wwsfs", (int)n,
			"origins", (int)v->reg->n_origins, "connections",
			(int)snap.st.n_conns, "reloads", (int)snap.reloads);
	rpc->struct_add(th, "{", "last_reload", &lh);
	rpc->struct_add(lh, "dsds", "time", (int)snap.reload_time, "result",
			snap.reload_ok ? "ok" : "failed", "failures",
			(int)snap.reload_failures, "reason", snap.reload_error);
	if(rpc->struct_add(th, "[", "wwsf", &ah) < 0)
		goto done;
	for(i = 0; i < n; i++) {
		if(id.len > 0 && !epc_span_eq(v->reg->wwsf[i].id, epc_kam_span(&id)))
			continue;
		if(rpc_wwsf(rpc, ctx, ah, &v->reg->wwsf[i], &cnt[i]) < 0)
			break;
	}
done:
	if(cnt)
		pkg_free(cnt);
	WORIGIN_LOCK;
	worigin_release(&worigin_shared->st, v);
	WORIGIN_UNLOCK;
}

/* one binding, copied out of the table */
typedef struct conn_copy
{
	worigin_conn_t c;
	char ids[WORIGIN_MAX_IDS][WORIGIN_ID_MAX + 1];
} conn_copy_t;

static int conn_get(int conid, conn_copy_t *out)
{
	const worigin_conn_t *c;
	unsigned i;

	WORIGIN_LOCK;
	c = worigin_conn_find(&worigin_shared->st, conid);
	if(c) {
		out->c = *c;
		for(i = 0; i < c->n_ids; i++)
			snprintf(out->ids[i], sizeof(out->ids[i]), "%s", c->ids[i]);
	}
	WORIGIN_UNLOCK;
	return c != NULL;
}

static void rpc_conn(rpc_t *rpc, void *ah, const conn_copy_t *cc, time_t now)
{
	void *ch, *ih;
	unsigned i;

	if(rpc->array_add(ah, "{", &ch) < 0)
		return;
	rpc->struct_add(ch, "dsssdd", "conid", cc->c.conid, "wwsf", cc->c.wwsf,
			"origin", cc->c.origin[0] ? cc->c.origin : "none", "remote",
			cc->c.remote, "age", (int)(now - cc->c.since), "since",
			(int)cc->c.since);
	if(rpc->struct_add(ch, "[", "identities", &ih) < 0)
		return;
	for(i = 0; i < cc->c.n_ids; i++)
		rpc->array_add(ih, "s", cc->ids[i]);
}

static const char *worigin_rpc_connections_doc[2] = {
		"List connections bound to a WWSF, by conid. Optional parameters: "
		"filter (all | wwsf=<id> | origin=<origin> | impu=<identity> | "
		"conid=<n>), limit (default 100, at most 1000), after (list conids "
		"above it; pass the previous page's 'next').",
		0};

static void worigin_rpc_connections(rpc_t *rpc, void *ctx)
{
	worigin_filter_t f;
	str filter = STR_NULL;
	int limit = DEFAULT_PAGE, after = 0, more = 0, *ids = NULL;
	size_t n, i, total = 0, shown = 0;
	conn_copy_t *cc = NULL;
	void *th, *ah;
	time_t now = time(NULL);

	if(rpc->scan(ctx, "*.S.d.d", &filter, &limit, &after) < 1)
		filter.len = 0;
	if(worigin_filter_parse(epc_kam_span(&filter), &f) < 0) {
		rpc->fault(ctx, 400,
				"Bad filter (all, wwsf=<id>, origin=<origin>, impu=<uri>, "
				"conid=<n>)");
		return;
	}
	if(limit < 1 || limit > WORIGIN_PAGE_MAX || after < 0) {
		rpc->fault(
				ctx, 400, "limit must be 1..%d, after >= 0", WORIGIN_PAGE_MAX);
		return;
	}
	ids = pkg_malloc(limit * sizeof(int));
	cc = pkg_malloc(sizeof(*cc));
	if(ids == NULL || cc == NULL) {
		rpc->fault(ctx, 500, "Out of memory");
		goto done;
	}
	WORIGIN_LOCK;
	n = worigin_conns_page(
			&worigin_shared->st, &f, after, ids, (size_t)limit, &total, &more);
	WORIGIN_UNLOCK;
	if(rpc->add(ctx, "{", &th) < 0)
		goto done;
	if(rpc->struct_add(th, "[", "connections", &ah) < 0)
		goto done;
	for(i = 0; i < n; i++) {
		/* a connection closed since the page was taken is skipped */
		if(!conn_get(ids[i], cc))
			continue;
		rpc_conn(rpc, ah, cc, now);
		shown++;
	}
	rpc->struct_add(th, "dddd", "total", (int)total, "count", (int)shown,
			"more", more, "next", more && n ? ids[n - 1] : 0);
done:
	if(ids)
		pkg_free(ids);
	if(cc)
		pkg_free(cc);
}

static const char *worigin_rpc_reload_doc[2] = {
		"Reload the WWSF registry file. A file that does not load leaves the "
		"registry in force and the error is returned; open connections stay "
		"bound.",
		0};

static void worigin_rpc_reload(rpc_t *rpc, void *ctx)
{
	char err[EPC_WWSF_ERR_MAX];
	worigin_version_t *v;
	long gen;
	void *th;

	gen = worigin_reload(err, sizeof(err));
	if(gen < 0) {
		LM_ERR("WWSF registry reload refused, previous registry kept: %s\n",
				err);
		rpc->fault(ctx, 500, "Reload failed, previous registry kept: %s", err);
		return;
	}
	WORIGIN_LOCK;
	v = worigin_acquire(&worigin_shared->st);
	WORIGIN_UNLOCK;
	if(v && rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "sddd", "file", v->reg->source.s, "generation",
				(int)v->generation, "wwsfs", (int)v->reg->n_wwsf, "origins",
				(int)v->reg->n_origins);
	WORIGIN_LOCK;
	worigin_release(&worigin_shared->st, v);
	WORIGIN_UNLOCK;
}

static const char *worigin_rpc_match_doc[2] = {
		"Which WWSF an Origin belongs to (nothing is bound or counted). "
		"Parameter: the origin.",
		0};

static void worigin_rpc_match(rpc_t *rpc, void *ctx)
{
	char canon[EPC_ORIGIN_FMT_MAX], pattern[EPC_ORIGIN_FMT_MAX] = "";
	char wwsf[EPC_WWSF_ID_MAX + 1] = "";
	const epc_wwsf_origin_t *which = NULL;
	const epc_wwsf_t *w;
	worigin_version_t *v;
	epc_origin_t o;
	int rc, enabled = 0;
	str in = STR_NULL;
	void *th;

	if(rpc->scan(ctx, ".S", &in) < 1) {
		rpc->fault(ctx, 400, "Origin expected");
		return;
	}
	rc = epc_origin_parse(epc_span_trim(epc_kam_span(&in)), &o);
	if(rc < 0) {
		rpc->fault(ctx, 400, "Not a serialized origin: %s",
				epc_origin_strerror(rc));
		return;
	}
	epc_origin_format(&o, canon, sizeof(canon));
	WORIGIN_LOCK;
	v = worigin_acquire(&worigin_shared->st);
	w = v ? epc_wwsf_registry_match_origin(v->reg, &o, &which) : NULL;
	if(w) {
		snprintf(wwsf, sizeof(wwsf), "%s", w->id.s);
		snprintf(pattern, sizeof(pattern), "%s", which->text.s);
		enabled = w->enabled;
	}
	worigin_release(&worigin_shared->st, v);
	WORIGIN_UNLOCK;
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ssss", "origin", canon, "result",
			w == NULL ? "not allowed" : (enabled ? "allowed" : "disabled"),
			"wwsf", wwsf, "entry", pattern);
}

/* clang-format off */
rpc_export_t worigin_rpc_cmds[] = {
	{"webrtc_origin.list", worigin_rpc_list, worigin_rpc_list_doc, 0},
	{"webrtc_origin.connections", worigin_rpc_connections,
		worigin_rpc_connections_doc, 0},
	{"webrtc_origin.reload", worigin_rpc_reload, worigin_rpc_reload_doc, 0},
	{"webrtc_origin.match", worigin_rpc_match, worigin_rpc_match_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
