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

#include "epc_sdp.h"

/* RFC 8866 sec 9 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E /
 * %x30-39 / %x41-5A / %x5E-7E */
static const uint8_t token_tab[256] = {['!'] = 1,
		['#'] = 1,
		['$'] = 1,
		['%'] = 1,
		['&'] = 1,
		['\''] = 1,
		['*'] = 1,
		['+'] = 1,
		['-'] = 1,
		['.'] = 1,
		['0'] = 1,
		['1'] = 1,
		['2'] = 1,
		['3'] = 1,
		['4'] = 1,
		['5'] = 1,
		['6'] = 1,
		['7'] = 1,
		['8'] = 1,
		['9'] = 1,
		['A'] = 1,
		['B'] = 1,
		['C'] = 1,
		['D'] = 1,
		['E'] = 1,
		['F'] = 1,
		['G'] = 1,
		['H'] = 1,
		['I'] = 1,
		['J'] = 1,
		['K'] = 1,
		['L'] = 1,
		['M'] = 1,
		['N'] = 1,
		['O'] = 1,
		['P'] = 1,
		['Q'] = 1,
		['R'] = 1,
		['S'] = 1,
		['T'] = 1,
		['U'] = 1,
		['V'] = 1,
		['W'] = 1,
		['X'] = 1,
		['Y'] = 1,
		['Z'] = 1,
		['^'] = 1,
		['_'] = 1,
		['`'] = 1,
		['a'] = 1,
		['b'] = 1,
		['c'] = 1,
		['d'] = 1,
		['e'] = 1,
		['f'] = 1,
		['g'] = 1,
		['h'] = 1,
		['i'] = 1,
		['j'] = 1,
		['k'] = 1,
		['l'] = 1,
		['m'] = 1,
		['n'] = 1,
		['o'] = 1,
		['p'] = 1,
		['q'] = 1,
		['r'] = 1,
		['s'] = 1,
		['t'] = 1,
		['u'] = 1,
		['v'] = 1,
		['w'] = 1,
		['x'] = 1,
		['y'] = 1,
		['z'] = 1,
		['{'] = 1,
		['|'] = 1,
		['}'] = 1,
		['~'] = 1};

static int is_token_char(unsigned char c)
{
	return token_tab[c];
}

size_t epc_sdp_count_lines(epc_span_t in)
{
	const char *p = in.s, *end = in.s + in.len, *q;
	size_t n = 1;

	while(p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = q + 1;
	}
	return n;
}

/* Lines and "\nm=" (upper bounds of the storage a parse needs). */
static void count_storage(epc_span_t in, size_t *lines, size_t *media)
{
	const char *p = in.s, *end = in.s + in.len, *q;

	*lines = 1;
	*media = 1;
	while(p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		(*lines)++;
		if(q + 1 < end && q[1] == 'm')
			(*media)++;
		p = q + 1;
	}
}

int epc_sdp_token(epc_span_t *rest, epc_span_t *tok)
{
	size_t i = 0, j;

	while(i < rest->len && rest->s[i] == ' ')
		i++;
	if(i == rest->len) {
		rest->s += i;
		rest->len = 0;
		return 0;
	}
	j = i;
	while(j < rest->len && rest->s[j] != ' ')
		j++;
	tok->s = rest->s + i;
	tok->len = j - i;
	rest->s += j;
	rest->len -= j;
	return 1;
}

int epc_sdp_parse_mline(epc_span_t v, epc_sdp_mline_t *m)
{
	epc_span_t port, tok;
	uint64_t n;
	long slash;

	memset(m, 0, sizeof(*m));
	if(!epc_sdp_token(&v, &m->media) || !epc_sdp_token(&v, &port)
			|| !epc_sdp_token(&v, &m->proto))
		return EPC_SDP_E_MLINE;
	/* fmts: the rest without surrounding SP (the only separator) */
	while(v.len > 0 && v.s[0] == ' ') {
		v.s++;
		v.len--;
	}
	while(v.len > 0 && v.s[v.len - 1] == ' ')
		v.len--;
	m->fmts = v;
	/* at least one fmt (RFC 8866 sec 5.14) */
	if(!epc_sdp_token(&v, &tok))
		return EPC_SDP_E_MLINE;
	slash = epc_span_find_byte(port, '/');
	if(slash >= 0) {
		m->nports = epc_span_sub(port, (size_t)slash + 1, port.len);
		port.len = (size_t)slash;
		if(epc_span_to_u64(m->nports, 65535, &n) < 0)
			return EPC_SDP_E_MLINE;
	}
	if(epc_span_to_u64(port, 65535, &n) < 0)
		return EPC_SDP_E_MLINE;
	m->port = port;
	m->port_n = (uint32_t)n;
	return 0;
}

