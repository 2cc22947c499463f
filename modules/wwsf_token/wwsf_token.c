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

#include <stdio.h>
#include <string.h>

#include "wwsf_b64.h"
#include "wwsf_token.h"

void wwsf_opts_default(wwsf_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->leeway = 60;
	o->max_token = WWSF_TOKEN_MAX;
	o->impi_claim = EPC_SPAN_LIT("sub");
	o->impu_claim = EPC_SPAN_LIT("impu");
	o->require_jti = 1;
	o->impi_from_impu = 1;
}

const char *wwsf_key_strerror(int rc)
{
	switch(rc) {
		case WWSF_KEY_OK:
			return "ok";
		case WWSF_KEY_E_PARSE:
			return "not a PEM public key or certificate";
		case WWSF_KEY_E_TYPE:
			return "key type or curve does not fit the algorithm";
		case WWSF_KEY_E_WEAK:
			return "RSA key shorter than 2048 bits";
		case WWSF_KEY_E_ARG:
			return "bad algorithm or kid";
		default:
			return "crypto library failure";
	}
}

void wwsf_policy_free_keys(wwsf_key_t *keys, size_t n)
{
	size_t i;

	for(i = 0; keys && i < n; i++)
		wwsf_key_free(&keys[i]);
}

int wwsf_policy_load_keys(const epc_wwsf_t *w, wwsf_key_t *keys, size_t cap,
		size_t *n, char *err, size_t errlen)
{
	size_t i;
	int rc;

	*n = 0;
	if(w->n_keys > cap) {
		snprintf(err, errlen, "WWSF %s: more than %zu keys", w->id.s, cap);
		return WWSF_KEY_E_ARG;
	}
	for(i = 0; i < w->n_keys; i++) {
		const epc_wwsf_key_t *k = &w->keys[i];

		rc = wwsf_key_load_pem(
				&keys[i], k->pem, wwsf_alg_from_bit(k->alg), k->kid);
		if(rc != WWSF_KEY_OK) {
			snprintf(err, errlen, "WWSF %s key %s (%s, line %u): %s", w->id.s,
					k->kid.s, wwsf_alg_name(wwsf_alg_from_bit(k->alg)), k->line,
					wwsf_key_strerror(rc));
			wwsf_policy_free_keys(keys, i);
			return rc;
		}
	}
	*n = w->n_keys;
	return 0;
}

static int is_str(const wwsf_json_val_t *v)
{
	return v && v->type == WWSF_JSON_STRING;
}

/* a string, or a non-empty array of strings */
static int is_str_or_strs(const wwsf_json_val_t *v)
{
	wwsf_json_iter_t it;
	wwsf_json_val_t e;
	int rc, n = 0;

	if(is_str(v))
		return 1;
	if(!v || wwsf_json_iter_init(&it, v) < 0)
		return 0;
	while((rc = wwsf_json_iter_next(&it, &e)) == 1) {
		if(e.type != WWSF_JSON_STRING)
			return 0;
		n++;
	}
	return rc == 0 && n > 0;
}

/* RFC 7515 sec 4.1.9 / RFC 9068 sec 2.1: typ of a JWT access token */
static int typ_ok(const wwsf_json_val_t *typ)
{
	static const char *ok[] = {"JWT", "at+jwt", "application/at+jwt"};
	char b[32];
	size_t n, i;

	if(!typ)
		return 1;
	if(wwsf_json_str_decode(typ, b, sizeof(b), &n) < 0)
		return 0;
	for(i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if(epc_span_eq_nocase((epc_span_t){b, n}, epc_span_cstr(ok[i])))
			return 1;
	}
	return 0;
}

