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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "epc_wwsf_registry.h"

/* No network, no DTD loading, no entity substitution, no libxml2 output on
 * stderr (errors are taken from the contexts), line numbers > 65535. */
#define PARSE_OPTS                                             \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING \
			| XML_PARSE_BIG_LINES)

#define CHUNK_MIN 8192
#define ALIGN 16

struct epc_wwsf_schema
{
	xmlSchemaPtr schema;
};

/* --- arena: all of a registry, in chunks from the caller's allocator --- */

typedef struct chunk
{
	struct chunk *next;
	size_t size;
	size_t used;
	size_t pad_;
} chunk_t;

typedef struct arena
{
	const epc_alloc_t *a;
	chunk_t *head;
	size_t bytes;
} arena_t;

static void *arena_alloc(arena_t *ar, size_t n)
{
	chunk_t *c = ar->head;
	char *p;

	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if(c == NULL || c->size - c->used < n) {
		size_t sz = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = epc_alloc(ar->a, sizeof(chunk_t) + sz);
		if(c == NULL)
			return NULL;
		c->next = ar->head;
		c->size = sz;
		c->used = 0;
		ar->head = c;
		ar->bytes += sizeof(chunk_t) + sz;
	}
	p = (char *)(c + 1) + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(arena_t *ar)
{
	chunk_t *c = ar->head, *next;

	while(c) {
		next = c->next;
		epc_free(ar->a, c);
		c = next;
	}
	ar->head = NULL;
}

/* --- loader state, errors --- */

typedef struct ld
{
	arena_t ar;
	const char *name;
	const char *key_dir;
	char *err;
	size_t errlen;
} ld_t;

static int fail(ld_t *ld, int rc, long line, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));

