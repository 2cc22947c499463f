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

#include <string.h>

#include "eimsagw_ng.h"

#define SP(lit) EPC_SPAN_LIT(lit)

/* Keys whose values form a list in the ng dictionary (rtpengine 10.5). */
static const char *const list_keys[] = {"replace", "rtcp-mux", "SDES", "T.38",
		"T38", "OSRTP", "direction", NULL};
/* Keys rtpengine reads as integers. */
static const char *const int_keys[] = {
		"TOS", "delete-delay", "repacketize", "ptime", "ptime-reverse", NULL};
/* Keys this module sets itself. */
static const char *const reserved_keys[] = {"call-id", "from-tag", "to-tag",
		"via-branch", "sdp", "command", "received-from", NULL};
/* codec dictionary operations. */
static const char *const codec_ops[] = {"strip", "offer", "except", "transcode",
		"mask", "set", "consume", "accept", NULL};
/* Bare words that select the transport protocol. */
static const char *const transports[] = {"RTP/AVP", "RTP/AVPF", "RTP/SAVP",
		"RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF", NULL};

static int in_table(const char *const *t, epc_span_t s)
{
	int i;

	for(i = 0; t[i]; i++) {
		if(epc_span_eq(s, epc_span_cstr(t[i])))
			return i;
	}
	return -1;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int all_digits(epc_span_t s, int64_t *v)
{
	uint64_t u;

	if(epc_span_to_u64(s, (uint64_t)INT32_MAX, &u) < 0)
		return 0;
	*v = (int64_t)u;
	return 1;
}

/* "T38" and "T.38" are one list. */
static epc_span_t canon_list_key(epc_span_t k)
{
	if(epc_span_eq(k, SP("T38")))
		return SP("T.38");
	return k;
}

static int add_item(eimsagw_profile_t *p, uint32_t kind, epc_span_t key,
		epc_span_t val, int64_t ival)
{
	eimsagw_ngitem_t *it;

	if(p->n >= EIMSAGW_PROFILE_MAX)
		return EIMSAGW_NG_E_TOOMANY;
	it = &p->items[p->n++];
	it->kind = kind;
	it->key = key;
	it->val = val;
	it->ival = ival;
	return EIMSAGW_NG_OK;
}

/* "codec-OP-NAME" (val empty) or "codec-OP=NAME". */
static int parse_codec(eimsagw_profile_t *p, epc_span_t key, epc_span_t val)
{
	epc_span_t rest = epc_span_sub(key, 6, key.len);
	epc_span_t op, name;

	if(val.s) {
		op = rest;
		name = val;
	} else if(!epc_span_split(rest, '-', &op, &name)) {
		return EIMSAGW_NG_E_FLAGS;
	}
	if(in_table(codec_ops, op) < 0 || name.len == 0)
		return EIMSAGW_NG_E_FLAGS;
	return add_item(p, EIMSAGW_NGI_CODEC, op, name, 0);
}

/* "replace-origin" style: a list key, '-', the value. */
static int parse_prefixed(eimsagw_profile_t *p, epc_span_t w, int *done)
{
	int i;

	*done = 0;
	for(i = 0; list_keys[i]; i++) {
		epc_span_t k = epc_span_cstr(list_keys[i]);
		if(epc_span_eq(k, SP("direction")))
			continue;
		if(w.len > k.len + 1 && epc_span_has_prefix(w, k, 0)
				&& w.s[k.len] == '-') {
			*done = 1;
			return add_item(p, EIMSAGW_NGI_LIST, canon_list_key(k),
					epc_span_sub(w, k.len + 1, w.len), 0);
		}
	}
	return EIMSAGW_NG_OK;
}

static int parse_kv(eimsagw_profile_t *p, epc_span_t key, epc_span_t val)
{
	int64_t v;

	if(key.len == 0 || val.len == 0)
		return EIMSAGW_NG_E_FLAGS;
	if(in_table(reserved_keys, key) >= 0)
		return EIMSAGW_NG_E_RESERVED;
	if(epc_span_eq(key, SP("rx-side"))) {
		if(epc_span_eq_nocase(val, SP("w2")))
			p->rx_side = EIMSAGW_SIDE_W2;
		else if(epc_span_eq_nocase(val, SP("mw")))
			p->rx_side = EIMSAGW_SIDE_MW;
		else
			return EIMSAGW_NG_E_FLAGS;
		return EIMSAGW_NG_OK;
	}
	if(epc_span_eq(key, SP("flags")))
		return add_item(p, EIMSAGW_NGI_FLAG, SP("flags"), val, 0);
	if(in_table(list_keys, key) >= 0)
		return add_item(p, EIMSAGW_NGI_LIST, canon_list_key(key), val, 0);
	if(epc_span_has_prefix(key, SP("codec-"), 0))
		return parse_codec(p, key, val);
	if(in_table(int_keys, key) >= 0) {
		if(!all_digits(val, &v))
			return EIMSAGW_NG_E_FLAGS;
		return add_item(p, EIMSAGW_NGI_INT, key, val, v);
	}
	return add_item(p, EIMSAGW_NGI_KV, key, val, 0);
}

static int parse_word(eimsagw_profile_t *p, epc_span_t w)
{
	epc_span_t key, val;
	int done, rc;

	if(epc_span_split(w, '=', &key, &val))
		return parse_kv(p, key, val);
	if(in_table(reserved_keys, w) >= 0)
		return EIMSAGW_NG_E_RESERVED;
	rc = parse_prefixed(p, w, &done);
	if(rc < 0 || done)
		return rc;
	if(epc_span_has_prefix(w, SP("codec-"), 0))
		return parse_codec(p, w, EPC_SPAN_NULL);
	if(in_table(transports, w) >= 0)
		return add_item(p, EIMSAGW_NGI_KV, SP("transport-protocol"), w, 0);
	if(epc_span_eq(w, SP("internal")) || epc_span_eq(w, SP("external")))
		return add_item(p, EIMSAGW_NGI_LIST, SP("direction"), w, 0);
	return add_item(p, EIMSAGW_NGI_FLAG, SP("flags"), w, 0);
}

int eimsagw_profile_parse(
		epc_span_t flags, eimsagw_profile_t *out, epc_span_t *err)
{
	size_t i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if(err)
		*err = EPC_SPAN_NULL;
	while(i < flags.len) {
		size_t j;
		epc_span_t w;

		while(i < flags.len && is_ws(flags.s[i]))
			i++;
		if(i >= flags.len)
			break;
		j = i;
		while(j < flags.len && !is_ws(flags.s[j]))
			j++;
		w.s = flags.s + i;
		w.len = j - i;
		rc = parse_word(out, w);
		if(rc < 0) {
			if(err)
				*err = w;
			return rc;
		}
		i = j;
	}
	return EIMSAGW_NG_OK;
}

/* --- request building --- */

typedef struct merged
{
	const eimsagw_ngitem_t *it[2 * EIMSAGW_PROFILE_MAX];
	uint32_t n;
} merged_t;

static void merge(merged_t *m, const eimsagw_profile_t *p)
{
	uint32_t i;

	if(!p)
		return;
	for(i = 0; i < p->n; i++)
		m->it[m->n++] = &p->items[i];
}

/* KV and INT share one key space: extra's value overrides. */
static int scalar(const eimsagw_ngitem_t *it)
{
	return it->kind == EIMSAGW_NGI_KV || it->kind == EIMSAGW_NGI_INT;
}

static int same_group(const eimsagw_ngitem_t *a, const eimsagw_ngitem_t *b)
{
	if(scalar(a) && scalar(b))
		return epc_span_eq(a->key, b->key);
	if(a->kind != b->kind)
		return 0;
	if(a->kind == EIMSAGW_NGI_FLAG || a->kind == EIMSAGW_NGI_CODEC)
		return 1;
	return epc_span_eq(a->key, b->key);
}

static int seen_before(const merged_t *m, uint32_t i,
		int (*same)(const eimsagw_ngitem_t *, const eimsagw_ngitem_t *))
{
	uint32_t j;

	for(j = 0; j < i; j++) {
		if(same(m->it[j], m->it[i]))
			return 1;
	}
	return 0;
}

static int same_value(const eimsagw_ngitem_t *a, const eimsagw_ngitem_t *b)
{
	return same_group(a, b) && epc_span_eq(a->val, b->val)
		   && (a->kind != EIMSAGW_NGI_CODEC || epc_span_eq(a->key, b->key));
}

static int same_codec_op(const eimsagw_ngitem_t *a, const eimsagw_ngitem_t *b)
{
	return a->kind == EIMSAGW_NGI_CODEC && b->kind == EIMSAGW_NGI_CODEC
		   && epc_span_eq(a->key, b->key);
}

/* Values of every item in the group of m->it[i] (and, for the codec
 * dictionary, with the same op), without duplicates. */
static void emit_values(eimsagw_benc_t *b, const merged_t *m, uint32_t i,
		int (*grp)(const eimsagw_ngitem_t *, const eimsagw_ngitem_t *))
{
	uint32_t j;

	eimsagw_benc_list(b);
	for(j = i; j < m->n; j++) {
		if(!grp(m->it[i], m->it[j]) || seen_before(m, j, same_value))
			continue;
		eimsagw_benc_str(b, m->it[j]->val);
	}
	eimsagw_benc_end(b);
}

static void emit_codec(eimsagw_benc_t *b, const merged_t *m, uint32_t first)
{
	uint32_t j;

	eimsagw_benc_cstr(b, "codec");
	eimsagw_benc_dict(b);
	for(j = first; j < m->n; j++) {
		if(m->it[j]->kind != EIMSAGW_NGI_CODEC
				|| seen_before(m, j, same_codec_op))
			continue;
		eimsagw_benc_str(b, m->it[j]->key);
		emit_values(b, m, j, same_codec_op);
	}
	eimsagw_benc_end(b);
}

static void emit_item(eimsagw_benc_t *b, const merged_t *m, uint32_t i)
{
	const eimsagw_ngitem_t *it = m->it[i];
	uint32_t j;

	switch(it->kind) {
		case EIMSAGW_NGI_KV:
		case EIMSAGW_NGI_INT:
			for(j = m->n; j-- > i;) {
				if(same_group(it, m->it[j]))
					break;
			}
			it = m->it[j];
			eimsagw_benc_str(b, it->key);
			if(it->kind == EIMSAGW_NGI_INT)
				eimsagw_benc_int(b, it->ival);
			else
				eimsagw_benc_str(b, it->val);
			break;
		case EIMSAGW_NGI_CODEC:
			emit_codec(b, m, i);
			break;
		default: /* FLAG, LIST */
			eimsagw_benc_str(b, it->key);
			emit_values(b, m, i, same_group);
			break;
	}
}

static void emit_profiles(eimsagw_benc_t *b, const eimsagw_ngreq_t *r)
{
	merged_t m;
	uint32_t i;

	m.n = 0;
	merge(&m, r->profile);
	merge(&m, r->extra);
	for(i = 0; i < m.n; i++) {
		if(seen_before(&m, i, same_group))
			continue;
		emit_item(b, &m, i);
	}
}

static int has_sdp_cmd(eimsagw_ngcmd_t c)
{
	return c == EIMSAGW_NG_OFFER || c == EIMSAGW_NG_ANSWER;
}

static int needs_call(eimsagw_ngcmd_t c)
{
	return c != EIMSAGW_NG_PING && c != EIMSAGW_NG_LIST;
}

int eimsagw_ng_build(const eimsagw_ngreq_t *r, epc_span_t cookie, char *out,
		size_t cap, size_t *len)
{
	eimsagw_benc_t b;
	const char *name = eimsagw_ng_cmd_name(r->cmd);

	if(!name || cookie.len == 0 || cookie.len > EIMSAGW_COOKIE_MAX)
		return EIMSAGW_NG_E_ARG;
	if(needs_call(r->cmd) && r->call_id.len == 0)
		return EIMSAGW_NG_E_ARG;
	if((has_sdp_cmd(r->cmd) || r->cmd == EIMSAGW_NG_DELETE)
			&& r->from_tag.len == 0)
		return EIMSAGW_NG_E_ARG;
	if(has_sdp_cmd(r->cmd) && r->sdp.len == 0)
		return EIMSAGW_NG_E_ARG;

	eimsagw_benc_init(&b, out, cap);
	eimsagw_benc_raw(&b, cookie.s, cookie.len);
	eimsagw_benc_raw(&b, " ", 1);
	eimsagw_benc_dict(&b);
	eimsagw_benc_kv(&b, "command", epc_span_cstr(name));
	if(needs_call(r->cmd)) {
		eimsagw_benc_kv(&b, "call-id", r->call_id);
		if(r->from_tag.len)
			eimsagw_benc_kv(&b, "from-tag", r->from_tag);
		if(r->to_tag.len)
			eimsagw_benc_kv(&b, "to-tag", r->to_tag);
	}
	if(has_sdp_cmd(r->cmd)) {
		if(r->via_branch.len)
			eimsagw_benc_kv(&b, "via-branch", r->via_branch);
		if(r->rcv_addr.len) {
			eimsagw_benc_cstr(&b, "received-from");
			eimsagw_benc_list(&b);
			eimsagw_benc_cstr(&b, r->rcv_ipv6 ? "IP6" : "IP4");
			eimsagw_benc_str(&b, r->rcv_addr);
			eimsagw_benc_end(&b);
		}
		eimsagw_benc_cstr(&b, "supports");
		eimsagw_benc_list(&b);
		eimsagw_benc_cstr(&b, "load limit");
		eimsagw_benc_end(&b);
		emit_profiles(&b, r);
		eimsagw_benc_kv(&b, "sdp", r->sdp);
	}
	if(r->cmd == EIMSAGW_NG_DELETE && r->delete_delay >= 0) {
		eimsagw_benc_cstr(&b, "delete-delay");
		eimsagw_benc_int(&b, r->delete_delay);
	}
	eimsagw_benc_end(&b);
	if(eimsagw_benc_finish(&b, len) < 0)
		return EIMSAGW_NG_E_SPACE;
	return EIMSAGW_NG_OK;
}

/* --- replies --- */

int eimsagw_ng_split(
		const char *buf, size_t len, epc_span_t *cookie, epc_span_t *payload)
{
	epc_span_t all = {buf, len};

	if(!buf || !epc_span_split(all, ' ', cookie, payload) || cookie->len == 0)
		return -1;
	return 0;
}

static int classify(epc_span_t res, eimsagw_ngresult_t *out)
{
	if(epc_span_eq(res, SP("ok")))
		*out = EIMSAGW_NGR_OK;
	else if(epc_span_eq(res, SP("pong")))
		*out = EIMSAGW_NGR_PONG;
	else if(epc_span_eq(res, SP("error")))
		*out = EIMSAGW_NGR_ERROR;
	else if(epc_span_eq(res, SP("load limit")))
		*out = EIMSAGW_NGR_LOAD_LIMIT;
	else
		return -1;
	return 0;
}

/* rtpengine's texts for "no capacity here" (10.5 call_interfaces.c). */
static int is_overload(epc_span_t reason)
{
	return epc_span_eq(reason, SP("Parallel session limit reached"))
		   || epc_span_eq(reason, SP("Ran out of ports"));
}

int eimsagw_ng_parse_reply(const char *buf, size_t len, epc_span_t cookie,
		eimsagw_bnode_t *nodes, uint32_t cap, eimsagw_ngreply_t *out)
{
	epc_span_t c, payload, res;
	int rc;

	memset(out, 0, sizeof(*out));
	if(eimsagw_ng_split(buf, len, &c, &payload) < 0)
		return EIMSAGW_NG_E_REPLY;
	if(!epc_span_eq(c, cookie))
		return EIMSAGW_NG_E_COOKIE;
	rc = eimsagw_bdecode(payload.s, payload.len, nodes, cap, NULL);
	if(rc < 0)
		return rc;
	if(nodes[0].type != EIMSAGW_BT_DICT)
		return EIMSAGW_NG_E_REPLY;
	if(eimsagw_bdict_str(nodes, 0, SP("result"), &res) < 0
			|| classify(res, &out->result) < 0)
		return EIMSAGW_NG_E_REPLY;
	if(eimsagw_bdict_str(nodes, 0, SP("error-reason"), &out->error_reason) < 0
			&& out->result == EIMSAGW_NGR_LOAD_LIMIT)
		(void)eimsagw_bdict_str(nodes, 0, SP("message"), &out->error_reason);
	(void)eimsagw_bdict_str(nodes, 0, SP("warning"), &out->warning);
	(void)eimsagw_bdict_str(nodes, 0, SP("sdp"), &out->sdp);
	out->overloaded = out->result == EIMSAGW_NGR_LOAD_LIMIT
					  || (out->result == EIMSAGW_NGR_ERROR
							  && is_overload(out->error_reason));
	return EIMSAGW_NG_OK;
}

static void stats3(const eimsagw_bnode_t *nodes, long d, int64_t *packets,
		int64_t *bytes, int64_t *errors)
{
	if(d < 0 || nodes[d].type != EIMSAGW_BT_DICT)
		return;
	(void)eimsagw_bdict_int(nodes, (uint32_t)d, SP("packets"), packets);
	(void)eimsagw_bdict_int(nodes, (uint32_t)d, SP("bytes"), bytes);
	(void)eimsagw_bdict_int(nodes, (uint32_t)d, SP("errors"), errors);
}

typedef void (*stream_cb_t)(void *ctx, const eimsagw_ngstream_t *st);

static void read_stream(
		const eimsagw_bnode_t *nodes, long sd, eimsagw_ngstream_t *st)
{
	long ep, fl, f;

	(void)eimsagw_bdict_int(
			nodes, (uint32_t)sd, SP("local port"), &st->local_port);
	(void)eimsagw_bdict_int(
			nodes, (uint32_t)sd, SP("last packet"), &st->last_packet);
	ep = eimsagw_bdict_get(nodes, (uint32_t)sd, SP("endpoint"));
	if(ep >= 0 && nodes[ep].type == EIMSAGW_BT_DICT) {
		(void)eimsagw_bdict_str(
				nodes, (uint32_t)ep, SP("address"), &st->endpoint);
		(void)eimsagw_bdict_int(
				nodes, (uint32_t)ep, SP("port"), &st->endpoint_port);
	}
	fl = eimsagw_bdict_get(nodes, (uint32_t)sd, SP("flags"));
	if(fl >= 0 && nodes[fl].type == EIMSAGW_BT_LIST) {
		for(f = eimsagw_bfirst(nodes, (uint32_t)fl); f >= 0;
				f = eimsagw_bnext(nodes, (uint32_t)fl, (uint32_t)f)) {
			if(nodes[f].type == EIMSAGW_BT_STR
					&& epc_span_eq(nodes[f].s, SP("RTCP")))
				st->rtcp = 1;
		}
	}
	stats3(nodes, eimsagw_bdict_get(nodes, (uint32_t)sd, SP("stats")),
			&st->packets, &st->bytes, &st->errors);
}

static void visit_media(const eimsagw_bnode_t *nodes, long md,
		eimsagw_ngstream_t *st, stream_cb_t cb, void *ctx)
{
	long sl, sd;

	if(nodes[md].type != EIMSAGW_BT_DICT)
		return;
	(void)eimsagw_bdict_int(nodes, (uint32_t)md, SP("index"), &st->media_index);
	(void)eimsagw_bdict_str(nodes, (uint32_t)md, SP("type"), &st->media_type);
	(void)eimsagw_bdict_str(nodes, (uint32_t)md, SP("protocol"), &st->protocol);
	sl = eimsagw_bdict_get(nodes, (uint32_t)md, SP("streams"));
	if(sl < 0 || nodes[sl].type != EIMSAGW_BT_LIST)
		return;
	for(sd = eimsagw_bfirst(nodes, (uint32_t)sl); sd >= 0;
			sd = eimsagw_bnext(nodes, (uint32_t)sl, (uint32_t)sd)) {
		eimsagw_ngstream_t one = *st;
		if(nodes[sd].type != EIMSAGW_BT_DICT)
			continue;
		read_stream(nodes, sd, &one);
		cb(ctx, &one);
	}
}

/* Calls cb for every stream of every media of every tag. */
static void visit_streams(
		const eimsagw_bnode_t *nodes, stream_cb_t cb, void *ctx)
{
	long tags, k, ml, md;

	if(nodes[0].type != EIMSAGW_BT_DICT)
		return;
	tags = eimsagw_bdict_get(nodes, 0, SP("tags"));
	if(tags < 0 || nodes[tags].type != EIMSAGW_BT_DICT)
		return;
	for(k = eimsagw_bfirst(nodes, (uint32_t)tags); k >= 0;) {
		long v = (long)nodes[k].next;
		eimsagw_ngstream_t st;
		memset(&st, 0, sizeof(st));
		st.tag = nodes[k].s;
		ml = nodes[v].type == EIMSAGW_BT_DICT
					 ? eimsagw_bdict_get(nodes, (uint32_t)v, SP("medias"))
					 : -1;
		if(ml >= 0 && nodes[ml].type == EIMSAGW_BT_LIST) {
			for(md = eimsagw_bfirst(nodes, (uint32_t)ml); md >= 0;
					md = eimsagw_bnext(nodes, (uint32_t)ml, (uint32_t)md))
				visit_media(nodes, md, &st, cb, ctx);
		}
		k = eimsagw_bnext(nodes, (uint32_t)tags, (uint32_t)v);
	}
}

typedef struct collect
{
	eimsagw_ngstream_t *out;
	uint32_t max;
	uint32_t n;
} collect_t;

static void collect_cb(void *ctx, const eimsagw_ngstream_t *st)
{
	collect_t *c = ctx;

	if(c->n < c->max)
		c->out[c->n] = *st;
	c->n++;
}

uint32_t eimsagw_ng_query_streams(
		const eimsagw_bnode_t *nodes, eimsagw_ngstream_t *out, uint32_t max)
{
	collect_t c = {out, out ? max : 0, 0};

	visit_streams(nodes, collect_cb, &c);
	return c.n;
}

static void count_cb(void *ctx, const eimsagw_ngstream_t *st)
{
	if(st->local_port > 0)
		(*(uint32_t *)ctx)++;
}

int eimsagw_ng_query_totals(
		const eimsagw_bnode_t *nodes, eimsagw_ngtotals_t *out)
{
	long t, tags;

	memset(out, 0, sizeof(*out));
	if(nodes[0].type != EIMSAGW_BT_DICT)
		return -1;
	t = eimsagw_bdict_get(nodes, 0, SP("totals"));
	tags = eimsagw_bdict_get(nodes, 0, SP("tags"));
	if(t < 0 && tags < 0)
		return -1;
	if(t >= 0 && nodes[t].type == EIMSAGW_BT_DICT) {
		stats3(nodes, eimsagw_bdict_get(nodes, (uint32_t)t, SP("RTP")),
				&out->rtp_packets, &out->rtp_bytes, &out->rtp_errors);
		stats3(nodes, eimsagw_bdict_get(nodes, (uint32_t)t, SP("RTCP")),
				&out->rtcp_packets, &out->rtcp_bytes, &out->rtcp_errors);
	}
	(void)eimsagw_bdict_int(nodes, 0, SP("created"), &out->created);
	(void)eimsagw_bdict_int(nodes, 0, SP("last signal"), &out->last_signal);
	if(tags >= 0 && nodes[tags].type == EIMSAGW_BT_DICT)
		out->tags = nodes[tags].count;
	visit_streams(nodes, count_cb, &out->streams);
	return 0;
}

const char *eimsagw_ng_cmd_name(eimsagw_ngcmd_t cmd)
{
	switch(cmd) {
		case EIMSAGW_NG_PING:
			return "ping";
		case EIMSAGW_NG_OFFER:
			return "offer";
		case EIMSAGW_NG_ANSWER:
			return "answer";
		case EIMSAGW_NG_DELETE:
			return "delete";
		case EIMSAGW_NG_QUERY:
			return "query";
		case EIMSAGW_NG_LIST:
			return "list";
	}
	return NULL;
}

const char *eimsagw_ng_strerror(int rc)
{
	switch(rc) {
		case EIMSAGW_NG_OK:
			return "ok";
		case EIMSAGW_NG_E_FLAGS:
			return "invalid flag word";
		case EIMSAGW_NG_E_TOOMANY:
			return "too many flag words";
		case EIMSAGW_NG_E_RESERVED:
			return "flag sets a key the module sets itself";
		case EIMSAGW_NG_E_SPACE:
			return "ng request too large";
		case EIMSAGW_NG_E_ARG:
			return "ng request lacks call-id, from-tag or SDP";
		case EIMSAGW_NG_E_COOKIE:
			return "ng reply for another request";
		case EIMSAGW_NG_E_REPLY:
			return "ng reply without a valid result";
	}
	return eimsagw_benc_strerror(rc);
}

size_t eimsagw_sanitize(epc_span_t text, char *out, size_t outsz)
{
	size_t i, n = 0;

	if(!out || outsz == 0)
		return 0;
	for(i = 0; i < text.len && n + 1 < outsz; i++) {
		char c = text.s[i];
		if(c == '"')
			c = '\'';
		else if(c == '\\')
			c = '/';
		else if(c < 0x20 || c > 0x7e)
			c = '?';
		out[n++] = c;
	}
	out[n] = '\0';
	return n;
}
