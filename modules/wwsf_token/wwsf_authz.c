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

#include "wwsf_authz.h"

typedef struct aparam
{
	epc_span_t name;
	epc_span_t value; /* quoted: the content between the quotes */
	int quoted;
	int escaped;  /* quoted-pairs inside */
	size_t start; /* offsets of the whole param in the body */
	size_t end;
} aparam_t;

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* character classes, one table lookup per byte (the token68 of a Bearer
 * credential is scanned on every request) */
#define C_TCHAR 1u /* RFC 3261 sec 25.1 token */
#define C_T68 2u   /* RFC 7235 token68 without the trailing '=' */
#define C_VCHAR 4u /* unquoted auth-param value: token, token68, '=' */
#define C_ALL (C_TCHAR | C_T68 | C_VCHAR)

static const unsigned char _cls[256] = {
		['a' ... 'z'] = C_ALL,
		['A' ... 'Z'] = C_ALL,
		['0' ... '9'] = C_ALL,
		/* both: - . _ ~ + */
		['-'] = C_ALL,
		['.'] = C_ALL,
		['_'] = C_ALL,
		['~'] = C_ALL,
		['+'] = C_ALL,
		/* token only: ! % * ` ' */
		['!'] = C_TCHAR | C_VCHAR,
		['%'] = C_TCHAR | C_VCHAR,
		['*'] = C_TCHAR | C_VCHAR,
		['`'] = C_TCHAR | C_VCHAR,
		['\''] = C_TCHAR | C_VCHAR,
		/* token68 only: / */
		['/'] = C_T68 | C_VCHAR,
		['='] = C_VCHAR,
};

static void skip_ws(epc_span_t b, size_t *pos)
{
	while(*pos < b.len && is_ws(b.s[*pos]))
		(*pos)++;
}

static size_t span_while(epc_span_t b, size_t pos, unsigned cls)
{
	size_t s = pos;

	while(pos < b.len && (_cls[(unsigned char)b.s[pos]] & cls))
		pos++;
	return pos - s;
}

/*
 * Next auth-param of a list at *pos (first: no leading comma).
 * @return 1 and *p, 0 at the end, -1 on a syntax error.
 */
static int next_param(epc_span_t b, size_t *pos, aparam_t *p, int first)
{
	size_t n, i = *pos;

	skip_ws(b, &i);
	if(i >= b.len)
		return first ? -1 : 0;
	if(!first) {
		if(b.s[i] != ',')
			return -1;
		i++;
		skip_ws(b, &i);
	}
	memset(p, 0, sizeof(*p));
	p->start = i;
	n = span_while(b, i, C_TCHAR);
	if(n == 0)
		return -1;
	p->name = epc_span_sub(b, i, n);
	i += n;
	skip_ws(b, &i);
	if(i >= b.len || b.s[i] != '=')
		return -1;
	i++;
	skip_ws(b, &i);
	if(i < b.len && b.s[i] == '"') {
		size_t vs = ++i;

		for(; i < b.len && b.s[i] != '"'; i++) {
			unsigned char c = (unsigned char)b.s[i];

			if(c == '\\') {
				if(i + 1 >= b.len || (unsigned char)b.s[i + 1] > 0x7f
						|| b.s[i + 1] == '\r' || b.s[i + 1] == '\n')
					return -1;
				p->escaped = 1;
				i++;
			} else if((c < 0x20 && c != '\t') || c == 0x7f) {
				return -1;
			}
		}
		if(i >= b.len)
			return -1;
		p->value = epc_span_sub(b, vs, i - vs);
		p->quoted = 1;
		i++;
	} else {
		n = span_while(b, i, C_VCHAR);
		if(n == 0)
			return -1;
		p->value = epc_span_sub(b, i, n);
		i += n;
	}
	p->end = i;
	*pos = i;
	return 1;
}

/* "Bearer" SP token68 with nothing after it */
static int bearer_token68(epc_span_t b, size_t pos, epc_span_t *tok)
{
	size_t n = span_while(b, pos, C_T68), e;

	if(n == 0)
		return 0;
	e = pos + n;
	while(e < b.len && b.s[e] == '=')
		e++;
	*tok = epc_span_sub(b, pos, e - pos);
	skip_ws(b, &e);
	return e == b.len;
}

static int parse_bearer(epc_span_t b, size_t pos, wwsf_cred_t *c)
{
	aparam_t p;
	int rc, first = 1, found = 0;

	if(bearer_token68(b, pos, &c->token))
		return 0;
	c->token = EPC_SPAN_NULL;
	/* TS 24.371 A.3.2: Bearer access_token="..." */
	while((rc = next_param(b, &pos, &p, first)) == 1) {
		first = 0;
		if(!epc_span_eq_nocase(p.name, EPC_SPAN_LIT("access_token")))
			continue;
		if(found++ || p.escaped || p.value.len == 0)
			return -1;
		c->token = p.value;
	}
	return (rc == 0 && found == 1) ? 0 : -1;
}

static int parse_digest(epc_span_t b, size_t pos, wwsf_cred_t *c)
{
	aparam_t p;
	int rc, first = 1;

	while((rc = next_param(b, &pos, &p, first)) == 1) {
		first = 0;
		if(epc_span_eq_nocase(p.name, EPC_SPAN_LIT("username"))) {
			if(c->has_username)
				return -1;
			c->has_username = 1;
			c->username = p.value;
			c->username_escaped = p.escaped;
		} else if(epc_span_eq_nocase(
						  p.name, EPC_SPAN_LIT("integrity-protected"))) {
			c->has_integrity = 1;
		}
	}
	return rc == 0 ? 0 : -1;
}