static int fail(ld_t *ld, int rc, long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if(ld->err == NULL || ld->errlen == 0)
		return rc;
	if(line > 0)
		n = snprintf(ld->err, ld->errlen, "%s:%ld: ", ld->name, line);
	else
		n = snprintf(ld->err, ld->errlen, "%s: ", ld->name);
	if(n < 0 || (size_t)n >= ld->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int nomem(ld_t *ld)
{
	return fail(ld, EPC_WWSF_E_NOMEM, 0, "out of memory");
}

/* libxml2 messages end with '\n' and may carry any byte of the input */
static void clean_msg(const char *in, char *out, size_t size)
{
	size_t i, o = 0;

	for(i = 0; in && in[i] && o + 1 < size; i++) {
		unsigned char c = (unsigned char)in[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	while(o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

typedef struct first_error
{
	int set;
	long line;
	char msg[256];
} first_error_t;

static void on_xml_error(void *ctx, xmlErrorPtr e)
{
	first_error_t *fe = ctx;

	if(fe->set || e == NULL || e->level < XML_ERR_ERROR)
		return;
	fe->set = 1;
	fe->line = e->line;
	clean_msg(e->message, fe->msg, sizeof(fe->msg));
}

/* --- small helpers over the DOM --- */

static int is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE
		   && (name == NULL || xmlStrEqual(n->name, BAD_CAST name));
}

static size_t count_elems(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c;
	size_t n = 0;

	for(c = parent->children; c; c = c->next)
		n += is_elem(c, name);
	return n;
}

static xmlNodePtr first_elem(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c;

	for(c = parent->children; c; c = c->next) {
		if(is_elem(c, name))
			return c;
	}
	return NULL;
}

static long line_of(xmlNodePtr n)
{
	return n ? xmlGetLineNo(n) : 0;
}

static epc_span_t trim_xml(const char *s)
{
	epc_span_t r = epc_span_cstr(s);
	return epc_span_trim(r);
}

/* copy into the arena, NUL-terminated; lower-cases when asked */
static int arena_span(ld_t *ld, epc_span_t in, int lower, epc_span_t *out)
{
	char *p = arena_alloc(&ld->ar, in.len + 1);
	size_t i;

	if(p == NULL)
		return nomem(ld);
	for(i = 0; i < in.len; i++)
		p[i] = lower ? epc_lower(in.s[i]) : in.s[i];
	p[in.len] = '\0';
	out->s = p;
	out->len = in.len;
	return 0;
}

/* trimmed text content of an element (empty if none) */
static int elem_text(ld_t *ld, xmlNodePtr n, epc_span_t *out)
{
	xmlChar *t = xmlNodeGetContent(n);
	int rc;

	rc = arena_span(ld, trim_xml((const char *)t), 0, out);
	xmlFree(t);
	return rc;
}

/* trimmed attribute value; *found = 0 and "" if absent */
static int attr_text(
		ld_t *ld, xmlNodePtr n, const char *name, epc_span_t *out, int *found)
{
	xmlChar *t = xmlGetProp(n, BAD_CAST name);
	int rc;

	*found = t != NULL;
	rc = arena_span(ld, trim_xml((const char *)t), 0, out);
	xmlFree(t);
	return rc;
}

/* xs:boolean */
static int attr_bool(
		ld_t *ld, xmlNodePtr n, const char *name, int dflt, int *out)
{
	epc_span_t v;
	int found, rc;

	rc = attr_text(ld, n, name, &v, &found);
	if(rc < 0)
		return rc;
	if(!found)
		*out = dflt;
	else if(epc_span_eq(v, EPC_SPAN_LIT("true"))
			|| epc_span_eq(v, EPC_SPAN_LIT("1")))
		*out = 1;
	else if(epc_span_eq(v, EPC_SPAN_LIT("false"))
			|| epc_span_eq(v, EPC_SPAN_LIT("0")))
		*out = 0;
	else
		return fail(ld, EPC_WWSF_E_INVALID, line_of(n),
				"%s=\"%s\" is not a boolean", name, v.s);
	return 0;
}

static int span_u32(epc_span_t v, uint32_t max, uint32_t *out)
{
	uint64_t u;

	if(epc_span_to_u64(v, max, &u) < 0)
		return -1;
	*out = (uint32_t)u;
	return 0;
}

/* --- origins --- */

static int build_origin(ld_t *ld, xmlNodePtr n, epc_wwsf_origin_t *o)
{
	char buf[EPC_ORIGIN_FMT_MAX];
	epc_span_t text;
	int rc, insecure;

	rc = elem_text(ld, n, &text);
	if(rc < 0)
		return rc;
	rc = attr_bool(ld, n, "allow-insecure", 0, &insecure);
	if(rc < 0)
		return rc;
	o->line = (unsigned)line_of(n);
	rc = epc_origin_parse_pattern(text, &o->origin);
	if(rc < 0)
		return fail(ld, EPC_WWSF_E_INVALID, o->line, "origin '%s': %s", text.s,
				epc_origin_strerror(rc));
	if(epc_span_eq(epc_span_cstr(o->origin.scheme), EPC_SPAN_LIT("http"))) {
		if(!insecure)
			return fail(ld, EPC_WWSF_E_INVALID, o->line,
					"origin '%s' is not https (set allow-insecure=\"true\" "
					"to accept it)",
					text.s);
		o->insecure = 1;
	} else if(!epc_span_eq(
					  epc_span_cstr(o->origin.scheme), EPC_SPAN_LIT("https"))) {
		return fail(ld, EPC_WWSF_E_INVALID, o->line,
				"origin '%s': scheme must be https or http", text.s);
	}
	if(epc_origin_format(&o->origin, buf, sizeof(buf)) < 0)
		return fail(ld, EPC_WWSF_E_INVALID, o->line, "origin too long");
	return arena_span(ld, epc_span_cstr(buf), 0, &o->text);
}

static int build_origins(ld_t *ld, xmlNodePtr wn, epc_wwsf_t *w)
{
	epc_wwsf_origin_t *arr;
	xmlNodePtr c;
	size_t n = count_elems(wn, "origin"), i = 0;
	int rc;

	if(n == 0)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(wn),
				"WWSF '%s' has no origin", w->id.s);
	if(n > EPC_WWSF_MAX_ORIGINS)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(wn),
				"WWSF '%s' has %zu origins, the limit is %d", w->id.s, n,
				EPC_WWSF_MAX_ORIGINS);
	arr = arena_alloc(&ld->ar, n * sizeof(*arr));
	if(arr == NULL)
		return nomem(ld);
	for(c = wn->children; c; c = c->next) {
		if(!is_elem(c, "origin"))
			continue;
		rc = build_origin(ld, c, &arr[i++]);
		if(rc < 0)
			return rc;
	}
	w->origins = arr;
	w->n_origins = n;
	return 0;
}

/* --- keys --- */

static int read_key_file(ld_t *ld, long line, epc_span_t file, char **out,
		size_t *outlen, epc_span_t *path)
{
	char fn[PATH_MAX];
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd, n;

	if(ld->key_dir == NULL)
		return fail(ld, EPC_WWSF_E_INVALID, line,
				"key file '%s': key files are not allowed here", file.s);
	if(file.s[0] == '/')
		n = snprintf(fn, sizeof(fn), "%s", file.s);
	else
		n = snprintf(fn, sizeof(fn), "%s/%s", ld->key_dir, file.s);
	if(n < 0 || (size_t)n >= sizeof(fn))
		return fail(ld, EPC_WWSF_E_INVALID, line, "key file name too long");
	fd = open(fn, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if(fd < 0)
		return fail(ld, EPC_WWSF_E_IO, line, "key file '%s': %s", fn,
				strerror(errno));
	if(fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)
			|| st.st_size > (off_t)EPC_WWSF_MAX_KEY_FILE) {
		close(fd);
		return fail(ld, EPC_WWSF_E_IO, line,
				"key file '%s': not a regular file of at most %u bytes", fn,
				EPC_WWSF_MAX_KEY_FILE);
	}
	*out = malloc((size_t)st.st_size + 1);
	if(*out == NULL) {
		close(fd);
		return nomem(ld);
	}
	while(got < (size_t)st.st_size) {
		r = read(fd, *out + got, (size_t)st.st_size - got);
		if(r < 0 && errno == EINTR)
			continue;
		if(r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	(*out)[got] = '\0';
	*outlen = got;
	return arena_span(ld, epc_span_cstr(fn), 0, path);
}

/* one PEM "PUBLIC KEY" block and nothing else; *why on failure */
static int check_pem(epc_span_t pem, const char **why)
{
	static const epc_span_t begin = EPC_SPAN_LIT("-----BEGIN ");
	static const epc_span_t end = EPC_SPAN_LIT("-----END PUBLIC KEY-----");
	static const epc_span_t head = EPC_SPAN_LIT("-----BEGIN PUBLIC KEY-----");
	size_t i;

	pem = epc_span_trim(pem);
	if(!epc_span_has_prefix(pem, begin, 0)) {
		*why = "is not PEM (no -----BEGIN line)";
		return -1;
	}
	for(i = begin.len; i + 7 <= pem.len && pem.s[i] != '-'; i++) {
		if(epc_span_has_prefix(
				   epc_span_sub(pem, i, pem.len), EPC_SPAN_LIT("PRIVATE"), 0)) {
			*why = "is a private key; the registry takes the public key "
				   "(openssl pkey -pubout)";
			return -1;
		}
	}
	if(!epc_span_has_prefix(pem, head, 0)) {
		*why = "is not a PEM PUBLIC KEY (SubjectPublicKeyInfo)";
		return -1;
	}
	if(pem.len < head.len + end.len
			|| !epc_span_eq(
					epc_span_sub(pem, pem.len - end.len, end.len), end)) {
		*why = "does not end with -----END PUBLIC KEY----- (one key per "
			   "<key>)";
		return -1;
	}
	for(i = head.len; i < pem.len - end.len; i++) {
		char c = pem.s[i];
		if(!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
				   || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='
				   || c == '\r' || c == '\n' || c == ' ' || c == '\t')) {
			*why = "has bytes other than base64 between BEGIN and END";
			return -1;
		}
	}
	if(epc_span_trim(epc_span_sub(pem, head.len, pem.len - end.len - head.len))
					.len
			< 16) {
		*why = "has no key data";
		return -1;
	}
	return 0;
}

/* PEM text: trimmed, with a final newline */
static int store_pem(ld_t *ld, epc_span_t pem, epc_span_t *out)
{
	char *p;

	pem = epc_span_trim(pem);
	p = arena_alloc(&ld->ar, pem.len + 2);
	if(p == NULL)
		return nomem(ld);
	memcpy(p, pem.s, pem.len);
	p[pem.len] = '\n';
	p[pem.len + 1] = '\0';
	out->s = p;
	out->len = pem.len + 1;
	return 0;
}

static int build_key(
		ld_t *ld, xmlNodePtr n, const epc_wwsf_t *w, epc_wwsf_key_t *k)
{
	epc_span_t alg, file, text;
	char *buf = NULL;
	size_t blen = 0;
	const char *why = NULL;
	int found, has_file, rc;

	k->line = (unsigned)line_of(n);
	rc = attr_text(ld, n, "kid", &k->kid, &found);
	if(rc == 0)
		rc = attr_text(ld, n, "alg", &alg, &found);
	if(rc == 0)
		rc = attr_text(ld, n, "file", &file, &has_file);
	if(rc == 0)
		rc = elem_text(ld, n, &text);
	if(rc < 0)
		return rc;
	if(k->kid.len == 0)
		return fail(ld, EPC_WWSF_E_INVALID, k->line, "key without kid");
	k->alg = epc_jws_alg_from_name(alg);
	if(k->alg == 0 || !(k->alg & w->algs))
		return fail(ld, EPC_WWSF_E_INVALID, k->line,
				"key '%s': alg '%s' is not in <algorithms>", k->kid.s, alg.s);
	if(has_file && text.len > 0)
		return fail(ld, EPC_WWSF_E_INVALID, k->line,
				"key '%s': give the PEM inline or in file=, not both",
				k->kid.s);
	if(has_file) {
		rc = read_key_file(
				ld, k->line, file, &buf, &blen, (epc_span_t *)&k->file);
		if(rc < 0)
			return rc;
		text.s = buf;
		text.len = blen;
	} else {
		k->file = EPC_SPAN_LIT("");
	}
	if(check_pem(text, &why) < 0)
		rc = fail(ld, EPC_WWSF_E_INVALID, k->line, "key '%s'%s%s%s %s",
				k->kid.s, has_file ? " (" : "", has_file ? k->file.s : "",
				has_file ? ")" : "", why);
	if(rc == 0)
		rc = store_pem(ld, text, &k->pem);
	free(buf);
	return rc;
}

static int build_keys(ld_t *ld, xmlNodePtr tn, epc_wwsf_t *w)
{
	epc_wwsf_key_t *arr;
	xmlNodePtr c;
	size_t n = count_elems(tn, "key"), i = 0, j;
	int rc;

	if(n == 0 || n > EPC_WWSF_MAX_KEYS)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(tn),
				"WWSF '%s' needs 1 to %d keys, has %zu", w->id.s,
				EPC_WWSF_MAX_KEYS, n);
	arr = arena_alloc(&ld->ar, n * sizeof(*arr));
	if(arr == NULL)
		return nomem(ld);
	for(c = tn->children; c; c = c->next) {
		if(!is_elem(c, "key"))
			continue;
		rc = build_key(ld, c, w, &arr[i]);
		if(rc < 0)
			return rc;
		for(j = 0; j < i; j++) {
			if(epc_span_eq(arr[j].kid, arr[i].kid))
				return fail(ld, EPC_WWSF_E_INVALID, arr[i].line,
						"WWSF '%s': kid '%s' already used at line %u", w->id.s,
						arr[i].kid.s, arr[j].line);
		}
		i++;
	}
	w->keys = arr;
	w->n_keys = n;
	return 0;
}

/* --- token --- */

static int build_algs(ld_t *ld, xmlNodePtr n, epc_wwsf_t *w)
{
	epc_span_t all, tok;
	size_t i, start;
	unsigned bit;
	int rc;

	rc = elem_text(ld, n, &all);
	if(rc < 0)
		return rc;
	for(i = 0; i <= all.len; i++) {
		if(i < all.len && all.s[i] != ' ' && all.s[i] != '\t'
				&& all.s[i] != '\r' && all.s[i] != '\n')
			continue;
		for(start = i;
				start > 0 && all.s[start - 1] != ' ' && all.s[start - 1] != '\t'
				&& all.s[start - 1] != '\r' && all.s[start - 1] != '\n';
				start--)
			;
		tok = epc_span_sub(all, start, i - start);
		if(tok.len == 0)
			continue;
		bit = epc_jws_alg_from_name(tok);
		if(bit == 0)
			return fail(ld, EPC_WWSF_E_INVALID, line_of(n),
					"algorithm '%.*s' is not allowed", (int)tok.len, tok.s);
		w->algs |= bit;
	}
	if(w->algs == 0)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(n), "no algorithm");
	return 0;
}

static int build_audiences(ld_t *ld, xmlNodePtr tn, epc_wwsf_t *w)
{
	epc_span_t *arr;
	xmlNodePtr c;
	size_t n = count_elems(tn, "audience"), i = 0;
	int rc;

	if(n == 0 || n > EPC_WWSF_MAX_AUDIENCES)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(tn),
				"WWSF '%s' needs 1 to %d audiences, has %zu", w->id.s,
				EPC_WWSF_MAX_AUDIENCES, n);
	arr = arena_alloc(&ld->ar, n * sizeof(*arr));
	if(arr == NULL)
		return nomem(ld);
	for(c = tn->children; c; c = c->next) {
		if(!is_elem(c, "audience"))
			continue;
		rc = elem_text(ld, c, &arr[i]);
		if(rc < 0)
			return rc;
		if(arr[i++].len == 0)
			return fail(ld, EPC_WWSF_E_INVALID, line_of(c), "empty audience");
	}
	w->audiences = arr;
	w->n_audiences = n;
	return 0;
}

static int build_token(ld_t *ld, xmlNodePtr tn, epc_wwsf_t *w)
{
	xmlNodePtr iss = first_elem(tn, "issuer"),
			   algs = first_elem(tn, "algorithms");
	xmlNodePtr life = first_elem(tn, "max-lifetime");
	xmlNodePtr authz = first_elem(tn, "authz-server");
	epc_span_t v;
	int rc;

	if(iss == NULL || algs == NULL || life == NULL)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(tn),
				"<token> needs issuer, algorithms and max-lifetime");
	w->has_token = 1;
	rc = elem_text(ld, iss, &w->issuer);
	if(rc == 0 && w->issuer.len == 0)
		rc = fail(ld, EPC_WWSF_E_INVALID, line_of(iss), "empty issuer");
	if(rc == 0)
		rc = build_audiences(ld, tn, w);
	if(rc == 0)
		rc = build_algs(ld, algs, w);
	if(rc == 0)
		rc = elem_text(ld, life, &v);
	if(rc == 0
			&& (span_u32(v, 86400, &w->max_lifetime) < 0
					|| w->max_lifetime == 0))
		rc = fail(ld, EPC_WWSF_E_INVALID, line_of(life),
				"max-lifetime must be 1..86400 seconds");
	if(rc == 0 && authz)
		rc = elem_text(ld, authz, &w->authz_server);
	else if(rc == 0)
		w->authz_server = EPC_SPAN_LIT("");
	if(rc == 0)
		rc = build_keys(ld, tn, w);
	return rc;
}

