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
 * eimsagw_ctl glue: RPC commands (eimsagw.agw_list, eimsagw.agw_enable,
 * eimsagw.sessions, eimsagw.session). Session statistics come from an ng
 * "query" to the session's AGW, sent after the table lock is released.
 */

#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/mem/mem.h"

#include "eimsagw_ctl_mod.h"

#define EIMSAGW_RPC_LIMIT 100
#define EIMSAGW_RPC_LIMIT_MAX 1000
#define EIMSAGW_RPC_STREAMS 64

static const char *rpc_agw_list_doc[2] = {
		"List the eIMS-AGW set: state, weight, counters, sessions", 0};
static const char *rpc_agw_enable_doc[2] = {
		"Enable (1) or disable (0) an AGW by its index", 0};
static const char *rpc_sessions_doc[2] = {
		"List media sessions with AGW packet/byte totals [limit]", 0};
static const char *rpc_session_doc[2] = {
		"Media session(s) of a Call-ID with every AGW stream", 0};

static str sp2str(epc_span_t s)
{
	str r = {(char *)s.s, (int)s.len};
	return r;
}

static void rpc_agw_list(rpc_t *rpc, void *ctx)
{
	eimsagw_set_t set;
	int counts[EIMSAGW_AGW_MAX];
	int64_t now = eimsagw_now();
	uint32_t i;
	void *th, *ah, *eh;

	eimsagw_io_snapshot(&set);
	eimsagw_table_per_agw(counts, EIMSAGW_AGW_MAX);
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "[", "agws", &ah) < 0) {
		rpc->fault(ctx, 500, "Internal error creating the reply");
		return;
	}
	for(i = 0; i < set.n; i++) {
		eimsagw_agw_t *a = &set.agw[i];
		str uri = eimsagw_io_uri((int)i);
		if(rpc->array_add(ah, "{", &eh) < 0
				|| rpc->struct_add(eh, "dSsdLLdLLLLd", "index", (int)i, "uri",
						   &uri, "state", eimsagw_set_state_name(&set, i),
						   "weight", (int)a->weight, "since",
						   (long long)(now - a->since), "pinged",
						   (long long)(now - a->last_ping), "fails",
						   (int)a->fails, "requests", (long long)a->requests,
						   "timeouts", (long long)a->timeouts, "went_down",
						   (long long)a->went_down, "rtt_us",
						   (long long)a->rtt_us, "sessions", counts[i])
						   < 0) {
			rpc->fault(ctx, 500, "Internal error creating the reply");
			return;
		}
	}
}

static void rpc_agw_enable(rpc_t *rpc, void *ctx)
{
	int on = 0, i = -1;

	if(rpc->scan(ctx, "dd", &i, &on) < 2) {
		rpc->fault(ctx, 400, "Expected: AGW index (eimsagw.agw_list), 0 or 1");
		return;
	}
	if(i < 0 || i >= eimsagw_io_count() || (on != 0 && on != 1)) {
		rpc->fault(ctx, 400, "Unknown AGW index or state not 0/1");
		return;
	}
	eimsagw_io_enable(i, on);
	rpc->rpl_printf(ctx, "AGW %d %s", i, on ? "enabled" : "disabled");
}

/* ng query of one session; *nodes valid until the next exchange. */
static int query(const eimsagw_sess_t *s, char *cbuf, size_t csz,
		eimsagw_ngreply_t *rp, const eimsagw_bnode_t **nodes)
{
	eimsagw_ngreq_t r;

	/* no queries to a down AGW: each would wait for its timeout */
	if(s->agw < 0 || !eimsagw_io_up(s->agw))
		return -1;
	memset(&r, 0, sizeof(r));
	r.cmd = EIMSAGW_NG_QUERY;
	r.call_id = eimsagw_sess_ng_call_id(s, cbuf, csz);
	if(eimsagw_io_request(s->agw, &r, rp, nodes) != EIMSAGW_IO_OK)
		return -1;
	return rp->result == EIMSAGW_NGR_OK ? 0 : -1;
}

