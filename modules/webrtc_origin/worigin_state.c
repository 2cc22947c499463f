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

#include "worigin_state.h"

const char *worigin_result_str(int result)
{
	switch(result) {
		case WORIGIN_ALLOWED:
			return "allowed";
		case WORIGIN_MISSING:
			return "missing";
		case WORIGIN_MALFORMED:
			return "malformed";
		case WORIGIN_NOT_ALLOWED:
			return "not allowed";
		case WORIGIN_DISABLED:
			return "disabled";
		case WORIGIN_LIMIT:
			return "connection limit";
		default:
			return "internal error";
	}
}

/* copy a span into a fixed buffer, truncating, NUL-terminated */
static void copy_z(char *dst, size_t size, epc_span_t s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if(n)
		memcpy(dst, s.s, n);
	dst[n] = '\0';
}

/* --- per-WWSF counters --- */

static worigin_wstat_t *wstat_get(worigin_state_t *st, epc_span_t id)
{
	worigin_wstat_t *w;

	for(w = st->wstats; w; w = w->next) {
		if(epc_span_eq(epc_span_cstr(w->id), id)) {
			w->refs++;
			return w;
		}
	}
	w = epc_alloc(st->a, sizeof(*w));
	if(w == NULL)
		return NULL;
	memset(w, 0, sizeof(*w));
	copy_z(w->id, sizeof(w->id), id);
	w->refs = 1;
	w->next = st->wstats;
	st->wstats = w;
	return w;
}

static void wstat_put(worigin_state_t *st, worigin_wstat_t *w)
{
	worigin_wstat_t **pp;

	if(w == NULL || --w->refs > 0)
		return;
	for(pp = &st->wstats; *pp; pp = &(*pp)->next) {
		if(*pp == w) {
			*pp = w->next;
			break;
		}
	}
	epc_free(st->a, w);
}

/* --- registry versions --- */

static void version_free(worigin_state_t *st, worigin_version_t *v)
{
	worigin_version_t **pp;
	size_t i;

	for(pp = &st->versions; *pp; pp = &(*pp)->next) {
		if(*pp == v) {
			*pp = v->next;
			break;
		}
	}
	for(i = 0; v->stats && i < v->reg->n_wwsf; i++)
		wstat_put(st, v->stats[i]);
	epc_free(st->a, v->stats);
	epc_wwsf_registry_free(v->reg, st->a);
	epc_free(st->a, v);
}

long worigin_publish(worigin_state_t *st, epc_wwsf_registry_t *reg, int64_t now)
{
	worigin_version_t *v, *old = st->versions;
	size_t i;

	v = epc_alloc(st->a, sizeof(*v));
	if(v == NULL)
		return -1;
	memset(v, 0, sizeof(*v));
	v->stats = epc_alloc(
			st->a, (reg->n_wwsf ? reg->n_wwsf : 1) * sizeof(worigin_wstat_t *));
	if(v->stats == NULL) {
		epc_free(st->a, v);
		return -1;
	}
	for(i = 0; i < reg->n_wwsf; i++) {
		v->stats[i] = wstat_get(st, reg->wwsf[i].id);
		if(v->stats[i] == NULL) {
			while(i-- > 0)
				wstat_put(st, v->stats[i]);
			epc_free(st->a, v->stats);
			epc_free(st->a, v);
			return -1;
		}
	}
	v->reg = reg;
	v->loaded = now;
	v->generation = ++st->generation;
	v->next = st->versions;
	st->versions = v;
	if(old) {
		old->retired = 1;
		if(old->readers == 0)
			version_free(st, old);
	}
	return (long)v->generation;
}

worigin_version_t *worigin_acquire(worigin_state_t *st)
{
	worigin_version_t *v = st->versions;

	if(v == NULL || v->retired)
		return NULL;
	v->readers++;
	return v;
}

