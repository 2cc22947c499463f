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
 * SDP (RFC 8866) model: parse, inspect, print.
 *
 * The model is a read-only index over the caller's buffer: one entry per
 * line (type, text, line end) plus the ranges of the session part and of
 * each media section. Nothing is copied, so printing an unedited model gives
 * the input back byte for byte (CRLF, LF-only and a missing final line end
 * are all kept). Edits are made by writing a new SDP with epc_sdp_out_t
 * while walking the model (that is what sdp_unbundle does).
 *
 * Parsing checks what every SDP consumer relies on: "v=0" first, one o= and
 * one s= in the session part, every line "<a-z>=<value>" without NUL or a
 * bare CR, well-formed m=, c= and a= lines. Anything else is rejected with
 * an error code and the byte offset of the offending line. The parser reads
 * only inside the span it is given.
 *
 * Storage: epc_sdp_parse() uses caller arrays (no allocation);
 * epc_sdp_parse_alloc() sizes them from the input with an epc_alloc_t.
 */

#ifndef EPC_SDP_H
#define EPC_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "epc_alloc.h"
#include "epc_span.h"

#define EPC_SDP_E_EMPTY -1	  /**< no input */
#define EPC_SDP_E_VERSION -2  /**< first line is not v=0 */
#define EPC_SDP_E_LINE -3	  /**< not "<a-z>=value", NUL or bare CR */
#define EPC_SDP_E_BLANK -4	  /**< empty line before the end */
#define EPC_SDP_E_MLINE -5	  /**< malformed m= line */
#define EPC_SDP_E_CLINE -6	  /**< malformed c= line */
#define EPC_SDP_E_ATTR -7	  /**< malformed a= line (no name) */
#define EPC_SDP_E_ORIGIN -8	  /**< o= missing, repeated or malformed */
#define EPC_SDP_E_SESSION -9  /**< s= missing or repeated */
#define EPC_SDP_E_TOOMANY -10 /**< more lines or m= than storage */
#define EPC_SDP_E_NOMEM -11	  /**< allocator failed */
#define EPC_SDP_E_TOOBIG -12  /**< input larger than EPC_SDP_MAX_SIZE */

/** Largest SDP accepted (bytes); far above any real offer. */
#define EPC_SDP_MAX_SIZE (1024 * 1024)

typedef struct epc_sdp_line
{
	const char *s; /**< "x=value", without the line end */
	uint32_t len;  /**< bytes at s */
	uint8_t eol;   /**< line end in the input: 0 none, 1 LF, 2 CRLF */
	char type;	   /**< 'v', 'o', 'm', 'a', ... */
} epc_sdp_line_t;

typedef struct epc_sdp_media
{
	uint32_t first; /**< index of the m= line */
	uint32_t end;	/**< one past the last line of the section */
} epc_sdp_media_t;

typedef struct epc_sdp
{
	epc_span_t src;		   /**< the parsed input (borrowed) */
	epc_sdp_line_t *lines; /**< nlines entries */
	uint32_t nlines;
	epc_sdp_media_t *media; /**< nmedia entries */
	uint32_t nmedia;
	uint32_t sess_end; /**< lines [0, sess_end) are the session part */
	epc_span_t tail;   /**< empty lines after the last line (kept) */
	uint8_t crlf;	   /**< 1 if the first line ends in CRLF (or none) */
} epc_sdp_t;

typedef struct epc_sdp_err
{
	int code;	   /**< EPC_SDP_E_* */
	size_t offset; /**< byte offset of the offending line in the input */
} epc_sdp_err_t;

/** Fields of an m= line value. */
typedef struct epc_sdp_mline
{
	epc_span_t media;  /**< audio, video, application, ... */
	epc_span_t port;   /**< the port token (without /nports) */
	epc_span_t nports; /**< after '/', or empty */
	epc_span_t proto;  /**< UDP/TLS/RTP/SAVPF, RTP/AVP, ... */
	epc_span_t fmts;   /**< the rest: one or more fmt tokens */
	uint32_t port_n;   /**< port as a number */
} epc_sdp_mline_t;