static int parse_header(wwsf_token_t *t)
{
	const wwsf_json_val_t *alg, *typ;
	char name[16];
	size_t n;

	if(wwsf_json_parse_object((epc_span_t){t->hbuf, t->hlen}, &t->hdr) < 0)
		return WWSF_E_JSON;
	alg = wwsf_json_get(&t->hdr, EPC_SPAN_LIT("alg"));
	if(!is_str(alg))
		return WWSF_E_HEADER;
	/* "none", HS*, anything unknown: refused before any key is touched */
	if(wwsf_json_str_decode(alg, name, sizeof(name), &n) < 0)
		return WWSF_E_ALG;
	t->alg = wwsf_alg_from_name((epc_span_t){name, n});
	if(t->alg == WWSF_ALG_INVALID)
		return WWSF_E_ALG;
	/* RFC 7515 sec 4.1.11: no extension is understood here; JWE and
	 * RFC 7797 unencoded payloads are not JWTs of this kind */
	if(wwsf_json_get(&t->hdr, EPC_SPAN_LIT("crit"))
			|| wwsf_json_get(&t->hdr, EPC_SPAN_LIT("enc"))
			|| wwsf_json_get(&t->hdr, EPC_SPAN_LIT("zip"))
			|| wwsf_json_get(&t->hdr, EPC_SPAN_LIT("b64")))
		return WWSF_E_HEADER;
	typ = wwsf_json_get(&t->hdr, EPC_SPAN_LIT("typ"));
	if(typ && (!is_str(typ) || !typ_ok(typ)))
		return WWSF_E_HEADER;
	t->kid = wwsf_json_get(&t->hdr, EPC_SPAN_LIT("kid"));
	if(t->kid && (!is_str(t->kid) || t->kid->raw.len > WWSF_KID_MAX))
		return WWSF_E_HEADER;
	return WWSF_OK;
}

static int get_time(
		const wwsf_token_t *t, const char *name, int64_t *out, int *has)
{
	const wwsf_json_val_t *v = wwsf_json_get(&t->claims, epc_span_cstr(name));

	*has = v != NULL;
	if(!v)
		return 0;
	return wwsf_json_to_time(v, out);
}

static int parse_claims(wwsf_token_t *t, const wwsf_opts_t *o)
{
	int has;

	if(wwsf_json_parse_object((epc_span_t){t->pbuf, t->plen}, &t->claims) < 0)
		return WWSF_E_JSON;
	t->iss = wwsf_json_get(&t->claims, EPC_SPAN_LIT("iss"));
	t->aud = wwsf_json_get(&t->claims, EPC_SPAN_LIT("aud"));
	t->jti = wwsf_json_get(&t->claims, EPC_SPAN_LIT("jti"));
	t->impi = wwsf_json_get(&t->claims, o->impi_claim);
	t->impu = wwsf_json_get(&t->claims, o->impu_claim);
	if(!is_str(t->iss) || t->iss->raw.len == 0 || !is_str_or_strs(t->aud)
			|| !is_str_or_strs(t->impu) || (t->impi && !is_str(t->impi)))
		return WWSF_E_CLAIM;
	if(t->jti ? !is_str(t->jti) || t->jti->raw.len == 0
							|| t->jti->raw.len > WWSF_JTI_MAX
			  : o->require_jti)
		return WWSF_E_CLAIM;
	if(get_time(t, "exp", &t->exp, &has) < 0 || !has)
		return WWSF_E_CLAIM;
	if(get_time(t, "nbf", &t->nbf, &t->has_nbf) < 0
			|| get_time(t, "iat", &t->iat, &t->has_iat) < 0)
		return WWSF_E_CLAIM;
	return WWSF_OK;
}

