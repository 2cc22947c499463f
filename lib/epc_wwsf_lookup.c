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

/* Lookups in a loaded WWSF registry (no libxml2: a module that only reads a
 * registry another module loaded links without it). */

#include <string.h>

#include "epc_wwsf_registry.h"

static size_t count_byte(epc_span_t s, char c)
{
	size_t i, n = 0;

	for(i = 0; i < s.len; i++)
		n += s.s[i] == c;
	return n;
}

/* --- lookups --- */

const epc_wwsf_t *epc_wwsf_registry_find(
		const epc_wwsf_registry_t *r, epc_span_t id)
{
	size_t i;

	for(i = 0; r && i < r->n_wwsf; i++) {
		if(epc_span_eq(r->wwsf[i].id, id))
			return &r->wwsf[i];
	}
	return NULL;
}

const epc_wwsf_t *epc_wwsf_registry_match_origin(const epc_wwsf_registry_t *r,
		const epc_origin_t *o, const epc_wwsf_origin_t **which)
{
	const epc_wwsf_t *best = NULL;
	const epc_wwsf_origin_t *bo = NULL;
	size_t i, j;

	for(i = 0; r && i < r->n_wwsf; i++) {
		for(j = 0; j < r->wwsf[i].n_origins; j++) {
			const epc_wwsf_origin_t *e = &r->wwsf[i].origins[j];
			if(!epc_origin_match(&e->origin, o))
				continue;
			if(!e->origin.wildcard) {
				best = &r->wwsf[i]; /* exact: unique in a registry */
				bo = e;
				goto done;
			}
			if(bo == NULL || e->origin.host_len > bo->origin.host_len) {
				best = &r->wwsf[i];
				bo = e;
			}
		}
	}
done:
	if(which)
		*which = bo;
	return best;
}

const epc_wwsf_key_t *epc_wwsf_find_key(const epc_wwsf_t *w, epc_span_t kid)
{
	size_t i;

	for(i = 0; w && i < w->n_keys; i++) {
		if(epc_span_eq(w->keys[i].kid, kid))
			return &w->keys[i];
	}
	return NULL;
}

int epc_wwsf_has_audience(const epc_wwsf_t *w, epc_span_t aud)
{
	size_t i;

	for(i = 0; w && i < w->n_audiences; i++) {
		if(epc_span_eq(w->audiences[i], aud))
			return 1;
	}
	return 0;
}

