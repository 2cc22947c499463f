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

#include "eimsagw_bencode.h"

/* Parse "-?[0-9]+" up to the terminator; canonical form only (no leading
 * zeros, no "-0"), as every bencode producer writes. */
static int parse_int(const char *p, const char *end, char term,
		const char **after, int64_t *out, int allow_neg)
{
	const char *q = p;
	int neg = 0;
	uint64_t v = 0;
	int digits = 0;

	if(allow_neg && q < end && *q == '-') {
		neg = 1;
		q++;
	}
	if(q >= end || *q < '0' || *q > '9')
		return EIMSAGW_BENC_E_PARSE;
	if(*q == '0' && (neg || (q + 1 < end && q[1] != term)))
		return EIMSAGW_BENC_E_PARSE;
	while(q < end && *q >= '0' && *q <= '9') {
		if(++digits > EIMSAGW_BENC_INT_DIGITS)
			return EIMSAGW_BENC_E_PARSE;
		v = v * 10 + (uint64_t)(*q - '0');
		q++;
	}
	if(q >= end || *q != term)
		return EIMSAGW_BENC_E_PARSE;
	if(v > (uint64_t)INT64_MAX)
		return EIMSAGW_BENC_E_PARSE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	*after = q + 1;
	return 0;
}

typedef struct dec
{
	const char *p;
	const char *end;
	const char *base;
	eimsagw_bnode_t *nodes;
	uint32_t cap;
	uint32_t n;
	uint32_t stack[EIMSAGW_BENC_DEPTH_MAX];
	int depth;
} dec_t;

static int new_node(dec_t *d, uint32_t type, const char *start, uint32_t *idx)
{
	eimsagw_bnode_t *nd;

	if(d->n >= d->cap)
		return EIMSAGW_BENC_E_NODES;
	/* a dictionary key must be a string: even item positions in a dict */
	if(d->depth > 0) {
		eimsagw_bnode_t *c = &d->nodes[d->stack[d->depth - 1]];
		if(c->type == EIMSAGW_BT_DICT && (c->count % 2) == 0
				&& type != EIMSAGW_BT_STR)
			return EIMSAGW_BENC_E_PARSE;
		c->count++;
	}
	nd = &d->nodes[d->n];
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->s.s = start;
	*idx = d->n++;
	return 0;
}

/* One scalar or container opening at d->p. */
static int dec_value(dec_t *d)
{
	const char *start = d->p;
	uint32_t idx;
	int rc;
	int64_t v;

	if(*d->p == 'l' || *d->p == 'd') {
		if(d->depth >= EIMSAGW_BENC_DEPTH_MAX)
			return EIMSAGW_BENC_E_DEPTH;
		rc = new_node(d, *d->p == 'l' ? EIMSAGW_BT_LIST : EIMSAGW_BT_DICT,
				start, &idx);
		if(rc < 0)
			return rc;
		d->stack[d->depth++] = idx;
		d->p++;
		return 0;
	}
	if(*d->p == 'i') {
		rc = parse_int(d->p + 1, d->end, 'e', &d->p, &v, 1);
		if(rc < 0)
			return rc;
		rc = new_node(d, EIMSAGW_BT_INT, start, &idx);
		if(rc < 0)
			return rc;
		d->nodes[idx].i = v;
		d->nodes[idx].s.s = start + 1;
		d->nodes[idx].s.len = (size_t)(d->p - start - 2);
		d->nodes[idx].next = d->n;
		return 0;
	}
	rc = parse_int(d->p, d->end, ':', &d->p, &v, 0);
	if(rc < 0)
		return rc;
	if((uint64_t)v > (uint64_t)(d->end - d->p))
		return EIMSAGW_BENC_E_PARSE;
	rc = new_node(d, EIMSAGW_BT_STR, start, &idx);
	if(rc < 0)
		return rc;
	d->nodes[idx].s.s = d->p;
	d->nodes[idx].s.len = (size_t)v;
	d->nodes[idx].next = d->n;
	d->p += v;
	return 0;
}

int eimsagw_bdecode(const char *buf, size_t len, eimsagw_bnode_t *nodes,
		uint32_t cap, uint32_t *nused)
{
	dec_t d;
	int rc;

	if(nused)
		*nused = 0;
	if(!buf || !nodes || cap == 0)
		return EIMSAGW_BENC_E_ARG;
	if(len == 0)
		return EIMSAGW_BENC_E_EMPTY;
	memset(&d, 0, sizeof(d));
	d.p = buf;
	d.end = buf + len;
	d.base = buf;
	d.nodes = nodes;
	d.cap = cap;

	do {
		if(d.p >= d.end)
			return EIMSAGW_BENC_E_PARSE;
		if(*d.p == 'e' && d.depth > 0) {
			eimsagw_bnode_t *c = &d.nodes[d.stack[--d.depth]];
			/* a dictionary needs a value for every key */
			if(c->type == EIMSAGW_BT_DICT && (c->count % 2) != 0)
				return EIMSAGW_BENC_E_PARSE;
			if(c->type == EIMSAGW_BT_DICT)
				c->count /= 2;
			d.p++;
			c->s.len = (size_t)(d.p - c->s.s);
			c->next = d.n;
			continue;
		}
		rc = dec_value(&d);
		if(rc < 0)
			return rc;
	} while(d.depth > 0);

	if(d.p != d.end)
		return EIMSAGW_BENC_E_TRAIL;
	if(nused)
		*nused = d.n;
	return EIMSAGW_BENC_OK;
}