void worigin_release(worigin_state_t *st, worigin_version_t *v)
{
	if(v == NULL || v->readers == 0)
		return;
	if(--v->readers == 0 && v->retired)
		version_free(st, v);
}

worigin_version_t *worigin_version_of(
		worigin_state_t *st, const epc_wwsf_registry_t *reg)
{
	worigin_version_t *v;

	for(v = st->versions; v; v = v->next) {
		if(v->reg == reg)
			return v;
	}
	return NULL;
}

/* --- bindings --- */

static size_t bucket_of(const worigin_state_t *st, int conid)
{
	uint32_t h = (uint32_t)conid * 2654435761u; /* Knuth multiplicative */

	return (size_t)(h >> 16) & (st->n_buckets - 1);
}

int worigin_state_init(
		worigin_state_t *st, const epc_alloc_t *a, size_t n_buckets)
{
	size_t n = 16;

	while(n < n_buckets && n < ((size_t)1 << 24))
		n <<= 1;
	memset(st, 0, sizeof(*st));
	st->a = a;
	st->buckets = epc_alloc(a, n * sizeof(*st->buckets));
	if(st->buckets == NULL)
		return -1;
	memset(st->buckets, 0, n * sizeof(*st->buckets));
	st->n_buckets = n;
	return 0;
}

static void conn_free(worigin_state_t *st, worigin_conn_t *c)
{
	unsigned i;

	for(i = 0; i < c->n_ids; i++)
		epc_free(st->a, c->ids[i]);
	if(c->wstat && c->wstat->current > 0)
		c->wstat->current--;
	wstat_put(st, c->wstat);
	epc_free(st->a, c);
}

void worigin_state_destroy(worigin_state_t *st)
{
	size_t i;

	for(i = 0; st->buckets && i < st->n_buckets; i++) {
		while(st->buckets[i]) {
			worigin_conn_t *c = st->buckets[i];
			st->buckets[i] = c->next;
			conn_free(st, c);
		}
	}
	epc_free(st->a, st->buckets);
	while(st->versions)
		version_free(st, st->versions);
	memset(st, 0, sizeof(*st));
}

static worigin_conn_t *find(const worigin_state_t *st, int conid)
{
	worigin_conn_t *c;

	for(c = st->buckets[bucket_of(st, conid)]; c; c = c->next) {
		if(c->conid == conid)
			return c;
	}
	return NULL;
}

const worigin_conn_t *worigin_conn_find(const worigin_state_t *st, int conid)
{
	return find(st, conid);
}

int worigin_conn_remove(worigin_state_t *st, int conid)
{
	worigin_conn_t **pp, *c;

	for(pp = &st->buckets[bucket_of(st, conid)]; *pp; pp = &(*pp)->next) {
		c = *pp;
		if(c->conid == conid) {
			*pp = c->next;
			conn_free(st, c);
			st->n_conns--;
			return 1;
		}
	}
	return 0;
}

static int conn_add(worigin_state_t *st, int conid, worigin_wstat_t *ws,
		const worigin_decision_t *d, epc_span_t remote, int64_t now)
{
	worigin_conn_t *c;
	size_t b;

	worigin_conn_remove(st, conid); /* a re-check replaces the binding */
	c = epc_alloc(st->a, sizeof(*c));
	if(c == NULL)
		return -1;
	memset(c, 0, sizeof(*c));
	c->conid = conid;
	c->since = now;
	copy_z(c->wwsf, sizeof(c->wwsf), epc_span_cstr(d->wwsf));
	copy_z(c->origin, sizeof(c->origin), epc_span_cstr(d->origin));
	copy_z(c->remote, sizeof(c->remote), remote);
	c->wstat = ws;
	ws->refs++;
	ws->current++;
	b = bucket_of(st, conid);
	c->next = st->buckets[b];
	st->buckets[b] = c;
	st->n_conns++;
	return 0;
}