int wwsf_token_parse(wwsf_token_t *t, epc_span_t token, const wwsf_opts_t *o)
{
	long d1, d2;
	epc_span_t h, p, s;
	int rc;

	t->raw = token;
	t->alg = WWSF_ALG_INVALID;
	t->kid = t->iss = t->aud = t->jti = t->impi = t->impu = NULL;
	t->hdr.n = t->claims.n = 0;
	t->has_nbf = t->has_iat = 0;
	t->siglen = t->hlen = t->plen = 0;
	if(token.len == 0)
		return WWSF_E_FORMAT;
	if(token.len > o->max_token || token.len > WWSF_TOKEN_MAX)
		return WWSF_E_SIZE;
	d1 = epc_span_find_byte(token, '.');
	if(d1 < 0)
		return WWSF_E_FORMAT;
	d2 = epc_span_find_byte(
			epc_span_sub(token, (size_t)d1 + 1, token.len), '.');
	if(d2 < 0)
		return WWSF_E_FORMAT;
	d2 += d1 + 1;
	h = epc_span_sub(token, 0, (size_t)d1);
	p = epc_span_sub(token, (size_t)d1 + 1, (size_t)(d2 - d1 - 1));
	s = epc_span_sub(token, (size_t)d2 + 1, token.len);
	/* a fourth dot: JWE (five parts) or garbage */
	if(h.len == 0 || p.len == 0 || epc_span_find_byte(s, '.') >= 0)
		return WWSF_E_FORMAT;
	t->signing_input = epc_span_sub(token, 0, (size_t)d2);
	if(wwsf_b64url_decode(
			   h, (unsigned char *)t->hbuf, sizeof(t->hbuf), &t->hlen)
					< 0
			|| wwsf_b64url_decode(
					   p, (unsigned char *)t->pbuf, sizeof(t->pbuf), &t->plen)
					   < 0)
		return WWSF_E_FORMAT;
	rc = parse_header(t);
	if(rc != WWSF_OK)
		return rc;
	/* an empty signature is an Unsecured JWS: never accepted */
	if(s.len == 0
			|| wwsf_b64url_decode(s, t->sig, sizeof(t->sig), &t->siglen) < 0)
		return WWSF_E_FORMAT;
	return parse_claims(t, o);
}

int wwsf_token_iss_is(const wwsf_token_t *t, epc_span_t issuer)
{
	return t->iss && issuer.len > 0 && wwsf_json_str_eq(t->iss, issuer);
}

/* The one key for the token's kid and alg (RFC 8725 sec 3.1: the key's own
 * alg must be the token's; a kid naming a key of another alg is no match) */
static wwsf_key_t *find_key(const wwsf_token_t *t, const wwsf_policy_t *p)
{
	wwsf_key_t *found = NULL;
	size_t i;

	for(i = 0; i < p->nkeys; i++) {
		wwsf_key_t *k = &p->keys[i];

		if(k->alg != t->alg || !k->pkey)
			continue;
		if(t->kid) {
			if(k->kid_len
					&& wwsf_json_str_eq(
							t->kid, (epc_span_t){k->kid, k->kid_len}))
				return k;
			continue;
		}
		/* no kid: only unambiguous if the WWSF has one key for alg */
		if(found)
			return NULL;
		found = k;
	}
	return found;
}

static int aud_ok(const wwsf_token_t *t, const epc_wwsf_t *w)
{
	wwsf_json_iter_t it;
	wwsf_json_val_t e;
	size_t i;

	for(i = 0; i < w->n_audiences; i++) {
		if(w->audiences[i].len == 0)
			continue;
		if(is_str(t->aud)) {
			if(wwsf_json_str_eq(t->aud, w->audiences[i]))
				return 1;
			continue;
		}
		if(wwsf_json_iter_init(&it, t->aud) < 0)
			return 0;
		while(wwsf_json_iter_next(&it, &e) == 1) {
			if(wwsf_json_str_eq(&e, w->audiences[i]))
				return 1;
		}
	}
	return 0;
}