static int add_session(rpc_t *rpc, void *ctx, void *arr,
		const eimsagw_sess_t *s, int64_t now, void **out)
{
	void *sh;
	str cid = sp2str(eimsagw_sess_str(s, s->call_id));
	str tag = sp2str(eimsagw_sess_str(s, s->init_tag));
	str to = sp2str(eimsagw_sess_str(s, s->conf_tag));
	str uri = eimsagw_io_uri(s->agw);
	char ngbuf[EIMSAGW_CALLID_MAX + 8];
	str ngc = sp2str(eimsagw_sess_ng_call_id(s, ngbuf, sizeof(ngbuf)));

	if(to.len == 0 && s->nbranches)
		to = sp2str(eimsagw_sess_str(s, s->branches[s->nbranches - 1]));
	if(rpc->array_add(arr, "{", &sh) < 0
			|| rpc->struct_add(sh, "SSssSSSLdddd", "callid", &cid, "agw_callid",
					   &ngc, "state", eimsagw_state_name(s->state),
					   "caller_side", eimsagw_side_name(s->caller_side),
					   "from_tag", &tag, "to_tag", &to, "agw", &uri, "age",
					   (long long)(now - s->created), "offers", (int)s->offers,
					   "answers", (int)s->answers, "forks", (int)s->nforks,
					   "forks_pending", eimsagw_sess_forks_pending(s))
					   < 0)
		return -1;
	*out = sh;
	return 0;
}

static int add_totals(rpc_t *rpc, void *sh, const eimsagw_sess_t *s)
{
	eimsagw_ngreply_t rp;
	const eimsagw_bnode_t *nodes = NULL;
	eimsagw_ngtotals_t t;
	char cbuf[EIMSAGW_CALLID_MAX + 8];

	if(query(s, cbuf, sizeof(cbuf), &rp, &nodes) < 0
			|| eimsagw_ng_query_totals(nodes, &t) < 0)
		return rpc->struct_add(sh, "s", "agw_query",
				eimsagw_io_up(s->agw) ? "failed" : "failed (AGW down)");
	return rpc->struct_add(sh, "sLLLLdd", "agw_query", "ok", "rtp_packets",
			(long long)t.rtp_packets, "rtp_bytes", (long long)t.rtp_bytes,
			"rtcp_packets", (long long)t.rtcp_packets, "rtcp_bytes",
			(long long)t.rtcp_bytes, "agw_tags", (int)t.tags, "agw_streams",
			(int)t.streams);
}

static void rpc_sessions(rpc_t *rpc, void *ctx)
{
	eimsagw_sess_t *arr = NULL;
	int limit = EIMSAGW_RPC_LIMIT, n, total, i;
	int64_t now = eimsagw_now();
	void *th, *ah, *sh;

	if(rpc->scan(ctx, "*d", &limit) < 1)
		limit = EIMSAGW_RPC_LIMIT;
	if(limit < 1 || limit > EIMSAGW_RPC_LIMIT_MAX) {
		rpc->fault(ctx, 400, "limit must be 1..1000");
		return;
	}
	n = eimsagw_table_snapshot(&arr, limit, NULL, &total);
	if(n < 0) {
		rpc->fault(ctx, 500, "Out of memory");
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(
					   th, "dd[", "total", total, "listed", n, "sessions", &ah)
					   < 0)
		goto fault;
	for(i = 0; i < n; i++) {
		if(add_session(rpc, ctx, ah, &arr[i], now, &sh) < 0
				|| add_totals(rpc, sh, &arr[i]) < 0)
			goto fault;
	}
	pkg_free(arr);
	return;
fault:
	if(arr)
		pkg_free(arr);
	rpc->fault(ctx, 500, "Internal error creating the reply");
}