/* --- identities --- */

static size_t count_byte(epc_span_t s, char c)
{
	size_t i, n = 0;

	for(i = 0; i < s.len; i++)
		n += s.s[i] == c;
	return n;
}

/* lower-case scheme (before ':') and host/realm (after '@') in place */
static void lower_parts(char *p, size_t len, int has_scheme)
{
	size_t i;
	long at = epc_span_find_byte((epc_span_t){p, len}, '@');

	for(i = 0; has_scheme && i < len && p[i] != ':'; i++)
		p[i] = epc_lower(p[i]);
	for(i = at < 0 ? len : (size_t)at; i < len; i++)
		p[i] = epc_lower(p[i]);
}

static int check_rule(ld_t *ld, epc_wwsf_idrule_t *r)
{
	epc_span_t v = r->value;
	int tel = epc_span_has_prefix(v, EPC_SPAN_LIT("tel:"), 1);
	int sip = epc_span_has_prefix(v, EPC_SPAN_LIT("sip:"), 1)
			  || epc_span_has_prefix(v, EPC_SPAN_LIT("sips:"), 1);

	if(v.len == 0)
		return fail(ld, EPC_WWSF_E_INVALID, r->line, "empty identity rule");
	if(r->type == EPC_WWSF_RULE_PATTERN) {
		if(count_byte(v, '*') > 8)
			return fail(ld, EPC_WWSF_E_INVALID, r->line,
					"identity pattern '%s' has more than 8 '*'", v.s);
		if(r->kind == EPC_WWSF_IMPU && !tel && !sip)
			return fail(ld, EPC_WWSF_E_INVALID, r->line,
					"IMPU pattern '%s' must start with sip:, sips: or tel:",
					v.s);
		if((r->kind == EPC_WWSF_IMPI || sip) && count_byte(v, '@') != 1)
			return fail(ld, EPC_WWSF_E_INVALID, r->line,
					"identity pattern '%s' needs exactly one '@'", v.s);
		if(tel && count_byte(v, '@') != 0)
			return fail(ld, EPC_WWSF_E_INVALID, r->line,
					"tel pattern '%s' cannot have '@'", v.s);
		lower_parts((char *)v.s, v.len, r->kind == EPC_WWSF_IMPU);
	}
	return 0;
}

