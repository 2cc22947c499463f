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
 * Bencode (the encoding of rtpengine's ng control protocol), pure C.
 *
 * Decoder: iterative (no recursion), strict, bounded. It fills a caller
 * array of nodes in document order (a flat tree like jsmn's): every node
 * knows the index just past its subtree (next), so siblings are walked
 * without recursion and a hostile nesting depth cannot blow the stack;
 * depth is capped at EIMSAGW_BENC_DEPTH_MAX and the node count at the
 * caller's capacity. Strings are spans into the input (not copied).
 *
 * Encoder: appends to a caller buffer; the first error (overflow,
 * unbalanced end, depth) sticks and is returned by eimsagw_benc_finish().
 */

#ifndef EIMSAGW_BENCODE_H
#define EIMSAGW_BENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"

#define EIMSAGW_BENC_DEPTH_MAX 32
/* longest integer text accepted: sign + 19 digits (fits int64) */
#define EIMSAGW_BENC_INT_DIGITS 19

#define EIMSAGW_BENC_OK 0
#define EIMSAGW_BENC_E_PARSE -1 /* malformed bencode */
#define EIMSAGW_BENC_E_DEPTH -2 /* nesting deeper than the limit */
#define EIMSAGW_BENC_E_NODES -3 /* more nodes than the caller's capacity */
#define EIMSAGW_BENC_E_TRAIL -4 /* bytes after the top-level value */
#define EIMSAGW_BENC_E_SPACE -5 /* encoder: output buffer too small */
#define EIMSAGW_BENC_E_NEST -6	/* encoder: unbalanced list/dict */
#define EIMSAGW_BENC_E_ARG -7	/* bad argument */
#define EIMSAGW_BENC_E_EMPTY -8 /* no input */

typedef enum eimsagw_btype
{
	EIMSAGW_BT_INT = 1,
	EIMSAGW_BT_STR = 2,
	EIMSAGW_BT_LIST = 3,
	EIMSAGW_BT_DICT = 4
} eimsagw_btype_t;

typedef struct eimsagw_bnode
{
	uint32_t type;	/* eimsagw_btype_t */
	uint32_t next;	/* index of the first node after this subtree */
	uint32_t count; /* list: items; dict: key/value pairs */
	epc_span_t s;	/* STR: the bytes; INT: the digits; LIST/DICT: raw */
	int64_t i;		/* INT: the value */
} eimsagw_bnode_t;

/**
 * Decode one bencoded value that must span all of buf[0..len).
 * @param nodes caller array of cap nodes; nodes[0] is the root
 * @param nused out: nodes filled (may be NULL)
 * @return EIMSAGW_BENC_OK or a negative EIMSAGW_BENC_E_* code
 */
int eimsagw_bdecode(const char *buf, size_t len, eimsagw_bnode_t *nodes,
		uint32_t cap, uint32_t *nused);

/**
 * Value of key in the dictionary node d (first match), or -1 if d is not
 * a dictionary or has no such key.
 */
long eimsagw_bdict_get(
		const eimsagw_bnode_t *nodes, uint32_t d, epc_span_t key);

/** String value of key in dict d into *out: 0, or -1 if absent/not a string. */
int eimsagw_bdict_str(const eimsagw_bnode_t *nodes, uint32_t d, epc_span_t key,
		epc_span_t *out);

/** Integer value of key in dict d into *out: 0, or -1 if absent/not an int. */
int eimsagw_bdict_int(
		const eimsagw_bnode_t *nodes, uint32_t d, epc_span_t key, int64_t *out);

/** First child of container c (c + 1), or -1 if c is empty/not a container. */
static inline long eimsagw_bfirst(const eimsagw_bnode_t *nodes, uint32_t c)
{
	if((nodes[c].type != EIMSAGW_BT_LIST && nodes[c].type != EIMSAGW_BT_DICT)
			|| nodes[c].count == 0)
		return -1;
	return (long)c + 1;
}

/** Sibling after node i inside container c, or -1 at the end. */
static inline long eimsagw_bnext(
		const eimsagw_bnode_t *nodes, uint32_t c, uint32_t i)
{
	uint32_t n = nodes[i].next;
	return n < nodes[c].next ? (long)n : -1;
}

/** Encoder state; members are private to eimsagw_bencode.c. */
typedef struct eimsagw_benc
{
	char *buf;
	size_t cap;
	size_t len;
	int err;
	int depth;
} eimsagw_benc_t;

void eimsagw_benc_init(eimsagw_benc_t *b, char *buf, size_t cap);
/** Raw bytes (e.g. the ng cookie and its space before the message). */
void eimsagw_benc_raw(eimsagw_benc_t *b, const char *p, size_t n);
void eimsagw_benc_str(eimsagw_benc_t *b, epc_span_t s);
void eimsagw_benc_cstr(eimsagw_benc_t *b, const char *s);
void eimsagw_benc_int(eimsagw_benc_t *b, int64_t v);
void eimsagw_benc_list(eimsagw_benc_t *b);
void eimsagw_benc_dict(eimsagw_benc_t *b);
void eimsagw_benc_end(eimsagw_benc_t *b);
/** Key + string value in the current dictionary. */
void eimsagw_benc_kv(eimsagw_benc_t *b, const char *key, epc_span_t val);

/**
 * @return EIMSAGW_BENC_OK and *len (bytes written), or the first error
 * (also when a list/dict is still open).
 */
int eimsagw_benc_finish(eimsagw_benc_t *b, size_t *len);

/** Short English text for an EIMSAGW_BENC_E_* code. */
const char *eimsagw_benc_strerror(int rc);

#endif /* EIMSAGW_BENCODE_H */