int epc_sdp_parse_cline(epc_span_t v, epc_sdp_cline_t *c)
{
	epc_span_t extra;

	memset(c, 0, sizeof(*c));
	if(!epc_sdp_token(&v, &c->nettype) || !epc_sdp_token(&v, &c->addrtype)
			|| !epc_sdp_token(&v, &c->addr) || epc_sdp_token(&v, &extra))
		return EPC_SDP_E_CLINE;
	return 0;
}

void epc_sdp_attr(const epc_sdp_line_t *l, epc_span_t *name, epc_span_t *value)
{
	epc_span_t v = epc_sdp_value(l);
	long colon = epc_span_find_byte(v, ':');

	if(colon < 0) {
		*name = v;
		value->s = v.s + v.len;
		value->len = 0;
		return;
	}
	name->s = v.s;
	name->len = (size_t)colon;
	value->s = v.s + colon + 1;
	value->len = v.len - (size_t)colon - 1;
}

int epc_sdp_is_attr(const epc_sdp_line_t *l, epc_span_t name)
{
	if(l->type != 'a' || l->len < name.len + 2)
		return 0;
	if(memcmp(l->s + 2, name.s, name.len) != 0)
		return 0;
	return l->len == name.len + 2 || l->s[2 + name.len] == ':';
}

long epc_sdp_find_attr(
		const epc_sdp_t *sdp, uint32_t from, uint32_t end, epc_span_t name)
{
	uint32_t i;

	if(end > sdp->nlines)
		end = sdp->nlines;
	for(i = from; i < end; i++) {
		if(epc_sdp_is_attr(&sdp->lines[i], name))
			return (long)i;
	}
	return -1;
}

static int check_origin(epc_span_t v)
{
	epc_span_t tok;
	int n = 0;

	while(epc_sdp_token(&v, &tok))
		n++;
	return n == 6 ? 0 : EPC_SDP_E_ORIGIN;
}

static int check_attr(epc_span_t v)
{
	size_t i = 0;

	while(i < v.len && v.s[i] != ':') {
		if(!is_token_char((unsigned char)v.s[i]))
			return EPC_SDP_E_ATTR;
		i++;
	}
	return i == 0 ? EPC_SDP_E_ATTR : 0;
}

/* Per-type checks of one line; counts o= and s= of the session part. */
static int check_line(
		const epc_sdp_line_t *l, int in_session, int *n_o, int *n_s, int first)
{
	epc_span_t v = epc_sdp_value(l);
	epc_sdp_mline_t m;
	epc_sdp_cline_t c;

	if(first)
		return (l->type == 'v' && v.len == 1 && v.s[0] == '0')
					   ? 0
					   : EPC_SDP_E_VERSION;
	switch(l->type) {
		case 'v':
			return EPC_SDP_E_VERSION;
		case 'o':
			if(!in_session || (*n_o)++ > 0)
				return EPC_SDP_E_ORIGIN;
			return check_origin(v);
		case 's':
			if(!in_session || (*n_s)++ > 0)
				return EPC_SDP_E_SESSION;
			return 0;
		case 'm':
			return epc_sdp_parse_mline(v, &m);
		case 'c':
			return epc_sdp_parse_cline(v, &c);
		case 'a':
			return check_attr(v);
		default:
			return 0;
	}
}