/* '*' = any run of bytes (the caller split at '@' already) */
static int glob(epc_span_t p, epc_span_t s, int nocase)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while(si < s.len) {
		if(pi < p.len && p.s[pi] == '*') {
			star = pi++;
			mark = si;
		} else if(pi < p.len
				  && (nocase ? epc_lower(p.s[pi]) == epc_lower(s.s[si])
							 : p.s[pi] == s.s[si])) {
			pi++;
			si++;
		} else if(star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while(pi < p.len && p.s[pi] == '*')
		pi++;
	return pi == p.len;
}

/* split "x@y" at its only '@'; -1 if none or several */
static int split_at(epc_span_t s, epc_span_t *user, epc_span_t *host)
{
	if(count_byte(s, '@') != 1)
		return -1;
	epc_span_split(s, '@', user, host);
	return 0;
}

/* split "scheme:rest" */
static int split_scheme(epc_span_t s, epc_span_t *scheme, epc_span_t *rest)
{
	if(!epc_span_split(s, ':', scheme, rest) || scheme->len == 0)
		return -1;
	return 0;
}

static int match_pattern(const epc_wwsf_idrule_t *r, epc_span_t id)
{
	epc_span_t ps = r->value, is = id, psch, isch, pu, ph, iu, ih;

	if(r->kind == EPC_WWSF_IMPU) {
		if(split_scheme(ps, &psch, &ps) < 0 || split_scheme(is, &isch, &is) < 0
				|| !epc_span_eq_nocase(psch, isch))
			return 0;
		if(epc_span_eq_nocase(psch, EPC_SPAN_LIT("tel")))
			return count_byte(is, '@') == 0 && glob(ps, is, 0);
	}
	if(split_at(ps, &pu, &ph) < 0 || split_at(is, &iu, &ih) < 0)
		return 0;
	return iu.len > 0 && ih.len > 0 && glob(pu, iu, 0) && glob(ph, ih, 1);
}

static int match_domain(const epc_wwsf_idrule_t *r, epc_span_t id)
{
	epc_span_t scheme, user, host;

	if(r->kind == EPC_WWSF_IMPU) {
		if(split_scheme(id, &scheme, &id) < 0
				|| !(epc_span_eq_nocase(scheme, EPC_SPAN_LIT("sip"))
						|| epc_span_eq_nocase(scheme, EPC_SPAN_LIT("sips"))))
			return 0;
	}
	/* no password in an IMPU, no URI as an IMPI (RFC 7542 has no ':') */
	if(split_at(id, &user, &host) < 0 || user.len == 0
			|| epc_span_find_byte(user, ':') >= 0)
		return 0;
	return epc_span_eq_nocase(host, r->value);
}

static int match_tel(const epc_wwsf_idrule_t *r, epc_span_t id)
{
	size_t i;

	if(r->kind != EPC_WWSF_IMPU
			|| !epc_span_has_prefix(id, EPC_SPAN_LIT("tel:"), 1))
		return 0;
	id = epc_span_sub(id, 4, id.len);
	/* E.164: '+' and at most 15 digits, nothing else */
	if(id.len < 2 || id.len > 16 || id.s[0] != '+'
			|| !epc_span_has_prefix(id, r->value, 0))
		return 0;
	for(i = 1; i < id.len; i++) {
		if(id.s[i] < '0' || id.s[i] > '9')
			return 0;
	}
	return 1;
}

int epc_wwsf_identity_allowed(
		const epc_wwsf_t *w, epc_wwsf_idkind_t kind, epc_span_t id)
{
	size_t i;
	int ok;

	if(w == NULL || id.len == 0)
		return 0;
	/* normalised identities carry no parameters, headers or spaces */
	for(i = 0; i < id.len; i++) {
		unsigned char c = (unsigned char)id.s[i];
		if(c <= 0x20 || c >= 0x7f || c == ';' || c == '?' || c == '<'
				|| c == '>' || c == '"' || c == ',')
			return 0;
	}
	for(i = 0; i < w->n_rules; i++) {
		const epc_wwsf_idrule_t *r = &w->rules[i];
		if(r->kind != kind)
			continue;
		switch(r->type) {
			case EPC_WWSF_RULE_DOMAIN:
				ok = match_domain(r, id);
				break;
			case EPC_WWSF_RULE_PATTERN:
				ok = match_pattern(r, id);
				break;
			case EPC_WWSF_RULE_TEL_PREFIX:
				ok = match_tel(r, id);
				break;
			default:
				ok = 0;
		}
		if(ok)
			return 1;
	}
	return 0;
}

/* --- names --- */

static const struct
{
	const char *name;
	unsigned bit;
} jws_algs[] = {{"ES256", EPC_JWS_ES256}, {"ES384", EPC_JWS_ES384},
		{"ES512", EPC_JWS_ES512}, {"RS256", EPC_JWS_RS256},
		{"RS384", EPC_JWS_RS384}, {"RS512", EPC_JWS_RS512},
		{"PS256", EPC_JWS_PS256}, {"PS384", EPC_JWS_PS384},
		{"PS512", EPC_JWS_PS512}, {"EdDSA", EPC_JWS_EDDSA}};

unsigned epc_jws_alg_from_name(epc_span_t name)
{
	size_t i;

	for(i = 0; i < sizeof(jws_algs) / sizeof(jws_algs[0]); i++) {
		if(epc_span_eq(name, epc_span_cstr(jws_algs[i].name)))
			return jws_algs[i].bit;
	}
	return 0;
}

const char *epc_jws_alg_name(unsigned alg)
{
	size_t i;

	for(i = 0; i < sizeof(jws_algs) / sizeof(jws_algs[0]); i++) {
		if(jws_algs[i].bit == alg)
			return jws_algs[i].name;
	}
	return NULL;
}