int worigin_admit(worigin_state_t *st, int conid, const epc_origin_t *o,
		epc_span_t no_origin_wwsf, epc_span_t remote, int64_t now,
		worigin_decision_t *d)
{
	worigin_version_t *v = st->versions;
	const epc_wwsf_t *w;
	const worigin_conn_t *prev;
	worigin_wstat_t *ws;

	memset(d, 0, sizeof(*d));
	if(v == NULL || v->retired)
		return d->result = WORIGIN_ERROR;
	d->generation = v->generation;
	if(o == NULL) {
		w = no_origin_wwsf.len ? epc_wwsf_registry_find(v->reg, no_origin_wwsf)
							   : NULL;
		if(w == NULL)
			return d->result = WORIGIN_MISSING;
	} else {
		epc_origin_format(o, d->origin, sizeof(d->origin));
		w = epc_wwsf_registry_match_origin(v->reg, o, NULL);
		if(w == NULL)
			return d->result = WORIGIN_NOT_ALLOWED;
	}
	copy_z(d->wwsf, sizeof(d->wwsf), w->id);
	ws = v->stats[w - v->reg->wwsf];
	if(!w->enabled) {
		ws->rejected_disabled++;
		return d->result = WORIGIN_DISABLED;
	}
	/* a re-check of a connection already bound here is not one more */
	prev = find(st, conid);
	if(w->max_connections
			&& ws->current - (prev && prev->wstat == ws ? 1 : 0)
					   >= w->max_connections) {
		ws->rejected_limit++;
		return d->result = WORIGIN_LIMIT;
	}
	if(conn_add(st, conid, ws, d, remote, now) < 0)
		return d->result = WORIGIN_ERROR;
	ws->accepted++;
	return d->result = WORIGIN_ALLOWED;
}

int worigin_conn_has_id(const worigin_conn_t *c, epc_span_t id)
{
	unsigned i;

	for(i = 0; c && i < c->n_ids; i++) {
		if(epc_span_eq(epc_span_cstr(c->ids[i]), id))
			return 1;
	}
	return 0;
}

int worigin_conn_bind_id(worigin_state_t *st, int conid, epc_span_t id)
{
	worigin_conn_t *c = find(st, conid);
	char *p;

	if(c == NULL)
		return -1;
	if(id.len == 0 || id.len > WORIGIN_ID_MAX
			|| epc_span_find_byte(id, '\0') >= 0)
		return -3;
	if(worigin_conn_has_id(c, id))
		return 1;
	if(c->n_ids >= WORIGIN_MAX_IDS)
		return -2;
	p = epc_alloc(st->a, id.len + 1);
	if(p == NULL)
		return -4;
	memcpy(p, id.s, id.len);
	p[id.len] = '\0';
	c->ids[c->n_ids++] = p;
	return 1;
}

