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

#include <arpa/inet.h>
#include <string.h>

#include "epc_origin.h"

#define IPV6_TEXT_MAX 45 /* INET6_ADDRSTRLEN - 1 */

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 6454 sec 6.2 serialises an opaque origin as "null"; RFC 7230 field
 * values: no CTL; a ',' would be a list of origins; the rest are bytes no
 * browser puts into a serialised origin. */
static int bad_byte(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == ',' || c == '"' || c == '\\'
		   || c == '<' || c == '>' || c == '^' || c == '`' || c == '{'
		   || c == '|' || c == '}';
}

static int parse_scheme(epc_span_t *cur, epc_origin_t *o)
{
	size_t i;
	const char *s = cur->s;

	if(cur->len == 0 || !is_alpha(s[0]))
		return EPC_ORIGIN_E_SCHEME;
	for(i = 0; i < cur->len && s[i] != ':'; i++) {
		if(!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' && s[i] != '-'
				&& s[i] != '.')
			return EPC_ORIGIN_E_SCHEME;
		if(i >= EPC_ORIGIN_SCHEME_MAX)
			return EPC_ORIGIN_E_SCHEME;
		o->scheme[i] = epc_lower(s[i]);
	}
	/* scheme ":" "//" */
	if(i + 3 > cur->len || s[i + 1] != '/' || s[i + 2] != '/')
		return EPC_ORIGIN_E_SCHEME;
	o->scheme[i] = '\0';
	o->scheme_len = i;
	cur->s += i + 3;
	cur->len -= i + 3;
	return 0;
}

/* "*" 1*DIGIT without leading zero, 1..65535; the default port becomes 0 */
static int parse_port(epc_span_t p, epc_origin_t *o)
{
	uint64_t v;

	if(p.len == 0 || p.len > 5 || (p.s[0] == '0'))
		return EPC_ORIGIN_E_PORT;
	if(epc_span_to_u64(p, 65535, &v) < 0 || v == 0)
		return EPC_ORIGIN_E_PORT;
	o->port = (uint16_t)v;
	if(o->port
			== epc_origin_default_port((epc_span_t){o->scheme, o->scheme_len}))
		o->port = 0;
	return 0;
}

static int parse_ipv6(epc_span_t h, epc_origin_t *o)
{
	char txt[IPV6_TEXT_MAX + 1];
	unsigned char bin[16];
	size_t i;

	if(h.len < 2 || h.len > IPV6_TEXT_MAX)
		return EPC_ORIGIN_E_HOST;
	for(i = 0; i < h.len; i++) {
		if(!is_hex(h.s[i]) && h.s[i] != ':' && h.s[i] != '.')
			return EPC_ORIGIN_E_HOST; /* also a zone id "%eth0" */
	}
	memcpy(txt, h.s, h.len);
	txt[h.len] = '\0';
	if(inet_pton(AF_INET6, txt, bin) != 1)
		return EPC_ORIGIN_E_HOST;
	/* RFC 5952 text: inet_ntop compresses and writes lower case */
	if(inet_ntop(AF_INET6, bin, o->host + 1, sizeof(o->host) - 2) == NULL)
		return EPC_ORIGIN_E_HOST;
	o->host[0] = '[';
	o->host_len = strlen(o->host);
	o->host[o->host_len++] = ']';
	o->host[o->host_len] = '\0';
	o->host_type = EPC_ORIGIN_HOST_IPV6;
	return 0;
}

/* a label that the WHATWG URL host parser would take as a number */
static int numeric_label(epc_span_t l)
{
	size_t i = 0;

	if(l.len > 2 && l.s[0] == '0' && (l.s[1] == 'x' || l.s[1] == 'X'))
		i = 2;
	for(; i < l.len; i++) {
		if(!(is_digit(l.s[i]) || (i >= 2 && is_hex(l.s[i]))))
			return 0;
	}
	return l.len > 0;
}

/* canonical dotted quad only: exactly 4 decimal labels, 0..255, no
 * leading zeros (what a browser serialises) */
static int check_ipv4(epc_span_t h)
{
	epc_span_t lab, rest = h;
	int n = 0, more = 1;
	uint64_t v;

	while(more) {
		more = epc_span_split(rest, '.', &lab, &rest);
		if(lab.len == 0 || lab.len > 3 || (lab.len > 1 && lab.s[0] == '0'))
			return EPC_ORIGIN_E_HOST;
		if(epc_span_to_u64(lab, 255, &v) < 0)
			return EPC_ORIGIN_E_HOST;
		n++;
	}
	return n == 4 ? 0 : EPC_ORIGIN_E_HOST;
}

