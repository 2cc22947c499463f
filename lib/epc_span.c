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

#include "epc_span.h"

epc_span_t epc_span_cstr(const char *s)
{
	epc_span_t r = {s, s ? strlen(s) : 0};
	return r;
}

int epc_span_eq(epc_span_t a, epc_span_t b)
{
	if(a.len != b.len)
		return 0;
	return a.len == 0 || memcmp(a.s, b.s, a.len) == 0;
}

int epc_span_eq_nocase(epc_span_t a, epc_span_t b)
{
	size_t i;

	if(a.len != b.len)
		return 0;
	for(i = 0; i < a.len; i++) {
		if(epc_lower(a.s[i]) != epc_lower(b.s[i]))
			return 0;
	}
	return 1;
}

int epc_span_has_prefix(epc_span_t a, epc_span_t prefix, int nocase)
{
	if(a.len < prefix.len)
		return 0;
	a.len = prefix.len;
	return nocase ? epc_span_eq_nocase(a, prefix) : epc_span_eq(a, prefix);
}

static int is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

epc_span_t epc_span_trim(epc_span_t a)
{
	while(a.len > 0 && is_lws(a.s[0])) {
		a.s++;
		a.len--;
	}
	while(a.len > 0 && is_lws(a.s[a.len - 1]))
		a.len--;
	return a;
}

long epc_span_find_byte(epc_span_t a, char c)
{
	const char *p;

	if(a.len == 0)
		return -1;
	p = memchr(a.s, c, a.len);
	return p ? (long)(p - a.s) : -1;
}

epc_span_t epc_span_sub(epc_span_t a, size_t off, size_t n)
{
	epc_span_t r = {a.s, 0};

	if(off > a.len)
		off = a.len;
	r.s = a.s ? a.s + off : NULL;
	r.len = (n > a.len - off) ? a.len - off : n;
	return r;
}

int epc_span_split(
		epc_span_t in, char delim, epc_span_t *head, epc_span_t *rest)
{
	long i = epc_span_find_byte(in, delim);

	if(i < 0) {
		*head = in;
		*rest = epc_span_sub(in, in.len, 0);
		return 0;
	}
	*head = epc_span_sub(in, 0, (size_t)i);
	*rest = epc_span_sub(in, (size_t)i + 1, in.len);
	return 1;
}

int epc_span_to_u64(epc_span_t a, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if(a.len == 0)
		return -1;
	for(i = 0; i < a.len; i++) {
		unsigned d;

		if(a.s[i] < '0' || a.s[i] > '9')
			return -1;
		d = (unsigned)(a.s[i] - '0');
		if(d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