static int rule_kind(xmlNodePtr c, epc_wwsf_idrule_t *r)
{
	static const struct
	{
		const char *name;
		epc_wwsf_idkind_t kind;
		epc_wwsf_ruletype_t type;
	} map[] = {{"impu-domain", EPC_WWSF_IMPU, EPC_WWSF_RULE_DOMAIN},
			{"impu", EPC_WWSF_IMPU, EPC_WWSF_RULE_PATTERN},
			{"impu-tel-prefix", EPC_WWSF_IMPU, EPC_WWSF_RULE_TEL_PREFIX},
			{"impi-domain", EPC_WWSF_IMPI, EPC_WWSF_RULE_DOMAIN},
			{"impi", EPC_WWSF_IMPI, EPC_WWSF_RULE_PATTERN}};
	size_t i;

	for(i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if(is_elem(c, map[i].name)) {
			r->kind = map[i].kind;
			r->type = map[i].type;
			return 0;
		}
	}
	return -1;
}

static int build_rules(ld_t *ld, xmlNodePtr in, epc_wwsf_t *w)
{
	epc_wwsf_idrule_t *arr;
	xmlNodePtr c;
	size_t n = count_elems(in, NULL), i = 0;
	epc_span_t v;
	int rc;

	if(n > EPC_WWSF_MAX_RULES)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(in),
				"WWSF '%s' has %zu identity rules, the limit is %d", w->id.s, n,
				EPC_WWSF_MAX_RULES);
	arr = arena_alloc(&ld->ar, (n ? n : 1) * sizeof(*arr));
	if(arr == NULL)
		return nomem(ld);
	for(c = in->children; c; c = c->next) {
		if(!is_elem(c, NULL))
			continue;
		arr[i].line = (unsigned)line_of(c);
		if(rule_kind(c, &arr[i]) < 0)
			return fail(ld, EPC_WWSF_E_INVALID, arr[i].line,
					"unknown identity rule <%s>", (const char *)c->name);
		rc = elem_text(ld, c, &v);
		if(rc < 0)
			return rc;
		if(arr[i].type == EPC_WWSF_RULE_DOMAIN)
			lower_parts((char *)v.s, v.len, 1);
		arr[i].value = v;
		rc = check_rule(ld, &arr[i]);
		if(rc < 0)
			return rc;
		i++;
	}
	w->rules = arr;
	w->n_rules = n;
	return 0;
}

