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

/**
 * A strict, allocation-free JSON (RFC 8259) reader for JOSE headers and JWT
 * claim sets. The whole document is validated (grammar, UTF-8 per RFC 8725
 * sec 3.7, escapes, no U+0000, nesting depth) before anything is read; the
 * top-level object's members are indexed as spans into the document, and a
 * repeated top-level member name is an error (RFC 7515 sec 4, RFC 7519 sec 4:
 * reject rather than take the last). Member names of nested objects are not
 * checked for repetition: nothing nested is ever read.
 */

#ifndef WWSF_JSON_H
#define WWSF_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"

#define WWSF_JSON_MAX_MEMBERS 48
#define WWSF_JSON_MAX_DEPTH 16

enum wwsf_json_type
{
	WWSF_JSON_NONE = 0,
	WWSF_JSON_STRING,
	WWSF_JSON_NUMBER,
	WWSF_JSON_OBJECT,
	WWSF_JSON_ARRAY,
	WWSF_JSON_TRUE,
	WWSF_JSON_FALSE,
	WWSF_JSON_NULL
};

/**
 * A value: for a string, raw is the text between the quotes (escapes not
 * decoded; plain = 1 when it has none); otherwise the value's text.
 */
typedef struct wwsf_json_val
{
	int type;
	int plain;
	epc_span_t raw;
} wwsf_json_val_t;

typedef struct wwsf_json_member
{
	wwsf_json_val_t name; /* always a string */
	wwsf_json_val_t val;
} wwsf_json_member_t;

/** The members of a top-level object, in document order. */
typedef struct wwsf_json_obj
{
	size_t n;
	wwsf_json_member_t m[WWSF_JSON_MAX_MEMBERS];
} wwsf_json_obj_t;

/** Array iterator over a validated array value. */
typedef struct wwsf_json_iter
{
	const char *p;
	const char *end;
	int first;
} wwsf_json_iter_t;

/**
 * Validate doc and index its members; doc must be exactly one JSON object
 * (whitespace around it allowed).
 * @return 0, or -1 on invalid JSON, a non-object, a repeated member name or
 *         more than WWSF_JSON_MAX_MEMBERS members.
 */
int wwsf_json_parse_object(epc_span_t doc, wwsf_json_obj_t *obj);

/** The value of member name (compared after decoding escapes), or NULL. */
const wwsf_json_val_t *wwsf_json_get(
		const wwsf_json_obj_t *obj, epc_span_t name);

/** 1 if string value v decodes to exactly the bytes of plain. */
int wwsf_json_str_eq(const wwsf_json_val_t *v, epc_span_t plain);

/** 1 if two string values decode to the same text. */
int wwsf_json_str_eq_val(const wwsf_json_val_t *a, const wwsf_json_val_t *b);

/**
 * Decode string value v (UTF-8) into buf.
 * @return 0 and *len, -1 if v is not a string or buf is too small.
 */
int wwsf_json_str_decode(
		const wwsf_json_val_t *v, char *buf, size_t cap, size_t *len);

/** Start iterating array value v. @return 0, or -1 if v is no array. */
int wwsf_json_iter_init(wwsf_json_iter_t *it, const wwsf_json_val_t *v);

/** Next element: @return 1 and *elem, 0 at the end, -1 on error. */
int wwsf_json_iter_next(wwsf_json_iter_t *it, wwsf_json_val_t *elem);

/**
 * A NumericDate (RFC 7519 sec 2): a non-negative JSON number, fractions
 * truncated; exponents allowed.
 * @return 0 and *out, -1 for a non-number, a negative value or a value
 *         above 2^53 (beyond any meaningful date and exact in a double).
 */
int wwsf_json_to_time(const wwsf_json_val_t *v, int64_t *out);

#endif /* WWSF_JSON_H */