/* LDH labels (plus '_'), no empty label, label <= 63, name <= 253 */
static int check_name(epc_span_t h, size_t *nlabels, epc_span_t *last)
{
	epc_span_t lab, rest = h;
	size_t i;
	int more = 1;

	*nlabels = 0;
	if(h.len == 0 || h.len > EPC_ORIGIN_HOST_MAX)
		return EPC_ORIGIN_E_HOST;
	while(more) {
		more = epc_span_split(rest, '.', &lab, &rest);
		if(lab.len == 0 || lab.len > 63)
			return EPC_ORIGIN_E_HOST;
		for(i = 0; i < lab.len; i++) {
			char c = lab.s[i];
			if(c == '*')
				return EPC_ORIGIN_E_WILDCARD;
			if(!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
				return EPC_ORIGIN_E_HOST;
		}
		(*nlabels)++;
		*last = lab;
	}
	return 0;
}

static int parse_name(epc_span_t h, int pattern, epc_origin_t *o)
{
	size_t n, i;
	epc_span_t last = EPC_SPAN_NULL;
	int rc;

	if(h.len >= 2 && h.s[0] == '*' && h.s[1] == '.') {
		if(!pattern)
			return EPC_ORIGIN_E_HOST;
		o->wildcard = 1;
		h.s += 2;
		h.len -= 2;
	}
	rc = check_name(h, &n, &last);
	if(rc < 0)
		return (rc == EPC_ORIGIN_E_WILDCARD && !pattern) ? EPC_ORIGIN_E_HOST
														 : rc;
	o->host_type = EPC_ORIGIN_HOST_NAME;
	if(numeric_label(last)) {
		if(o->wildcard || check_ipv4(h) < 0)
			return o->wildcard ? EPC_ORIGIN_E_WILDCARD : EPC_ORIGIN_E_HOST;
		o->host_type = EPC_ORIGIN_HOST_IPV4;
	}
	/* "*.com" would let any site in: at least two labels after "*." */
	if(o->wildcard && n < 2)
		return EPC_ORIGIN_E_WILDCARD;
	for(i = 0; i < h.len; i++)
		o->host[i] = epc_lower(h.s[i]);
	o->host[h.len] = '\0';
	o->host_len = h.len;
	return 0;
}

/* authority = host [ ":" port ]; the caller removed scheme and "//" */
static int parse_authority(epc_span_t a, int pattern, epc_origin_t *o)
{
	epc_span_t host, port = EPC_SPAN_NULL;
	long i;
	int rc, has_port;

	if(epc_span_find_byte(a, '@') >= 0)
		return EPC_ORIGIN_E_USERINFO;
	if(a.len > 0 && a.s[0] == '[') {
		i = epc_span_find_byte(a, ']');
		if(i < 0)
			return EPC_ORIGIN_E_HOST;
		host = epc_span_sub(a, 1, (size_t)i - 1);
		port = epc_span_sub(a, (size_t)i + 1, a.len);
		if(port.len > 0 && port.s[0] != ':')
			return EPC_ORIGIN_E_HOST;
		has_port = port.len > 0;
		port = epc_span_sub(port, 1, port.len);
		if(epc_span_find_byte(host, '*') >= 0)
			return pattern ? EPC_ORIGIN_E_WILDCARD : EPC_ORIGIN_E_HOST;
		rc = parse_ipv6(host, o);
	} else {
		has_port = epc_span_split(a, ':', &host, &port);
		rc = parse_name(host, pattern, o);
	}
	if(rc < 0)
		return rc;
	return has_port ? parse_port(port, o) : 0;
}

static int parse(epc_span_t in, int pattern, epc_origin_t *out)
{
	epc_origin_t o;
	epc_span_t cur = in;
	size_t i;
	int rc;

	if(in.len == 0)
		return EPC_ORIGIN_E_EMPTY;
	if(in.len > EPC_ORIGIN_MAX_LEN)
		return EPC_ORIGIN_E_TOOLONG;
	if(epc_span_eq_nocase(in, EPC_SPAN_LIT("null")))
		return EPC_ORIGIN_E_NULL;
	for(i = 0; i < in.len; i++) {
		if(bad_byte((unsigned char)in.s[i]))
			return EPC_ORIGIN_E_CHAR;
	}
	memset(&o, 0, sizeof(o));
	rc = parse_scheme(&cur, &o);
	if(rc < 0)
		return rc;
	for(i = 0; i < cur.len; i++) {
		if(cur.s[i] == '/' || cur.s[i] == '?' || cur.s[i] == '#')
			return EPC_ORIGIN_E_PATH;
	}
	if(cur.len == 0)
		return EPC_ORIGIN_E_HOST;
	rc = parse_authority(cur, pattern, &o);
	if(rc < 0)
		return rc;
	*out = o;
	return EPC_ORIGIN_OK;
}

int epc_origin_parse(epc_span_t in, epc_origin_t *out)
{
	return parse(in, 0, out);
}

int epc_origin_parse_pattern(epc_span_t in, epc_origin_t *out)
{
	return parse(in, 1, out);
}

int epc_origin_equal(const epc_origin_t *a, const epc_origin_t *b)
{
	return a->wildcard == b->wildcard && a->port == b->port
		   && a->scheme_len == b->scheme_len && a->host_len == b->host_len
		   && memcmp(a->scheme, b->scheme, a->scheme_len) == 0
		   && memcmp(a->host, b->host, a->host_len) == 0;
}

int epc_origin_match(const epc_origin_t *p, const epc_origin_t *o)
{
	size_t off;

	if(o->wildcard)
		return 0;
	if(p->port != o->port || p->scheme_len != o->scheme_len
			|| memcmp(p->scheme, o->scheme, p->scheme_len) != 0)
		return 0;
	if(!p->wildcard)
		return p->host_len == o->host_len
			   && memcmp(p->host, o->host, p->host_len) == 0;
	/* "*.d" matches x.d, x.y.d; never d itself, never an IP literal, and
	 * only on a label boundary (evil-d or d.evil.com do not match) */
	if(o->host_type != EPC_ORIGIN_HOST_NAME || o->host_len <= p->host_len + 1)
		return 0;
	off = o->host_len - p->host_len;
	return o->host[off - 1] == '.'
		   && memcmp(o->host + off, p->host, p->host_len) == 0;
}

int epc_origin_format(const epc_origin_t *o, char *buf, size_t size)
{
	char port[8];
	size_t plen = 0, need;
	unsigned v = o->port;
	size_t i;

	if(v) {
		char tmp[8];
		size_t n = 0;
		while(v) {
			tmp[n++] = (char)('0' + v % 10);
			v /= 10;
		}
		port[plen++] = ':';
		for(i = 0; i < n; i++)
			port[plen++] = tmp[n - 1 - i];
	}
	need = o->scheme_len + 3 + (o->wildcard ? 2 : 0) + o->host_len + plen;
	if(size == 0)
		return -1;
	if(need + 1 > size) {
		buf[0] = '\0';
		return -1;
	}
	i = 0;
	memcpy(buf, o->scheme, o->scheme_len);
	i += o->scheme_len;
	memcpy(buf + i, "://", 3);
	i += 3;
	if(o->wildcard) {
		memcpy(buf + i, "*.", 2);
		i += 2;
	}
	memcpy(buf + i, o->host, o->host_len);
	i += o->host_len;
	memcpy(buf + i, port, plen);
	i += plen;
	buf[i] = '\0';
	return (int)i;
}

uint16_t epc_origin_default_port(epc_span_t scheme)
{
	if(epc_span_eq(scheme, EPC_SPAN_LIT("https"))
			|| epc_span_eq(scheme, EPC_SPAN_LIT("wss")))
		return 443;
	if(epc_span_eq(scheme, EPC_SPAN_LIT("http"))
			|| epc_span_eq(scheme, EPC_SPAN_LIT("ws")))
		return 80;
	return 0;
}

const char *epc_origin_strerror(int rc)
{
	switch(rc) {
		case EPC_ORIGIN_OK:
			return "ok";
		case EPC_ORIGIN_E_EMPTY:
			return "empty origin";
		case EPC_ORIGIN_E_NULL:
			return "opaque origin (null)";
		case EPC_ORIGIN_E_TOOLONG:
			return "origin too long";
		case EPC_ORIGIN_E_CHAR:
			return "invalid character in origin";
		case EPC_ORIGIN_E_SCHEME:
			return "invalid scheme";
		case EPC_ORIGIN_E_HOST:
			return "invalid host";
		case EPC_ORIGIN_E_PORT:
			return "invalid port";
		case EPC_ORIGIN_E_PATH:
			return "path, query or fragment in origin";
		case EPC_ORIGIN_E_USERINFO:
			return "userinfo in origin";
		case EPC_ORIGIN_E_WILDCARD:
			return "invalid wildcard";
		default:
			return "unknown error";
	}
}