/* --- one WWSF --- */

static int build_wwsf(ld_t *ld, xmlNodePtr wn, epc_wwsf_t *w)
{
	xmlNodePtr desc = first_elem(wn, "description");
	xmlNodePtr tok = first_elem(wn, "token");
	xmlNodePtr ids = first_elem(wn, "identities");
	epc_span_t v;
	int found, rc;

	w->line = (unsigned)line_of(wn);
	rc = attr_text(ld, wn, "id", &w->id, &found);
	if(rc < 0)
		return rc;
	if(w->id.len == 0 || w->id.len > EPC_WWSF_ID_MAX)
		return fail(ld, EPC_WWSF_E_INVALID, w->line,
				"WWSF id must be 1..%d characters", EPC_WWSF_ID_MAX);
	rc = attr_bool(ld, wn, "enabled", 1, &w->enabled);
	if(rc == 0)
		rc = attr_text(ld, wn, "max-connections", &v, &found);
	if(rc < 0)
		return rc;
	if(found && span_u32(v, UINT32_MAX, &w->max_connections) < 0)
		return fail(ld, EPC_WWSF_E_INVALID, w->line,
				"max-connections=\"%s\" is not a number", v.s);
	if(desc)
		rc = elem_text(ld, desc, &w->description);
	else
		w->description = EPC_SPAN_LIT("");
	if(rc == 0)
		rc = build_origins(ld, wn, w);
	if(rc == 0 && tok)
		rc = build_token(ld, tok, w);
	if(rc == 0 && !tok) {
		w->issuer = EPC_SPAN_LIT("");
		w->authz_server = EPC_SPAN_LIT("");
	}
	if(rc == 0 && ids)
		rc = build_rules(ld, ids, w);
	return rc;
}