int wwsf_token_verify(wwsf_token_t *t, const wwsf_policy_t *p,
		const wwsf_opts_t *o, int64_t now)
{
	wwsf_key_t *k;
	int64_t start;

	if(!t->iss || t->alg == WWSF_ALG_INVALID)
		return WWSF_E_FORMAT; /* not a parsed token */
	if(!p->w || !p->w->has_token)
		return WWSF_E_ISSUER;
	if(!(p->w->algs & WWSF_ALG_BIT(t->alg)))
		return WWSF_E_ALG;
	k = find_key(t, p);
	if(!k)
		return WWSF_E_KID;
	if(wwsf_key_verify(k, t->signing_input, t->sig, t->siglen) < 0)
		return WWSF_E_SIGNATURE;
	/* signature good: the claims are the WWSF's; now judge them */
	if(!wwsf_token_iss_is(t, p->w->issuer))
		return WWSF_E_ISSUER;
	if(!aud_ok(t, p->w))
		return WWSF_E_AUDIENCE;
	if(now >= t->exp + o->leeway)
		return WWSF_E_EXPIRED;
	if((t->has_nbf && t->nbf > now + o->leeway)
			|| (t->has_iat && t->iat > now + o->leeway))
		return WWSF_E_NOT_YET_VALID;
	if(p->w->max_lifetime > 0) {
		start = t->has_iat ? t->iat : t->has_nbf ? t->nbf : now;
		if(t->exp - start > (int64_t)p->w->max_lifetime)
			return WWSF_E_LIFETIME;
	}
	return WWSF_OK;
}

/* decode + normalise one identity string value */
static int ident_of(const wwsf_json_val_t *v, char *out, size_t *len)
{
	char raw[WWSF_IDENT_MAX];
	size_t n;

	if(wwsf_json_str_decode(v, raw, sizeof(raw), &n) < 0)
		return -1;
	return wwsf_ident_norm((epc_span_t){raw, n}, out, WWSF_IDENT_MAX, len);
}

static int add_impu(wwsf_ids_t *ids, const wwsf_json_val_t *v)
{
	if(ids->nimpu >= WWSF_IMPU_MAX)
		return -1;
	if(ident_of(v, ids->impu[ids->nimpu], &ids->impu_len[ids->nimpu]) < 0)
		return -1;
	if(!wwsf_ident_is_uri(
			   (epc_span_t){ids->impu[ids->nimpu], ids->impu_len[ids->nimpu]}))
		return -1; /* an IMPU is a SIP or tel URI */
	ids->nimpu++;
	return 0;
}

static int collect_impus(const wwsf_token_t *t, wwsf_ids_t *ids)
{
	wwsf_json_iter_t it;
	wwsf_json_val_t e;

	if(is_str(t->impu))
		return add_impu(ids, t->impu);
	if(wwsf_json_iter_init(&it, t->impu) < 0)
		return -1;
	while(wwsf_json_iter_next(&it, &e) == 1) {
		if(add_impu(ids, &e) < 0)
			return -1;
	}
	return ids->nimpu ? 0 : -1;
}

int wwsf_token_identities(const wwsf_token_t *t, const wwsf_policy_t *p,
		const wwsf_opts_t *o, wwsf_ids_t *ids)
{
	size_t i;

	ids->nimpu = 0;
	ids->impi_len = 0;
	if(!t->impu || collect_impus(t, ids) < 0)
		return WWSF_E_CLAIM;
	if(t->impi) {
		if(ident_of(t->impi, ids->impi, &ids->impi_len) < 0
				|| wwsf_ident_is_uri((epc_span_t){ids->impi, ids->impi_len}))
			return WWSF_E_CLAIM; /* an IMPI is an NAI */
	} else if(!o->impi_from_impu
			  || wwsf_ident_impi_from_impu(
						 (epc_span_t){ids->impu[0], ids->impu_len[0]},
						 ids->impi, sizeof(ids->impi), &ids->impi_len)
						 < 0) {
		return WWSF_E_CLAIM;
	}
	/* TS 33.203 X / 23.228 U.2.1.3: the WWSF must be authorised to
	 * allocate every identity its token names */
	if(!epc_wwsf_identity_allowed(
			   p->w, EPC_WWSF_IMPI, (epc_span_t){ids->impi, ids->impi_len}))
		return WWSF_E_NOT_ALLOWED;
	for(i = 0; i < ids->nimpu; i++) {
		if(!epc_wwsf_identity_allowed(p->w, EPC_WWSF_IMPU,
				   (epc_span_t){ids->impu[i], ids->impu_len[i]}))
			return WWSF_E_NOT_ALLOWED;
	}
	return WWSF_OK;
}