int worigin_conn_unbind_id(worigin_state_t *st, int conid, epc_span_t id)
{
	worigin_conn_t *c = find(st, conid);
	unsigned i = 0;
	int n = 0;

	if(c == NULL)
		return -1;
	while(i < c->n_ids) {
		if(id.len == 0 || epc_span_eq(epc_span_cstr(c->ids[i]), id)) {
			epc_free(st->a, c->ids[i]);
			c->ids[i] = c->ids[--c->n_ids];
			c->ids[c->n_ids] = NULL;
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* --- listing --- */

int worigin_filter_parse(epc_span_t in, worigin_filter_t *f)
{
	static const struct
	{
		const char *name;
		int field;
	} fields[] = {{"wwsf", WORIGIN_FILTER_WWSF},
			{"origin", WORIGIN_FILTER_ORIGIN}, {"impu", WORIGIN_FILTER_IMPU},
			{"conid", WORIGIN_FILTER_CONID}};
	epc_span_t name, value;
	epc_origin_t o;
	uint64_t n;
	size_t i;

	memset(f, 0, sizeof(*f));
	in = epc_span_trim(in);
	if(in.len == 0 || epc_span_eq(in, EPC_SPAN_LIT("*"))
			|| epc_span_eq(in, EPC_SPAN_LIT("all")))
		return 0;
	if(!epc_span_split(in, '=', &name, &value) || value.len == 0
			|| value.len > EPC_ORIGIN_MAX_LEN)
		return -1;
	for(i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if(epc_span_eq_nocase(name, epc_span_cstr(fields[i].name)))
			f->field = fields[i].field;
	}
	switch(f->field) {
		case WORIGIN_FILTER_CONID:
			if(epc_span_to_u64(value, 0x7fffffff, &n) < 0)
				return -1;
			f->conid = (int)n;
			return 0;
		case WORIGIN_FILTER_ORIGIN:
			if(epc_origin_parse(value, &o) < 0)
				return -1;
			f->len = (size_t)epc_origin_format(&o, f->value, sizeof(f->value));
			return 0;
		case WORIGIN_FILTER_WWSF:
		case WORIGIN_FILTER_IMPU:
			memcpy(f->value, value.s, value.len);
			f->len = value.len;
			return 0;
		default:
			return -1;
	}
}

int worigin_filter_match(const worigin_filter_t *f, const worigin_conn_t *c)
{
	epc_span_t v = {f->value, f->len};

	switch(f->field) {
		case WORIGIN_FILTER_ALL:
			return 1;
		case WORIGIN_FILTER_WWSF:
			return epc_span_eq(epc_span_cstr(c->wwsf), v);
		case WORIGIN_FILTER_ORIGIN:
			return epc_span_eq(epc_span_cstr(c->origin), v);
		case WORIGIN_FILTER_IMPU:
			return worigin_conn_has_id(c, v);
		case WORIGIN_FILTER_CONID:
			return c->conid == f->conid;
		default:
			return 0;
	}
}

/* out[0..n) is a max-heap of the smallest conids seen */
static void heap_push(int *h, size_t *n, size_t max, int v)
{
	size_t i, p, c;
	int t;

	if(*n < max) {
		i = (*n)++;
		h[i] = v;
		while(i > 0 && h[p = (i - 1) / 2] < h[i]) {
			t = h[p];
			h[p] = h[i];
			h[i] = t;
			i = p;
		}
		return;
	}
	if(max == 0 || v >= h[0])
		return;
	h[0] = v;
	for(i = 0; (c = 2 * i + 1) < *n; i = c) {
		if(c + 1 < *n && h[c + 1] > h[c])
			c++;
		if(h[i] >= h[c])
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

static void sort_ints(int *a, size_t n)
{
	size_t i, j;
	int v;

	/* n <= WORIGIN_PAGE_MAX and already a heap: insertion sort is fine */
	for(i = 1; i < n; i++) {
		v = a[i];
		for(j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

size_t worigin_conns_page(const worigin_state_t *st, const worigin_filter_t *f,
		int after, int *out, size_t max, size_t *total, int *more)
{
	const worigin_conn_t *c;
	size_t i, n = 0, above = 0;

	if(max > WORIGIN_PAGE_MAX)
		max = WORIGIN_PAGE_MAX;
	*total = 0;
	for(i = 0; i < st->n_buckets; i++) {
		for(c = st->buckets[i]; c; c = c->next) {
			if(!worigin_filter_match(f, c))
				continue;
			(*total)++;
			if(c->conid <= after)
				continue;
			above++;
			heap_push(out, &n, max, c->conid);
		}
	}
	sort_ints(out, n);
	*more = above > n;
	return n;
}

size_t worigin_conns_all(const worigin_state_t *st, int *out, size_t max)
{
	const worigin_conn_t *c;
	size_t i, n = 0;

	for(i = 0; i < st->n_buckets && n < max; i++) {
		for(c = st->buckets[i]; c && n < max; c = c->next)
			out[n++] = c->conid;
	}
	return n;
}