/* --- the whole registry --- */

typedef struct oref
{
	const epc_wwsf_origin_t *o;
	const epc_wwsf_t *w;
} oref_t;

static int oref_cmp(const void *a, const void *b)
{
	const oref_t *x = a, *y = b;
	size_t n =
			x->o->text.len < y->o->text.len ? x->o->text.len : y->o->text.len;
	int c = memcmp(x->o->text.s, y->o->text.s, n);

	if(c)
		return c;
	if(x->o->text.len != y->o->text.len)
		return x->o->text.len < y->o->text.len ? -1 : 1;
	return x->o->line < y->o->line ? -1 : (x->o->line > y->o->line);
}

/* the same origin (or pattern) twice would make its WWSF ambiguous */
static int check_duplicates(ld_t *ld, epc_wwsf_registry_t *r)
{
	oref_t *all;
	size_t i, j, n = 0;
	int rc = 0;

	if(r->n_origins < 2)
		return 0;
	all = malloc(r->n_origins * sizeof(*all));
	if(all == NULL)
		return nomem(ld);
	for(i = 0; i < r->n_wwsf; i++) {
		for(j = 0; j < r->wwsf[i].n_origins; j++) {
			all[n].o = &r->wwsf[i].origins[j];
			all[n++].w = &r->wwsf[i];
		}
	}
	qsort(all, n, sizeof(*all), oref_cmp);
	for(i = 1; i < n && rc == 0; i++) {
		if(epc_span_eq(all[i].o->text, all[i - 1].o->text))
			rc = fail(ld, EPC_WWSF_E_INVALID, all[i].o->line,
					"origin '%s' is already listed at line %u (WWSF '%s')",
					all[i].o->text.s, all[i - 1].o->line, all[i - 1].w->id.s);
	}
	free(all);
	return rc;
}