/* Find the end of the line starting at p; validates its bytes. */
static int scan_line(const char *p, const char *end, epc_sdp_line_t *l)
{
	const char *q = p;

	/* the line end by memchr (fast), then no NUL / CR inside it */
	q = memchr(p, '\n', (size_t)(end - p));
	if(q == NULL)
		q = end;
	if(memchr(p, '\0', (size_t)(q - p)) != NULL)
		return EPC_SDP_E_LINE;
	if(q < end && q > p && q[-1] == '\r')
		q--;
	if(memchr(p, '\r', (size_t)(q - p)) != NULL)
		return EPC_SDP_E_LINE;
	l->s = p;
	l->len = (uint32_t)(q - p);
	if(q == end)
		l->eol = 0;
	else if(*q == '\n')
		l->eol = 1;
	else
		l->eol = 2; /* CR LF */
	if(l->len < 2 || l->s[0] < 'a' || l->s[0] > 'z' || l->s[1] != '=')
		return EPC_SDP_E_LINE;
	l->type = l->s[0];
	return 0;
}

/* The rest is only line ends: it is the tail. */
static int blank_tail(const char *p, const char *end)
{
	while(p < end) {
		if(*p == '\n')
			p++;
		else if(*p == '\r' && p + 1 < end && p[1] == '\n')
			p += 2;
		else
			return 0;
	}
	return 1;
}

static int fail(epc_sdp_err_t *err, int code, size_t off)
{
	if(err) {
		err->code = code;
		err->offset = off;
	}
	return code;
}

int epc_sdp_parse(epc_span_t in, epc_sdp_line_t *lines, size_t max_lines,
		epc_sdp_media_t *media, size_t max_media, epc_sdp_t *sdp,
		epc_sdp_err_t *err)
{
	const char *p = in.s, *end = in.s + in.len;
	int n_o = 0, n_s = 0, rc;
	epc_sdp_line_t *l;

	memset(sdp, 0, sizeof(*sdp));
	if(in.len == 0 || in.s == NULL)
		return fail(err, EPC_SDP_E_EMPTY, 0);
	if(in.len > EPC_SDP_MAX_SIZE)
		return fail(err, EPC_SDP_E_TOOBIG, 0);
	sdp->src = in;
	sdp->lines = lines;
	sdp->media = media;
	while(p < end) {
		if(*p == '\n' || *p == '\r') {
			if(sdp->nlines > 0 && blank_tail(p, end)) {
				sdp->tail.s = p;
				sdp->tail.len = (size_t)(end - p);
				break;
			}
			return fail(err, sdp->nlines ? EPC_SDP_E_BLANK : EPC_SDP_E_VERSION,
					(size_t)(p - in.s));
		}
		if(sdp->nlines >= max_lines)
			return fail(err, EPC_SDP_E_TOOMANY, (size_t)(p - in.s));
		l = &lines[sdp->nlines];
		rc = scan_line(p, end, l);
		if(rc == 0)
			rc = check_line(l, sdp->nmedia == 0, &n_o, &n_s, sdp->nlines == 0);
		if(rc < 0)
			return fail(err, rc, (size_t)(p - in.s));
		if(l->type == 'm') {
			if(sdp->nmedia >= max_media)
				return fail(err, EPC_SDP_E_TOOMANY, (size_t)(p - in.s));
			if(sdp->nmedia == 0)
				sdp->sess_end = sdp->nlines;
			else
				media[sdp->nmedia - 1].end = sdp->nlines;
			media[sdp->nmedia].first = sdp->nlines;
			sdp->nmedia++;
		}
		sdp->nlines++;
		p += l->len + l->eol;
	}
	if(sdp->nmedia == 0)
		sdp->sess_end = sdp->nlines;
	else
		media[sdp->nmedia - 1].end = sdp->nlines;
	if(n_o != 1)
		return fail(err, EPC_SDP_E_ORIGIN, 0);
	if(n_s != 1)
		return fail(err, EPC_SDP_E_SESSION, 0);
	sdp->crlf = lines[0].eol != 1;
	return 0;
}