long eimsagw_bdict_get(const eimsagw_bnode_t *nodes, uint32_t d, epc_span_t key)
{
	long k;

	if(nodes[d].type != EIMSAGW_BT_DICT)
		return -1;
	for(k = eimsagw_bfirst(nodes, d); k >= 0;) {
		long v = (long)nodes[k].next;
		if(epc_span_eq(nodes[k].s, key))
			return v;
		k = eimsagw_bnext(nodes, d, (uint32_t)v);
	}
	return -1;
}

int eimsagw_bdict_str(const eimsagw_bnode_t *nodes, uint32_t d, epc_span_t key,
		epc_span_t *out)
{
	long v = eimsagw_bdict_get(nodes, d, key);

	if(v < 0 || nodes[v].type != EIMSAGW_BT_STR)
		return -1;
	*out = nodes[v].s;
	return 0;
}

int eimsagw_bdict_int(
		const eimsagw_bnode_t *nodes, uint32_t d, epc_span_t key, int64_t *out)
{
	long v = eimsagw_bdict_get(nodes, d, key);

	if(v < 0 || nodes[v].type != EIMSAGW_BT_INT)
		return -1;
	*out = nodes[v].i;
	return 0;
}

void eimsagw_benc_init(eimsagw_benc_t *b, char *buf, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	if(!buf)
		b->err = EIMSAGW_BENC_E_ARG;
}

void eimsagw_benc_raw(eimsagw_benc_t *b, const char *p, size_t n)
{
	if(b->err)
		return;
	if(n > b->cap - b->len) {
		b->err = EIMSAGW_BENC_E_SPACE;
		return;
	}
	if(n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* Decimal digits of v into the end of tmp; returns the start. */
static char *fmt_u64(char *tmp_end, uint64_t v)
{
	char *p = tmp_end;

	do {
		*--p = (char)('0' + (v % 10));
		v /= 10;
	} while(v);
	return p;
}

void eimsagw_benc_str(eimsagw_benc_t *b, epc_span_t s)
{
	char tmp[24];
	char *p = fmt_u64(tmp + sizeof(tmp) - 1, (uint64_t)s.len);

	tmp[sizeof(tmp) - 1] = ':';
	eimsagw_benc_raw(b, p, (size_t)(tmp + sizeof(tmp) - p));
	eimsagw_benc_raw(b, s.s, s.len);
}

void eimsagw_benc_cstr(eimsagw_benc_t *b, const char *s)
{
	eimsagw_benc_str(b, epc_span_cstr(s));
}

void eimsagw_benc_int(eimsagw_benc_t *b, int64_t v)
{
	char tmp[24];
	char *end = tmp + sizeof(tmp) - 1;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = fmt_u64(end, u);

	if(v < 0)
		*--p = '-';
	*--p = 'i';
	*end = 'e';
	eimsagw_benc_raw(b, p, (size_t)(end + 1 - p));
}

static void open_container(eimsagw_benc_t *b, char c)
{
	if(b->err)
		return;
	if(b->depth >= EIMSAGW_BENC_DEPTH_MAX) {
		b->err = EIMSAGW_BENC_E_DEPTH;
		return;
	}
	eimsagw_benc_raw(b, &c, 1);
	b->depth++;
}

void eimsagw_benc_list(eimsagw_benc_t *b)
{
	open_container(b, 'l');
}

void eimsagw_benc_dict(eimsagw_benc_t *b)
{
	open_container(b, 'd');
}

void eimsagw_benc_end(eimsagw_benc_t *b)
{
	if(b->err)
		return;
	if(b->depth == 0) {
		b->err = EIMSAGW_BENC_E_NEST;
		return;
	}
	eimsagw_benc_raw(b, "e", 1);
	b->depth--;
}

void eimsagw_benc_kv(eimsagw_benc_t *b, const char *key, epc_span_t val)
{
	eimsagw_benc_cstr(b, key);
	eimsagw_benc_str(b, val);
}

int eimsagw_benc_finish(eimsagw_benc_t *b, size_t *len)
{
	if(!b->err && b->depth != 0)
		b->err = EIMSAGW_BENC_E_NEST;
	if(b->err)
		return b->err;
	if(len)
		*len = b->len;
	return EIMSAGW_BENC_OK;
}

const char *eimsagw_benc_strerror(int rc)
{
	switch(rc) {
		case EIMSAGW_BENC_OK:
			return "ok";
		case EIMSAGW_BENC_E_PARSE:
			return "malformed bencode";
		case EIMSAGW_BENC_E_DEPTH:
			return "bencode nested too deeply";
		case EIMSAGW_BENC_E_NODES:
			return "bencode has too many items";
		case EIMSAGW_BENC_E_TRAIL:
			return "data after the bencoded value";
		case EIMSAGW_BENC_E_SPACE:
			return "bencode output buffer too small";
		case EIMSAGW_BENC_E_NEST:
			return "unbalanced bencode list/dictionary";
		case EIMSAGW_BENC_E_ARG:
			return "invalid argument";
		case EIMSAGW_BENC_E_EMPTY:
			return "empty bencode input";
	}
	return "unknown bencode error";
}