int wwsf_cred_parse(epc_span_t body, wwsf_cred_t *c)
{
	size_t pos = 0, n;
	epc_span_t scheme;

	memset(c, 0, sizeof(*c));
	skip_ws(body, &pos);
	n = span_while(body, pos, C_TCHAR);
	if(n == 0)
		return -1;
	scheme = epc_span_sub(body, pos, n);
	pos += n;
	if(epc_span_eq_nocase(scheme, EPC_SPAN_LIT("Bearer")))
		c->scheme = WWSF_CRED_BEARER;
	else if(epc_span_eq_nocase(scheme, EPC_SPAN_LIT("Digest")))
		c->scheme = WWSF_CRED_DIGEST;
	else
		return 0; /* another scheme: not ours to judge */
	if(pos >= body.len || !is_ws(body.s[pos]))
		return -1;
	skip_ws(body, &pos);
	if(c->scheme == WWSF_CRED_BEARER)
		return parse_bearer(body, pos, c);
	return parse_digest(body, pos, c);
}

int wwsf_cred_strip_param(
		epc_span_t body, epc_span_t name, char *out, size_t cap, size_t *len)
{
	size_t pos = 0, n, o = 0;
	aparam_t p;
	int rc, first = 1, removed = 0, kept = 0;

	skip_ws(body, &pos);
	n = span_while(body, pos, C_TCHAR);
	if(n == 0 || n > cap)
		return -1;
	memcpy(out, body.s + pos, n);
	o = n;
	pos += n;
	while((rc = next_param(body, &pos, &p, first)) == 1) {
		size_t plen = p.end - p.start, sep = kept ? 2 : 1;

		first = 0;
		if(epc_span_eq_nocase(p.name, name)) {
			removed++;
			continue;
		}
		if(cap - o < sep + plen)
			return -1;
		memcpy(out + o, kept ? ", " : " ", sep);
		memcpy(out + o + sep, body.s + p.start, plen);
		o += sep + plen;
		kept++;
	}
	if(rc < 0)
		return -1;
	*len = o;
	return removed;
}

int wwsf_unquote(epc_span_t raw, char *out, size_t cap, size_t *len)
{
	size_t i, o = 0;

	for(i = 0; i < raw.len; i++) {
		if(raw.s[i] == '\\' && i + 1 < raw.len)
			i++;
		if(o >= cap)
			return -1;
		out[o++] = raw.s[i];
	}
	*len = o;
	return 0;
}

int wwsf_quotable(epc_span_t s)
{
	size_t i;

	for(i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.s[i];

		if(c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

typedef struct wbuf
{
	char *s;
	size_t cap;
	size_t len;
	int err;
} wbuf_t;

static void w_span(wbuf_t *w, epc_span_t s)
{
	if(w->err || w->cap - w->len < s.len) {
		w->err = 1;
		return;
	}
	if(s.len)
		memcpy(w->s + w->len, s.s, s.len);
	w->len += s.len;
}

static void w_str(wbuf_t *w, const char *s)
{
	w_span(w, epc_span_cstr(s));
}

/* name="value" (or name=value when !quote) with a leading ", " if sep */
static void w_param(
		wbuf_t *w, const char *name, epc_span_t v, int quote, int sep)
{
	if(sep)
		w_str(w, ", ");
	w_str(w, name);
	w_str(w, quote ? "=\"" : "=");
	w_span(w, v);
	if(quote)
		w_str(w, "\"");
}

int wwsf_tna_credentials(epc_span_t impi, epc_span_t realm, epc_span_t uri,
		int quote, char *out, size_t cap, size_t *len)
{
	wbuf_t w = {out, cap, 0, 0};

	if(impi.len == 0 || realm.len == 0 || uri.len == 0 || !wwsf_quotable(impi)
			|| !wwsf_quotable(realm) || !wwsf_quotable(uri))
		return -1;
	w_str(&w, "Digest ");
	w_param(&w, "username", impi, 1, 0);
	w_param(&w, "realm", realm, 1, 1);
	w_param(&w, "uri", uri, 1, 1);
	w_param(&w, "nonce", EPC_SPAN_NULL, 1, 1);
	w_param(&w, "response", EPC_SPAN_NULL, 1, 1);
	w_param(&w, "integrity-protected", EPC_SPAN_LIT("auth-done"), quote, 1);
	if(w.err)
		return -1;
	*len = w.len;
	return 0;
}

int wwsf_bearer_challenge(epc_span_t realm, epc_span_t authz_server,
		epc_span_t error, char *out, size_t cap, size_t *len)
{
	wbuf_t w = {out, cap, 0, 0};

	if(!wwsf_quotable(realm) || !wwsf_quotable(authz_server)
			|| !wwsf_quotable(error))
		return -1;
	w_str(&w, "Bearer ");
	w_param(&w, "realm", realm, 1, 0);
	if(authz_server.len)
		w_param(&w, "authz_server", authz_server, 1, 1);
	if(error.len)
		w_param(&w, "error", error, 1, 1);
	if(w.err)
		return -1;
	*len = w.len;
	return 0;
}