static int build(ld_t *ld, xmlDocPtr doc, epc_wwsf_registry_t *r)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), c;
	epc_wwsf_t *arr;
	size_t n, i = 0;
	int rc;

	if(root == NULL || !is_elem(root, "wwsf-registry"))
		return fail(ld, EPC_WWSF_E_INVALID, line_of(root),
				"root element must be <wwsf-registry>");
	n = count_elems(root, "wwsf");
	if(n > EPC_WWSF_MAX_WWSF)
		return fail(ld, EPC_WWSF_E_INVALID, line_of(root),
				"%zu WWSFs, the limit is %d", n, EPC_WWSF_MAX_WWSF);
	arr = arena_alloc(&ld->ar, (n ? n : 1) * sizeof(*arr));
	if(arr == NULL)
		return nomem(ld);
	r->wwsf = arr;
	for(c = root->children; c; c = c->next) {
		if(!is_elem(c, "wwsf"))
			continue;
		rc = build_wwsf(ld, c, &arr[i]);
		if(rc < 0)
			return rc;
		r->n_origins += arr[i].n_origins;
		r->n_wwsf = ++i;
	}
	return check_duplicates(ld, r);
}

static int validate(ld_t *ld, xmlDocPtr doc, const epc_wwsf_schema_t *s)
{
	xmlSchemaValidCtxtPtr v;
	first_error_t fe;
	int rc;

	memset(&fe, 0, sizeof(fe));
	v = xmlSchemaNewValidCtxt(s->schema);
	if(v == NULL)
		return nomem(ld);
	xmlSchemaSetValidStructuredErrors(v, on_xml_error, &fe);
	rc = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if(rc == 0)
		return 0;
	if(rc < 0)
		return fail(ld, EPC_WWSF_E_SCHEMA, 0, "schema validation failed");
	return fail(ld, EPC_WWSF_E_SCHEMA, fe.line, "schema: %s",
			fe.set ? fe.msg : "document is not valid");
}

