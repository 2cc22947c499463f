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

#include <math.h>
#include <string.h>

#include "eimsagw_set.h"

#define SP(lit) EPC_SPAN_LIT(lit)

static int parse_opts(epc_span_t opts, eimsagw_agw_spec_t *out)
{
	epc_span_t one, rest = opts;
	uint64_t w;

	while(rest.len) {
		epc_span_t k, v;
		epc_span_split(rest, ';', &one, &rest);
		one = epc_span_trim(one);
		if(one.len == 0)
			continue;
		if(epc_span_eq_nocase(one, SP("disabled"))) {
			out->disabled = 1;
			continue;
		}
		if(!epc_span_split(one, '=', &k, &v)
				|| !epc_span_eq_nocase(epc_span_trim(k), SP("weight"))
				|| epc_span_to_u64(epc_span_trim(v), EIMSAGW_WEIGHT_MAX, &w)
						   < 0)
			return EIMSAGW_SET_E_SPEC;
		out->weight = (uint32_t)w;
	}
	return 0;
}

static int host_ok(epc_span_t h, int ipv6)
{
	size_t i;

	if(h.len == 0 || h.len > EIMSAGW_HOST_MAX)
		return 0;
	for(i = 0; i < h.len; i++) {
		char c = h.s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
				 || (c >= '0' && c <= '9') || c == '.' || c == '-'
				 || (ipv6 && (c == ':' || c == '%'));
		if(!ok)
			return 0;
	}
	return 1;
}

int eimsagw_agw_spec_parse(epc_span_t spec, eimsagw_agw_spec_t *out)
{
	epc_span_t addr, opts, host, port;
	uint64_t p;
	long c;

	memset(out, 0, sizeof(*out));
	out->weight = 1;
	spec = epc_span_trim(spec);
	epc_span_split(spec, ';', &addr, &opts);
	addr = epc_span_trim(addr);
	if(epc_span_has_prefix(addr, SP("udp:"), 1))
		addr = epc_span_sub(addr, 4, addr.len);
	if(addr.len && addr.s[0] == '[') {
		c = epc_span_find_byte(addr, ']');
		if(c < 0 || (size_t)c + 1 >= addr.len || addr.s[c + 1] != ':')
			return EIMSAGW_SET_E_SPEC;
		host = epc_span_sub(addr, 1, (size_t)c - 1);
		port = epc_span_sub(addr, (size_t)c + 2, addr.len);
		out->ipv6 = 1;
	} else {
		if(!epc_span_split(addr, ':', &host, &port)
				|| epc_span_find_byte(port, ':') >= 0)
			return EIMSAGW_SET_E_SPEC;
	}
	if(!host_ok(host, out->ipv6) || epc_span_to_u64(port, 65535, &p) < 0
			|| p == 0)
		return EIMSAGW_SET_E_SPEC;
	memcpy(out->host, host.s, host.len);
	out->host[host.len] = '\0';
	out->port = (uint16_t)p;
	return parse_opts(opts, out);
}

void eimsagw_set_init(eimsagw_set_t *s, uint32_t down_after)
{
	memset(s, 0, sizeof(*s));
	s->down_after = down_after ? down_after : 1;
}

/* FNV-1a over a then a 0xff separator then b. */
uint64_t eimsagw_hash64(epc_span_t a, epc_span_t b)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for(i = 0; i < a.len; i++) {
		h ^= (unsigned char)a.s[i];
		h *= 1099511628211ULL;
	}
	h ^= 0xff;
	h *= 1099511628211ULL;
	for(i = 0; i < b.len; i++) {
		h ^= (unsigned char)b.s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int eimsagw_set_add(eimsagw_set_t *s, const eimsagw_agw_spec_t *spec,
		epc_span_t text, int64_t now)
{
	eimsagw_agw_t *a;

	if(s->n >= EIMSAGW_AGW_MAX)
		return EIMSAGW_SET_E_FULL;
	a = &s->agw[s->n];
	memset(a, 0, sizeof(*a));
	a->weight = spec->weight;
	a->disabled = spec->disabled;
	a->up = 1;
	a->since = now;
	a->last_ping = 0; /* first ping at the first timer tick */
	a->seed = eimsagw_hash64(text, EPC_SPAN_NULL);
	return (int)s->n++;
}

int eimsagw_set_usable(const eimsagw_set_t *s, uint32_t i)
{
	return i < s->n && s->agw[i].up && !s->agw[i].disabled;
}

/* splitmix64 finalizer: spreads the combined key/seed bits. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Weighted rendezvous score w / -ln(u), u uniform in (0, 1). */
static double score(uint64_t key, uint64_t seed, uint32_t weight)
{
	double u = ((double)(mix64(key ^ seed) >> 11) + 0.5)
			   * (1.0 / 9007199254740992.0);
	return (double)(weight ? weight : 1) / -log(u);
}

static int pick_tier(
		const eimsagw_set_t *s, uint64_t key, uint32_t exclude, int standby)
{
	double best = -1.0;
	int besti = -1;
	uint32_t i;

	for(i = 0; i < s->n; i++) {
		double sc;
		if(!eimsagw_set_usable(s, i) || (exclude & (1u << i))
				|| (s->agw[i].weight == 0) != standby)
			continue;
		sc = score(key, s->agw[i].seed, s->agw[i].weight);
		if(sc > best) {
			best = sc;
			besti = (int)i;
		}
	}
	return besti;
}

int eimsagw_set_pick(const eimsagw_set_t *s, epc_span_t key, uint32_t exclude)
{
	uint64_t h = eimsagw_hash64(key, EPC_SPAN_NULL);
	int i = pick_tier(s, h, exclude, 0);

	return i >= 0 ? i : pick_tier(s, h, exclude, 1);
}

int eimsagw_set_result(
		eimsagw_set_t *s, uint32_t i, int ok, int64_t rtt_us, int64_t now)
{
	eimsagw_agw_t *a;

	if(i >= s->n)
		return EIMSAGW_SET_NOCHANGE;
	a = &s->agw[i];
	a->requests++;
	if(ok) {
		a->fails = 0;
		a->rtt_us = rtt_us;
		if(!a->up) {
			a->up = 1;
			a->since = now;
			return EIMSAGW_SET_WENT_UP;
		}
		return EIMSAGW_SET_NOCHANGE;
	}
	a->timeouts++;
	a->fails++;
	if(a->up && a->fails >= s->down_after) {
		a->up = 0;
		a->since = now;
		a->went_down++;
		return EIMSAGW_SET_WENT_DOWN;
	}
	return EIMSAGW_SET_NOCHANGE;
}

int eimsagw_set_ping_due(
		eimsagw_set_t *s, uint32_t i, int64_t now, int64_t interval)
{
	if(i >= s->n || now - s->agw[i].last_ping < interval)
		return 0;
	s->agw[i].last_ping = now;
	return 1;
}

void eimsagw_set_enable(eimsagw_set_t *s, uint32_t i, int on, int64_t now)
{
	if(i >= s->n || s->agw[i].disabled == !on)
		return;
	s->agw[i].disabled = !on;
	s->agw[i].since = now;
}

const char *eimsagw_set_state_name(const eimsagw_set_t *s, uint32_t i)
{
	if(i >= s->n)
		return "unknown";
	if(s->agw[i].disabled)
		return "disabled";
	return s->agw[i].up ? "up" : "down";
}