static int add_streams(rpc_t *rpc, void *sh, const eimsagw_sess_t *s)
{
	eimsagw_ngreply_t rp;
	const eimsagw_bnode_t *nodes = NULL;
	eimsagw_ngstream_t *st;
	char cbuf[EIMSAGW_CALLID_MAX + 8];
	uint32_t n, i;
	void *lh, *eh;
	int rc = 0;

	if(query(s, cbuf, sizeof(cbuf), &rp, &nodes) < 0)
		return 0; /* add_totals said why */
	st = pkg_malloc(sizeof(*st) * EIMSAGW_RPC_STREAMS);
	if(!st)
		return -1;
	n = eimsagw_ng_query_streams(nodes, st, EIMSAGW_RPC_STREAMS);
	if(n > EIMSAGW_RPC_STREAMS)
		n = EIMSAGW_RPC_STREAMS;
	if(rpc->struct_add(sh, "[", "streams", &lh) < 0)
		rc = -1;
	for(i = 0; rc == 0 && i < n; i++) {
		str tag = sp2str(st[i].tag), ty = sp2str(st[i].media_type);
		str pr = sp2str(st[i].protocol), ep = sp2str(st[i].endpoint);
		if(rpc->array_add(lh, "{", &eh) < 0
				|| rpc->struct_add(eh, "SdSSsdSdLLLL", "tag", &tag, "media",
						   (int)st[i].media_index, "type", &ty, "protocol", &pr,
						   "kind", st[i].rtcp ? "RTCP" : "RTP", "local_port",
						   (int)st[i].local_port, "endpoint", &ep,
						   "endpoint_port", (int)st[i].endpoint_port, "packets",
						   (long long)st[i].packets, "bytes",
						   (long long)st[i].bytes, "errors",
						   (long long)st[i].errors, "last_packet",
						   (long long)st[i].last_packet)
						   < 0)
			rc = -1;
	}
	pkg_free(st);
	return rc;
}

static void rpc_session(rpc_t *rpc, void *ctx)
{
	eimsagw_sess_t *arr = NULL;
	str callid = STR_NULL;
	int n, total, i;
	int64_t now = eimsagw_now();
	void *th, *ah, *sh;

	if(rpc->scan(ctx, "S", &callid) < 1 || callid.len <= 0) {
		rpc->fault(ctx, 400, "Expected: Call-ID");
		return;
	}
	n = eimsagw_table_snapshot(&arr, 4, &callid, &total);
	if(n < 0) {
		rpc->fault(ctx, 500, "Out of memory");
		return;
	}
	if(n == 0) {
		if(arr)
			pkg_free(arr);
		rpc->fault(ctx, 404, "No media session for this Call-ID");
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "[", "sessions", &ah) < 0)
		goto fault;
	for(i = 0; i < n; i++) {
		if(add_session(rpc, ctx, ah, &arr[i], now, &sh) < 0
				|| add_totals(rpc, sh, &arr[i]) < 0
				|| add_streams(rpc, sh, &arr[i]) < 0)
			goto fault;
	}
	pkg_free(arr);
	return;
fault:
	pkg_free(arr);
	rpc->fault(ctx, 500, "Internal error creating the reply");
}

/* clang-format off */
static rpc_export_t eimsagw_rpc_cmds[] = {
	{"eimsagw.agw_list",   rpc_agw_list,   rpc_agw_list_doc,   0},
	{"eimsagw.agw_enable", rpc_agw_enable, rpc_agw_enable_doc, 0},
	{"eimsagw.sessions",   rpc_sessions,   rpc_sessions_doc,   0},
	{"eimsagw.session",    rpc_session,    rpc_session_doc,    0},
	{0, 0, 0, 0}
};
/* clang-format on */

int eimsagw_rpc_init(void)
{
	if(rpc_register_array(eimsagw_rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		return -1;
	}
	return 0;
}