/** Fields of a c= line value. */
typedef struct epc_sdp_cline
{
	epc_span_t nettype;
	epc_span_t addrtype;
	epc_span_t addr; /**< address incl. any /ttl/num suffix */
} epc_sdp_cline_t;

/** Upper bound of the lines in in (for sizing caller storage). */
size_t epc_sdp_count_lines(epc_span_t in);

/**
 * Parse in into sdp using caller storage.
 * @param lines storage for max_lines line entries
 * @param media storage for max_media media entries
 * @param err optional, filled on failure
 * @return 0, or an EPC_SDP_E_* code (then *sdp is unusable)
 */
int epc_sdp_parse(epc_span_t in, epc_sdp_line_t *lines, size_t max_lines,
		epc_sdp_media_t *media, size_t max_media, epc_sdp_t *sdp,
		epc_sdp_err_t *err);

/**
 * Parse with storage from a (one allocation; release with epc_sdp_free()).
 * @return as epc_sdp_parse(), or EPC_SDP_E_NOMEM
 */
int epc_sdp_parse_alloc(epc_span_t in, const epc_alloc_t *a, epc_sdp_t *sdp,
		epc_sdp_err_t *err);

/** Release what epc_sdp_parse_alloc() allocated; NULL-safe. */
void epc_sdp_free(epc_sdp_t *sdp, const epc_alloc_t *a);

/**
 * Print the model into buf (at most size bytes, no NUL added).
 * @return the length of the whole SDP; larger than size means truncated
 */
size_t epc_sdp_print(const epc_sdp_t *sdp, char *buf, size_t size);

/** The value of a line (after "x="). */
static inline epc_span_t epc_sdp_value(const epc_sdp_line_t *l)
{
	epc_span_t r = {l->s + 2, l->len - 2};
	return r;
}

/** Split an a= line into name and value (value empty for a flag). */
void epc_sdp_attr(const epc_sdp_line_t *l, epc_span_t *name, epc_span_t *value);

/** 1 if l is an a= line whose name is name (case-sensitive, RFC 8866). */
int epc_sdp_is_attr(const epc_sdp_line_t *l, epc_span_t name);

/** Parse an m= value. @return 0 or EPC_SDP_E_MLINE */
int epc_sdp_parse_mline(epc_span_t value, epc_sdp_mline_t *m);

/** Parse a c= value. @return 0 or EPC_SDP_E_CLINE */
int epc_sdp_parse_cline(epc_span_t value, epc_sdp_cline_t *c);

/**
 * Index of the first line in [from, end) that is attribute name, or -1.
 * Use sdp->media[i].first + 1 .. end for a media section and
 * 0 .. sess_end for the session part.
 */
long epc_sdp_find_attr(
		const epc_sdp_t *sdp, uint32_t from, uint32_t end, epc_span_t name);

/** Next space-separated token of *rest (advances *rest); 0 when none. */
int epc_sdp_token(epc_span_t *rest, epc_span_t *tok);

/** Text of an error code. */
const char *epc_sdp_strerror(int code);

/**
 * Bounded output buffer for writing SDP. Writes past size are counted but
 * dropped; check overflow (or len > size) before using the result.
 */
typedef struct epc_sdp_out
{
	char *s;
	size_t size;
	size_t len;
	int crlf; /**< line end for new lines: 1 CRLF, 0 LF */
	int open; /**< last line written had no line end (end of input) */
} epc_sdp_out_t;

void epc_sdp_out_init(epc_sdp_out_t *o, char *buf, size_t size, int crlf);
void epc_sdp_out_bytes(epc_sdp_out_t *o, const char *s, size_t n);
/** An input line with its original line end. An input line without one
 * (the last line) gets the output's line end if anything follows it. */
void epc_sdp_out_line(epc_sdp_out_t *o, const epc_sdp_line_t *l);
/** A new line: up to three pieces joined, then the output's line end. */
void epc_sdp_out_new(
		epc_sdp_out_t *o, epc_span_t a, epc_span_t b, epc_span_t c);
static inline int epc_sdp_out_overflow(const epc_sdp_out_t *o)
{
	return o->len > o->size;
}

#endif /* EPC_SDP_H */