int epc_sdp_parse_alloc(
		epc_span_t in, const epc_alloc_t *a, epc_sdp_t *sdp, epc_sdp_err_t *err)
{
	size_t n, nm;
	void *mem;
	int rc;

	memset(sdp, 0, sizeof(*sdp));
	if(in.len > EPC_SDP_MAX_SIZE)
		return fail(err, EPC_SDP_E_TOOBIG, 0);
	count_storage(in, &n, &nm);
	mem = epc_alloc(
			a, n * sizeof(epc_sdp_line_t) + nm * sizeof(epc_sdp_media_t));
	if(mem == NULL)
		return fail(err, EPC_SDP_E_NOMEM, 0);
	rc = epc_sdp_parse(in, (epc_sdp_line_t *)mem, n,
			(epc_sdp_media_t *)((char *)mem + n * sizeof(epc_sdp_line_t)), nm,
			sdp, err);
	sdp->lines = (epc_sdp_line_t *)mem; /* so epc_sdp_free() finds it */
	if(rc < 0) {
		epc_free(a, mem);
		memset(sdp, 0, sizeof(*sdp));
	}
	return rc;
}

void epc_sdp_free(epc_sdp_t *sdp, const epc_alloc_t *a)
{
	if(sdp == NULL)
		return;
	epc_free(a, sdp->lines);
	memset(sdp, 0, sizeof(*sdp));
}

void epc_sdp_out_init(epc_sdp_out_t *o, char *buf, size_t size, int crlf)
{
	o->s = buf;
	o->size = size;
	o->len = 0;
	o->crlf = crlf;
	o->open = 0;
}

static void out_raw(epc_sdp_out_t *o, const char *s, size_t n)
{
	if(o->len + n <= o->size)
		memcpy(o->s + o->len, s, n);
	else if(o->len < o->size)
		memcpy(o->s + o->len, s, o->size - o->len);
	o->len += n;
}

void epc_sdp_out_bytes(epc_sdp_out_t *o, const char *s, size_t n)
{
	if(n == 0)
		return;
	if(o->open) {
		o->open = 0;
		out_raw(o, o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
	}
	out_raw(o, s, n);
}

void epc_sdp_out_line(epc_sdp_out_t *o, const epc_sdp_line_t *l)
{
	static const char crlf[2] = {'\r', '\n'};

	epc_sdp_out_bytes(o, l->s, l->len);
	epc_sdp_out_bytes(o, l->eol == 1 ? crlf + 1 : crlf, l->eol);
	if(l->eol == 0)
		o->open = 1;
}

void epc_sdp_out_new(epc_sdp_out_t *o, epc_span_t a, epc_span_t b, epc_span_t c)
{
	epc_sdp_out_bytes(o, a.s, a.len);
	epc_sdp_out_bytes(o, b.s, b.len);
	epc_sdp_out_bytes(o, c.s, c.len);
	epc_sdp_out_bytes(o, o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
}

size_t epc_sdp_print(const epc_sdp_t *sdp, char *buf, size_t size)
{
	epc_sdp_out_t o;
	uint32_t i;

	epc_sdp_out_init(&o, buf, size, sdp->crlf);
	for(i = 0; i < sdp->nlines; i++)
		epc_sdp_out_line(&o, &sdp->lines[i]);
	epc_sdp_out_bytes(&o, sdp->tail.s, sdp->tail.len);
	return o.len;
}

const char *epc_sdp_strerror(int code)
{
	switch(code) {
		case 0:
			return "ok";
		case EPC_SDP_E_EMPTY:
			return "empty SDP";
		case EPC_SDP_E_VERSION:
			return "first line is not v=0";
		case EPC_SDP_E_LINE:
			return "malformed line";
		case EPC_SDP_E_BLANK:
			return "empty line inside the SDP";
		case EPC_SDP_E_MLINE:
			return "malformed m= line";
		case EPC_SDP_E_CLINE:
			return "malformed c= line";
		case EPC_SDP_E_ATTR:
			return "malformed a= line";
		case EPC_SDP_E_ORIGIN:
			return "o= line missing, repeated or malformed";
		case EPC_SDP_E_SESSION:
			return "s= line missing or repeated";
		case EPC_SDP_E_TOOMANY:
			return "too many lines or media sections";
		case EPC_SDP_E_NOMEM:
			return "out of memory";
		case EPC_SDP_E_TOOBIG:
			return "SDP too large";
		default:
			return "unknown error";
	}
}
