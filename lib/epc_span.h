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
 * Byte spans and a cursor-style scanner: the string type of every pure core.
 *
 * A span is borrowed (never owned) and never assumed NUL-terminated. Scanner
 * functions advance the cursor only on success, so a failed attempt can be
 * followed by another one from the same position.
 */

#ifndef EPC_SPAN_H
#define EPC_SPAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct epc_span
{
	const char *s;
	size_t len;
} epc_span_t;

#define EPC_SPAN_LIT(lit) ((epc_span_t){(lit), sizeof(lit) - 1})
#define EPC_SPAN_NULL ((epc_span_t){NULL, 0})

/** Span over a NUL-terminated C string (NULL gives the empty span). */
epc_span_t epc_span_cstr(const char *s);

/** Byte-wise equality. */
int epc_span_eq(epc_span_t a, epc_span_t b);

/** ASCII case-insensitive equality (no locale). */
int epc_span_eq_nocase(epc_span_t a, epc_span_t b);

/** 1 if a starts with prefix (case-insensitive when nocase != 0). */
int epc_span_has_prefix(epc_span_t a, epc_span_t prefix, int nocase);

/** The span without leading and trailing SP / HTAB / CR / LF. */
epc_span_t epc_span_trim(epc_span_t a);

/** Index of the first byte c in a, or -1. */
long epc_span_find_byte(epc_span_t a, char c);

/** Sub-span [off, off + n) clamped to a's bounds. */
epc_span_t epc_span_sub(epc_span_t a, size_t off, size_t n);

/** ASCII lower-case of one byte. */
static inline char epc_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/**
 * Split at the first delimiter: *head gets the bytes before it, *rest the
 * bytes after it. Without a delimiter *head is all of in and *rest is empty;
 * the return value tells which (1 = delimiter found, 0 = not found).
 */
int epc_span_split(
		epc_span_t in, char delim, epc_span_t *head, epc_span_t *rest);

/**
 * Parse a decimal unsigned integer that is the whole span, without sign,
 * spaces or leading '+', and at most max. Leading zeros are accepted.
 * @return 0 and *out on success, -1 on an empty, non-digit or too large span.
 */
int epc_span_to_u64(epc_span_t a, uint64_t max, uint64_t *out);

#endif /* EPC_SPAN_H */