static xmlDocPtr parse_doc(ld_t *ld, const char *buf, size_t len, int *rc)
{
	xmlParserCtxtPtr p = xmlNewParserCtxt();
	xmlDocPtr doc;
	xmlErrorPtr e;
	char msg[256];

	if(p == NULL) {
		*rc = nomem(ld);
		return NULL;
	}
	doc = xmlCtxtReadMemory(p, buf, (int)len, ld->name, NULL, PARSE_OPTS);
	if(doc == NULL || !p->wellFormed) {
		e = xmlCtxtGetLastError(p);
		clean_msg(e ? e->message : "not well-formed", msg, sizeof(msg));
		*rc = fail(ld, EPC_WWSF_E_XML, e ? e->line : 0, "XML: %s", msg);
		xmlFreeDoc(doc);
		doc = NULL;
	} else if(doc->intSubset || doc->extSubset) {
		/* no DTD: no entities, no default attributes from outside */
		*rc = fail(ld, EPC_WWSF_E_XML,
				line_of((xmlNodePtr)(doc->intSubset ? doc->intSubset
													: doc->extSubset)),
				"XML: a DOCTYPE is not allowed");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(p);
	return doc;
}

int epc_wwsf_registry_load_mem(const char *buf, size_t len,
		const epc_wwsf_load_opts_t *opts, const epc_alloc_t *a,
		epc_wwsf_registry_t **out, char *err, size_t errlen)
{
	ld_t ld;
	arena_t *keep;
	epc_wwsf_registry_t *r;
	epc_wwsf_schema_t *own = NULL;
	const epc_wwsf_schema_t *schema = opts ? opts->schema : NULL;
	xmlDocPtr doc = NULL;
	int rc = 0;

	if(err && errlen)
		err[0] = '\0';
	if(out == NULL || a == NULL || (buf == NULL && len > 0))
		return EPC_WWSF_E_ARG;
	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.ar.a = a;
	ld.name = opts && opts->name ? opts->name : "<memory>";
	ld.key_dir = opts ? opts->key_dir : NULL;
	ld.err = err;
	ld.errlen = errlen;
	if(len > EPC_WWSF_MAX_FILE)
		return fail(&ld, EPC_WWSF_E_TOOBIG, 0,
				"registry is %zu bytes, the limit is %u", len,
				EPC_WWSF_MAX_FILE);
	if(schema == NULL) {
		rc = epc_wwsf_schema_new(&own, err, errlen);
		if(rc < 0)
			return rc;
		schema = own;
	}
	doc = parse_doc(&ld, buf ? buf : "", len, &rc);
	if(doc)
		rc = validate(&ld, doc, schema);
	keep = rc == 0 ? arena_alloc(&ld.ar, sizeof(*keep)) : NULL;
	r = keep ? arena_alloc(&ld.ar, sizeof(*r)) : NULL;
	if(rc == 0 && r == NULL)
		rc = nomem(&ld);
	if(rc == 0)
		rc = build(&ld, doc, r);
	if(rc == 0)
		rc = arena_span(&ld, epc_span_cstr(ld.name), 0, &r->source);
	xmlFreeDoc(doc);
	epc_wwsf_schema_free(own);
	if(rc < 0) {
		arena_free(&ld.ar);
		return rc;
	}
	*keep = ld.ar;
	r->priv = keep;
	r->bytes = ld.ar.bytes;
	*out = r;
	return EPC_WWSF_OK;
}

int epc_wwsf_registry_load_file(const char *path,
		const epc_wwsf_schema_t *schema, const epc_alloc_t *a,
		epc_wwsf_registry_t **out, char *err, size_t errlen)
{
	epc_wwsf_load_opts_t o;
	char dir[PATH_MAX];
	const char *slash;
	char *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd, rc;

	if(err && errlen)
		err[0] = '\0';
	if(path == NULL || out == NULL || a == NULL)
		return EPC_WWSF_E_ARG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if(fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return EPC_WWSF_E_IO;
	}
	if(fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return EPC_WWSF_E_IO;
	}
	if(st.st_size > (off_t)EPC_WWSF_MAX_FILE) {
		close(fd);
		snprintf(err, errlen, "%s: %lld bytes, the limit is %u", path,
				(long long)st.st_size, EPC_WWSF_MAX_FILE);
		return EPC_WWSF_E_TOOBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if(buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return EPC_WWSF_E_NOMEM;
	}
	while(got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if(r < 0 && errno == EINTR)
			continue;
		if(r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	slash = strrchr(path, '/');
	if(slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s",
				(int)(slash == path ? 1 : slash - path), path);
	memset(&o, 0, sizeof(o));
	o.name = path;
	o.key_dir = dir;
	o.schema = schema;
	rc = epc_wwsf_registry_load_mem(buf, got, &o, a, out, err, errlen);
	free(buf);
	return rc;
}

void epc_wwsf_registry_free(epc_wwsf_registry_t *r, const epc_alloc_t *a)
{
	arena_t ar;

	if(r == NULL)
		return;
	ar = *(arena_t *)r->priv;
	ar.a = a;
	arena_free(&ar);
}

/* --- schema --- */

int epc_wwsf_schema_new(epc_wwsf_schema_t **out, char *err, size_t errlen)
{
	xmlSchemaParserCtxtPtr pc;
	first_error_t fe;
	size_t len;
	const char *text = epc_wwsf_schema_text(&len);

	*out = calloc(1, sizeof(**out));
	if(*out == NULL)
		return EPC_WWSF_E_NOMEM;
	memset(&fe, 0, sizeof(fe));
	pc = xmlSchemaNewMemParserCtxt(text, (int)len);
	if(pc) {
		xmlSchemaSetParserStructuredErrors(pc, on_xml_error, &fe);
		(*out)->schema = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	if((*out)->schema == NULL) {
		if(err && errlen)
			snprintf(err, errlen, "built-in schema:%ld: %s", fe.line,
					fe.set ? fe.msg : "cannot compile");
		free(*out);
		*out = NULL;
		return EPC_WWSF_E_SCHEMA;
	}
	return EPC_WWSF_OK;
}

void epc_wwsf_schema_free(epc_wwsf_schema_t *s)
{
	if(s == NULL)
		return;
	xmlSchemaFree(s->schema);
	free(s);
}

const char *epc_wwsf_strerror(int rc)
{
	switch(rc) {
		case EPC_WWSF_OK:
			return "ok";
		case EPC_WWSF_E_IO:
			return "cannot read";
		case EPC_WWSF_E_TOOBIG:
			return "too big";
		case EPC_WWSF_E_XML:
			return "not well-formed XML";
		case EPC_WWSF_E_SCHEMA:
			return "not valid per the schema";
		case EPC_WWSF_E_INVALID:
			return "invalid content";
		case EPC_WWSF_E_NOMEM:
			return "out of memory";
		case EPC_WWSF_E_ARG:
			return "invalid argument";
		default:
			return "unknown error";
	}
}
