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

#include "wwsf_ident.h"

typedef struct obuf
{
	char *s;
	size_t cap;
	size_t len;
	int err;
} obuf_t;

static void put(obuf_t *o, char c)
{
	if(o->len >= o->cap) {
		o->err = 1;
		return;
	}
	o->s[o->len++] = c;
}

static void put_span(obuf_t *o, epc_span_t s, int lower)
{
	size_t i;

	for(i = 0; i < s.len; i++)
		put(o, lower ? epc_lower(s.s[i]) : s.s[i]);
}

/* Never allowed in an identity (header and quoted-string safety). */
static int forbidden(unsigned char c)
{
	return c < 0x21 || c == 0x7f || c == '"' || c == '\\' || c == '<'
		   || c == '>';
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		   || (c >= '0' && c <= '9');
}

static int hexval(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	c = epc_lower(c);
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2396 reserved: escaped and plain forms of these differ. */
static int reserved(char c)
{
	return c && strchr(";/?:@&=+$,", c) != NULL;
}

/* hostname / IPv4 / [IPv6], lower-cased into o. */
static int host_norm(epc_span_t h, obuf_t *o)
{
	size_t i;

	if(h.len == 0 || h.len > 253)
		return -1;
	if(h.s[0] == '[') {
		if(h.len < 3 || h.s[h.len - 1] != ']')
			return -1;
		for(i = 1; i + 1 < h.len; i++) {
			if(hexval(h.s[i]) < 0 && h.s[i] != ':' && h.s[i] != '.')
				return -1;
		}
	} else {
		for(i = 0; i < h.len; i++) {
			if(!is_alnum(h.s[i]) && h.s[i] != '-' && h.s[i] != '.')
				return -1;
		}
		if(h.s[0] == '.' || h.s[0] == '-')
			return -1;
	}
	put_span(o, h, 1);
	return 0;
}

/* The user part of a SIP URI: escapes of non-reserved characters decoded. */
static int user_norm(epc_span_t u, obuf_t *o)
{
	size_t i;
	int hi, lo;
	char c;

	if(u.len == 0)
		return -1;
	for(i = 0; i < u.len; i++) {
		c = u.s[i];
		if(c == ':' || (unsigned char)c >= 0x80 || forbidden((unsigned char)c))
			return -1; /* ':' would start a password */
		if(c != '%') {
			put(o, c);
			continue;
		}
		if(i + 2 >= u.len || (hi = hexval(u.s[i + 1])) < 0
				|| (lo = hexval(u.s[i + 2])) < 0)
			return -1;
		i += 2;
		c = (char)(hi << 4 | lo);
		if(reserved(c) || (unsigned char)c >= 0x80
				|| forbidden((unsigned char)c) || c == '%') {
			put(o, '%');
			put(o, "0123456789ABCDEF"[hi]);
			put(o, "0123456789ABCDEF"[lo]);
		} else {
			put(o, c);
		}
	}
	return 0;
}

/* ;params and ?headers of a URI: only checked, then dropped */
static int tail_ok(epc_span_t t)
{
	size_t i;

	for(i = 0; i < t.len; i++) {
		if(forbidden((unsigned char)t.s[i]) || (unsigned char)t.s[i] >= 0x80)
			return -1;
	}
	return 0;
}

static int sip_norm(epc_span_t rest, int sips, obuf_t *o)
{
	long at = epc_span_find_byte(rest, '@');
	epc_span_t hp;
	size_t i, hend, pstart;

	if(at <= 0)
		return -1; /* an identity has a user part */
	put_span(o, epc_span_cstr(sips ? "sips:" : "sip:"), 0);
	if(user_norm(epc_span_sub(rest, 0, (size_t)at), o) < 0)
		return -1;
	put(o, '@');
	hp = epc_span_sub(rest, (size_t)at + 1, rest.len);
	/* host ends at ':' (port, not inside [v6]), ';' or '?' */
	hend = hp.len;
	for(i = 0; i < hp.len; i++) {
		if(hp.s[i] == ';' || hp.s[i] == '?'
				|| (hp.s[i] == ':' && hp.s[0] != '[')
				|| (hp.s[i] == ':' && i > 0 && hp.s[i - 1] == ']')) {
			hend = i;
			break;
		}
	}
	if(host_norm(epc_span_sub(hp, 0, hend), o) < 0)
		return -1;
	if(hend < hp.len && hp.s[hend] == ':') {
		/* the port is checked, not kept */
		pstart = hend + 1;
		for(i = pstart; i < hp.len && hp.s[i] >= '0' && hp.s[i] <= '9'; i++)
			;
		if(i == pstart || i - pstart > 5)
			return -1;
		hend = i;
	}
	if(hend < hp.len && hp.s[hend] != ';' && hp.s[hend] != '?')
		return -1;
	return tail_ok(epc_span_sub(hp, hend, hp.len));
}

/* RFC 3966 global number: "+" digits with visual separators */
static int tel_norm(epc_span_t rest, obuf_t *o)
{
	size_t i, digits = 0;
	long semi = epc_span_find_byte(rest, ';');
	epc_span_t num = semi < 0 ? rest : epc_span_sub(rest, 0, (size_t)semi);

	if(num.len < 2 || num.s[0] != '+')
		return -1;
	put_span(o, epc_span_cstr("tel:+"), 0);
	for(i = 1; i < num.len; i++) {
		char c = num.s[i];

		if(c >= '0' && c <= '9') {
			put(o, c);
			digits++;
		} else if(c != '-' && c != '.' && c != '(' && c != ')') {
			return -1;
		}
	}
	if(digits == 0)
		return -1;
	return semi < 0 ? 0 : tail_ok(epc_span_sub(rest, (size_t)semi, rest.len));
}

static int nai_norm(epc_span_t in, obuf_t *o)
{
	long at = -1;
	size_t i;

	for(i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.s[i];

		if(c < 0x80 && forbidden(c))
			return -1;
		if(c == '@')
			at = (long)i; /* the realm follows the last '@' */
	}
	if(at <= 0)
		return -1;
	put_span(o, epc_span_sub(in, 0, (size_t)at), 0);
	put(o, '@');
	return host_norm(epc_span_sub(in, (size_t)at + 1, in.len), o);
}

int wwsf_ident_norm(epc_span_t in, char *out, size_t cap, size_t *len)
{
	obuf_t o = {out, cap, 0, 0};
	long colon = epc_span_find_byte(in, ':');
	long at = epc_span_find_byte(in, '@');
	int rc;

	if(in.len == 0 || in.len > WWSF_IDENT_MAX)
		return -1;
	if(epc_span_has_prefix(in, EPC_SPAN_LIT("sip:"), 1))
		rc = sip_norm(epc_span_sub(in, 4, in.len), 0, &o);
	else if(epc_span_has_prefix(in, EPC_SPAN_LIT("sips:"), 1))
		rc = sip_norm(epc_span_sub(in, 5, in.len), 1, &o);
	else if(epc_span_has_prefix(in, EPC_SPAN_LIT("tel:"), 1))
		rc = tel_norm(epc_span_sub(in, 4, in.len), &o);
	else if(colon >= 0 && (at < 0 || colon < at))
		rc = -1; /* another URI scheme */
	else
		rc = nai_norm(in, &o);
	if(rc < 0 || o.err)
		return -1;
	*len = o.len;
	return 0;
}

int wwsf_ident_is_uri(epc_span_t norm)
{
	return epc_span_has_prefix(norm, EPC_SPAN_LIT("sip:"), 0)
		   || epc_span_has_prefix(norm, EPC_SPAN_LIT("sips:"), 0)
		   || epc_span_has_prefix(norm, EPC_SPAN_LIT("tel:"), 0);
}

int wwsf_ident_impi_from_impu(
		epc_span_t norm, char *out, size_t cap, size_t *len)
{
	size_t skip;
	epc_span_t r;

	if(epc_span_has_prefix(norm, EPC_SPAN_LIT("sip:"), 0))
		skip = 4;
	else if(epc_span_has_prefix(norm, EPC_SPAN_LIT("sips:"), 0))
		skip = 5;
	else
		return -1;
	r = epc_span_sub(norm, skip, norm.len);
	if(r.len > cap)
		return -1;
	memcpy(out, r.s, r.len);
	*len = r.len;
	return 0;
}
