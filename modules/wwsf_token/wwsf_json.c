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

#include "wwsf_json.h"

typedef struct jctx
{
	const char *p;
	const char *end;
} jctx_t;

static int parse_value(jctx_t *c, int depth, wwsf_json_val_t *v);

static void skip_ws(jctx_t *c)
{
	while(c->p < c->end
			&& (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'
					|| *c->p == '\r'))
		c->p++;
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for(i = 0; i < 4; i++) {
		char h = p[i];

		v <<= 4;
		if(h >= '0' && h <= '9')
			v |= (uint32_t)(h - '0');
		else if(h >= 'a' && h <= 'f')
			v |= (uint32_t)(h - 'a' + 10);
		else if(h >= 'A' && h <= 'F')
			v |= (uint32_t)(h - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * One UTF-8 sequence at p (RFC 3629 sec 4: shortest form, no surrogates,
 * at most U+10FFFF). @return its length, or 0 if invalid.
 */
static size_t utf8_seq(
		const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if(p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if(p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		v = p[0] & 0x1f;
		min = 0x80;
	} else if(p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		v = p[0] & 0x0f;
		min = 0x800;
	} else if(p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if((size_t)(end - p) < n)
		return 0;
	for(i = 1; i < n; i++) {
		if((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if(v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/*
 * One character of a validated or unvalidated string body at *pp: an
 * escape or a UTF-8 sequence. @return 0 and the code point, -1 if invalid.
 */
static int next_cp(const char **pp, const char *end, uint32_t *cp)
{
	const char *p = *pp;
	uint32_t hi, lo;
	size_t n;

	if(*p != '\\') {
		if((unsigned char)*p < 0x20)
			return -1;
		n = utf8_seq((const unsigned char *)p, (const unsigned char *)end, cp);
		if(n == 0)
			return -1;
		*pp = p + n;
		return 0;
	}
	if(end - p < 2)
		return -1;
	switch(p[1]) {
		case '"':
		case '\\':
		case '/':
			*cp = (unsigned char)p[1];
			break;
		case 'b':
			*cp = '\b';
			break;
		case 'f':
			*cp = '\f';
			break;
		case 'n':
			*cp = '\n';
			break;
		case 'r':
			*cp = '\r';
			break;
		case 't':
			*cp = '\t';
			break;
		case 'u':
			if(end - p < 6 || hex4(p + 2, &hi) < 0)
				return -1;
			if(hi >= 0xdc00 && hi <= 0xdfff)
				return -1; /* lone low surrogate */
			if(hi >= 0xd800 && hi <= 0xdbff) {
				if(end - p < 12 || p[6] != '\\' || p[7] != 'u'
						|| hex4(p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
				*pp = p + 12;
				return 0;
			}
			if(hi == 0)
				return -1; /* U+0000 would truncate C strings downstream */
			*cp = hi;
			*pp = p + 6;
			return 0;
		default:
			return -1;
	}
	*pp = p + 2;
	return 0;
}

static int parse_string(jctx_t *c, wwsf_json_val_t *v)
{
	const char *start;
	uint32_t cp;
	int plain = 1;

	if(c->p >= c->end || *c->p != '"')
		return -1;
	start = ++c->p;
	while(c->p < c->end && *c->p != '"') {
		if(*c->p == '\\')
			plain = 0;
		if(next_cp(&c->p, c->end, &cp) < 0)
			return -1;
	}
	if(c->p >= c->end)
		return -1;
	v->type = WWSF_JSON_STRING;
	v->plain = plain;
	v->raw.s = start;
	v->raw.len = (size_t)(c->p - start);
	c->p++;
	return 0;
}

static int digits(jctx_t *c)
{
	const char *s = c->p;

	while(c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s ? 0 : -1;
}

/* RFC 8259 sec 6: -? (0 / [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int parse_number(jctx_t *c, wwsf_json_val_t *v)
{
	const char *start = c->p;

	if(c->p < c->end && *c->p == '-')
		c->p++;
	if(c->p < c->end && *c->p == '0')
		c->p++;
	else if(digits(c) < 0)
		return -1;
	if(c->p < c->end && *c->p == '.') {
		c->p++;
		if(digits(c) < 0)
			return -1;
	}
	if(c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if(c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if(digits(c) < 0)
			return -1;
	}
	v->type = WWSF_JSON_NUMBER;
	v->plain = 1;
	v->raw.s = start;
	v->raw.len = (size_t)(c->p - start);
	return 0;
}

static int parse_literal(
		jctx_t *c, const char *lit, int type, wwsf_json_val_t *v)
{
	size_t n = strlen(lit);

	if((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return -1;
	v->type = type;
	v->plain = 1;
	v->raw.s = c->p;
	v->raw.len = n;
	c->p += n;
	return 0;
}

/*
 * Object or array at c->p. With top != NULL (the top-level object) the
 * members are recorded and checked for repeated names.
 */
static int parse_container(
		jctx_t *c, int depth, wwsf_json_val_t *v, wwsf_json_obj_t *top)
{
	const char *start = c->p;
	int is_obj = *c->p == '{';
	char close = is_obj ? '}' : ']';
	wwsf_json_val_t name, val;
	size_t i;

	if(depth >= WWSF_JSON_MAX_DEPTH)
		return -1;
	c->p++;
	skip_ws(c);
	if(c->p < c->end && *c->p == close) {
		c->p++;
		goto done;
	}
	for(;;) {
		if(is_obj) {
			if(parse_string(c, &name) < 0)
				return -1;
			skip_ws(c);
			if(c->p >= c->end || *c->p != ':')
				return -1;
			c->p++;
			skip_ws(c);
		}
		if(parse_value(c, depth + 1, &val) < 0)
			return -1;
		if(top) {
			for(i = 0; i < top->n; i++) {
				if(wwsf_json_str_eq_val(&top->m[i].name, &name))
					return -1;
			}
			if(top->n >= WWSF_JSON_MAX_MEMBERS)
				return -1;
			top->m[top->n].name = name;
			top->m[top->n].val = val;
			top->n++;
		}
		skip_ws(c);
		if(c->p >= c->end)
			return -1;
		if(*c->p == close) {
			c->p++;
			break;
		}
		if(*c->p != ',')
			return -1;
		c->p++;
		skip_ws(c);
	}
done:
	v->type = is_obj ? WWSF_JSON_OBJECT : WWSF_JSON_ARRAY;
	v->plain = 1;
	v->raw.s = start;
	v->raw.len = (size_t)(c->p - start);
	return 0;
}

static int parse_value(jctx_t *c, int depth, wwsf_json_val_t *v)
{
	if(c->p >= c->end)
		return -1;
	switch(*c->p) {
		case '"':
			return parse_string(c, v);
		case '{':
		case '[':
			return parse_container(c, depth, v, NULL);
		case 't':
			return parse_literal(c, "true", WWSF_JSON_TRUE, v);
		case 'f':
			return parse_literal(c, "false", WWSF_JSON_FALSE, v);
		case 'n':
			return parse_literal(c, "null", WWSF_JSON_NULL, v);
		default:
			return parse_number(c, v);
	}
}

int wwsf_json_parse_object(epc_span_t doc, wwsf_json_obj_t *obj)
{
	jctx_t c = {doc.s, doc.s + doc.len};
	wwsf_json_val_t v;

	obj->n = 0;
	if(doc.len == 0)
		return -1;
	skip_ws(&c);
	if(c.p >= c.end || *c.p != '{')
		return -1;
	if(parse_container(&c, 0, &v, obj) < 0) {
		obj->n = 0;
		return -1;
	}
	skip_ws(&c);
	if(c.p != c.end) {
		obj->n = 0;
		return -1;
	}
	return 0;
}

/* UTF-8 encoding of cp into b (4 bytes). @return its length. */
static size_t utf8_put(uint32_t cp, unsigned char *b)
{
	if(cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if(cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if(cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (unsigned char)(0xf0 | cp >> 18);
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int wwsf_json_str_eq(const wwsf_json_val_t *v, epc_span_t plain)
{
	const char *p, *end;
	unsigned char b[4];
	size_t off = 0, n;
	uint32_t cp;

	if(v->type != WWSF_JSON_STRING)
		return 0;
	if(v->plain)
		return epc_span_eq(v->raw, plain);
	p = v->raw.s;
	end = p + v->raw.len;
	while(p < end) {
		if(next_cp(&p, end, &cp) < 0)
			return 0;
		n = utf8_put(cp, b);
		if(plain.len - off < n || memcmp(plain.s + off, b, n) != 0)
			return 0;
		off += n;
	}
	return off == plain.len;
}

int wwsf_json_str_eq_val(const wwsf_json_val_t *a, const wwsf_json_val_t *b)
{
	const char *pa, *pb, *ea, *eb;
	uint32_t ca, cb;

	if(a->type != WWSF_JSON_STRING || b->type != WWSF_JSON_STRING)
		return 0;
	if(a->plain && b->plain)
		return epc_span_eq(a->raw, b->raw);
	pa = a->raw.s;
	ea = pa + a->raw.len;
	pb = b->raw.s;
	eb = pb + b->raw.len;
	while(pa < ea && pb < eb) {
		if(next_cp(&pa, ea, &ca) < 0 || next_cp(&pb, eb, &cb) < 0)
			return 0;
		if(ca != cb)
			return 0;
	}
	return pa == ea && pb == eb;
}

const wwsf_json_val_t *wwsf_json_get(
		const wwsf_json_obj_t *obj, epc_span_t name)
{
	size_t i;

	for(i = 0; i < obj->n; i++) {
		if(wwsf_json_str_eq(&obj->m[i].name, name))
			return &obj->m[i].val;
	}
	return NULL;
}

int wwsf_json_str_decode(
		const wwsf_json_val_t *v, char *buf, size_t cap, size_t *len)
{
	const char *p, *end;
	size_t off = 0, n;
	uint32_t cp;

	if(v->type != WWSF_JSON_STRING)
		return -1;
	if(v->plain) {
		if(v->raw.len > cap)
			return -1;
		if(v->raw.len)
			memcpy(buf, v->raw.s, v->raw.len);
		*len = v->raw.len;
		return 0;
	}
	p = v->raw.s;
	end = p + v->raw.len;
	while(p < end) {
		unsigned char b[4];

		if(next_cp(&p, end, &cp) < 0)
			return -1;
		n = utf8_put(cp, b);
		if(cap - off < n)
			return -1;
		memcpy(buf + off, b, n);
		off += n;
	}
	*len = off;
	return 0;
}

int wwsf_json_iter_init(wwsf_json_iter_t *it, const wwsf_json_val_t *v)
{
	if(v->type != WWSF_JSON_ARRAY || v->raw.len < 2)
		return -1;
	it->p = v->raw.s + 1;
	it->end = v->raw.s + v->raw.len - 1; /* the closing ']' */
	it->first = 1;
	return 0;
}

int wwsf_json_iter_next(wwsf_json_iter_t *it, wwsf_json_val_t *elem)
{
	jctx_t c = {it->p, it->end};

	skip_ws(&c);
	if(c.p >= c.end)
		return 0;
	if(!it->first) {
		if(*c.p != ',')
			return -1;
		c.p++;
		skip_ws(&c);
	}
	if(parse_value(&c, 1, elem) < 0)
		return -1;
	it->p = c.p;
	it->first = 0;
	return 1;
}

#define JSON_TIME_MAX ((int64_t)1 << 53)
#define JSON_MANT_MAX 100000000000000000ULL /* 10^17 */

int wwsf_json_to_time(const wwsf_json_val_t *v, int64_t *out)
{
	const char *p, *end;
	uint64_t m = 0;
	int64_t scale = 0, e = 0;
	int dot = 0, eneg = 0;

	if(v->type != WWSF_JSON_NUMBER || v->raw.len == 0 || v->raw.s[0] == '-')
		return -1;
	p = v->raw.s;
	end = p + v->raw.len;
	/* validated grammar: digits [. digits] [e [+-] digits]; keep at most 18
	 * significant digits, more cannot change a value below 2^53 */
	for(; p < end && *p != 'e' && *p != 'E'; p++) {
		if(*p == '.') {
			dot = 1;
		} else if(m < JSON_MANT_MAX) {
			m = m * 10 + (uint64_t)(*p - '0');
			scale -= dot;
		} else if(!dot) {
			scale++;
		}
	}
	if(p < end) {
		p++;
		if(*p == '+' || *p == '-')
			eneg = *p++ == '-';
		for(; p < end; p++) {
			if(e < 1000)
				e = e * 10 + (*p - '0');
		}
	}
	scale += eneg ? -e : e;
	for(; scale > 0 && m > 0; scale--) {
		if(m > (uint64_t)JSON_TIME_MAX)
			return -1;
		m *= 10;
	}
	for(; scale < 0 && m > 0; scale++)
		m /= 10;
	if(m > (uint64_t)JSON_TIME_MAX)
		return -1;
	*out = (int64_t)m;
	return 0;
}