int wwsf_ids_has_impu(const wwsf_ids_t *ids, epc_span_t norm)
{
	size_t i;

	for(i = 0; i < ids->nimpu; i++) {
		if(epc_span_eq(norm, (epc_span_t){ids->impu[i], ids->impu_len[i]}))
			return 1;
	}
	return 0;
}

int wwsf_ids_check_request(const wwsf_ids_t *ids, const wwsf_idreq_t *req)
{
	char n[WWSF_IDENT_MAX];
	size_t len, i;

	for(i = 0; i < req->nimpu && i < 4; i++) {
		if(wwsf_ident_norm(req->impu[i], n, sizeof(n), &len) < 0
				|| !wwsf_ids_has_impu(ids, (epc_span_t){n, len}))
			return WWSF_E_IDENTITY;
	}
	if(req->impi.len) {
		if(wwsf_ident_norm(req->impi, n, sizeof(n), &len) < 0
				|| !epc_span_eq((epc_span_t){n, len},
						(epc_span_t){ids->impi, ids->impi_len}))
			return WWSF_E_IDENTITY;
	}
	return WWSF_OK;
}

uint32_t wwsf_token_remaining(const wwsf_token_t *t, int64_t now)
{
	return wwsf_remaining(t->exp, now);
}

uint32_t wwsf_remaining(int64_t exp, int64_t now)
{
	int64_t r = exp - now;

	if(r < 1)
		return 1;
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* past SIP's SWS (spaces, tabs, line ends) from j */
static size_t skip_sws(epc_span_t b, size_t j)
{
	while(j < b.len
			&& (b.s[j] == ' ' || b.s[j] == '\t' || b.s[j] == '\r'
					|| b.s[j] == '\n'))
		j++;
	return j;
}

int wwsf_contact_expires_within(epc_span_t b, uint32_t limit)
{
	const epc_span_t name = EPC_SPAN_LIT("expires");
	size_t i, j, d;
	uint64_t v;

	for(i = 0; i + name.len <= b.len; i++) {
		if(!epc_span_eq_nocase(epc_span_sub(b, i, name.len), name))
			continue;
		j = skip_sws(b, i + name.len);
		if(j >= b.len || b.s[j] != '=')
			continue; /* no value: not a parameter with a number */
		j = skip_sws(b, j + 1);
		for(d = j; d < b.len && b.s[d] >= '0' && b.s[d] <= '9'; d++)
			;
		/* no digits (quoted, odd) or above the limit: let the parser judge */
		if(epc_span_to_u64(epc_span_sub(b, j, d - j), limit, &v) < 0)
			return 0;
		i = d - 1;
	}
	return 1;
}

uint32_t wwsf_expires_cap(uint32_t requested, uint32_t remaining)
{
	return requested > remaining ? remaining : requested;
}

int wwsf_result_of(int err)
{
	switch(err) {
		case WWSF_OK:
			return WWSF_R_OK;
		case WWSF_E_NOTOKEN:
			return WWSF_R_NO_TOKEN;
		case WWSF_E_CREDENTIALS:
		case WWSF_E_SIZE:
		case WWSF_E_FORMAT:
		case WWSF_E_JSON:
		case WWSF_E_HEADER:
		case WWSF_E_CLAIM:
			return WWSF_R_MALFORMED;
		case WWSF_E_ALG:
		case WWSF_E_KID:
		case WWSF_E_SIGNATURE:
			return WWSF_R_SIGNATURE;
		case WWSF_E_EXPIRED:
		case WWSF_E_NOT_YET_VALID:
		case WWSF_E_LIFETIME:
			return WWSF_R_EXPIRED;
		case WWSF_E_ISSUER:
		case WWSF_E_AUDIENCE:
			return WWSF_R_ISSUER;
		case WWSF_E_NOT_ALLOWED:
			return WWSF_R_NOT_ALLOWED;
		case WWSF_E_IDENTITY:
			return WWSF_R_IDENTITY;
		case WWSF_E_WWSF:
			return WWSF_R_WWSF;
		case WWSF_E_REPLAY:
			return WWSF_R_REPLAY;
		default:
			return WWSF_R_INTERNAL;
	}
}

const char *wwsf_strerror(int err)
{
	/* clang-format off */
	static const char *txt[] = {
		"ok",
		"no Bearer credentials",
		"malformed credentials",
		"token too large",
		"not a JWS compact serialisation",
		"header or claims not a strict JSON object",
		"unacceptable JOSE header",
		"claim missing or invalid",
		"algorithm not allowed",
		"no key for kid and alg",
		"bad signature",
		"token expired",
		"token not yet valid",
		"token lifetime above the WWSF maximum",
		"issuer of no trusted WWSF",
		"audience does not name this eP-CSCF",
		"identity not authorized by the token",
		"identity not allowed for the WWSF",
		"token of another WWSF than the connection",
		"token replayed on another connection",
		"internal error",
	};
	/* clang-format on */

	if(err > 0 || -err >= (int)(sizeof(txt) / sizeof(txt[0])))
		return "unknown error";
	return txt[-err];
}

const char *wwsf_result_name(int result)
{
	/* clang-format off */
	static const char *names[WWSF_R_COUNT] = {
		"ok", "no_token", "malformed", "bad_signature", "expired",
		"wrong_issuer_audience", "identity_not_allowed",
		"identity_mismatch", "wwsf_mismatch", "replay", "internal_error",
	};
	/* clang-format on */

	if(result < 0 || result >= WWSF_R_COUNT)
		return "unknown";
	return names[result];
}

wwsf_answer_t wwsf_answer(int err)
{
	wwsf_answer_t a = {401, "Unauthorized", "invalid_token", 1};

	switch(wwsf_result_of(err)) {
		case WWSF_R_NO_TOKEN:
			/* RFC 6750 sec 3.1: no error code without credentials */
			a.error = "";
			break;
		case WWSF_R_MALFORMED:
			if(err == WWSF_E_CREDENTIALS) {
				a = (wwsf_answer_t){400, "Bad Request - malformed credentials",
						"invalid_request", 0};
			}
			break;
		case WWSF_R_NOT_ALLOWED:
			a = (wwsf_answer_t){403,
					"Forbidden - identity not allowed for this WWSF", "", 0};
			break;
		case WWSF_R_IDENTITY:
			a = (wwsf_answer_t){403,
					"Forbidden - identity not authorized by the token", "", 0};
			break;
		case WWSF_R_WWSF:
			a = (wwsf_answer_t){403,
					"Forbidden - token not issued by this connection's WWSF",
					"", 0};
			break;
		case WWSF_R_INTERNAL:
			a = (wwsf_answer_t){500, "Server Internal Error", "", 0};
			break;
		default:
			break;
	}
	return a;
}

int wwsf_token_check(wwsf_token_t *t, epc_span_t token,
		const wwsf_policy_t *policies, size_t npolicies, const wwsf_opts_t *o,
		int64_t now, wwsf_ids_t *ids, const wwsf_policy_t **policy)
{
	const wwsf_policy_t *p = NULL;
	size_t i;
	int rc;

	*policy = NULL;
	rc = wwsf_token_parse(t, token, o);
	if(rc != WWSF_OK)
		return rc;
	for(i = 0; i < npolicies && !p; i++) {
		if(policies[i].w && policies[i].w->has_token
				&& wwsf_token_iss_is(t, policies[i].w->issuer))
			p = &policies[i];
	}
	if(!p)
		return WWSF_E_ISSUER;
	*policy = p;
	rc = wwsf_token_verify(t, p, o, now);
	if(rc != WWSF_OK)
		return rc;
	return wwsf_token_identities(t, p, o, ids);
}
