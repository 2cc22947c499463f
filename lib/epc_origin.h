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
 * Web origins (RFC 6454): strict parsing of the ASCII serialization a
 * browser sends in the Origin header of a WebSocket handshake (RFC 6455
 * sec 4.1 item 8, sec 10.2), normalisation, and matching against allow-list
 * patterns (exact host, or "*." + domain for its subdomains).
 *
 * Only "scheme://host[:port]" is accepted: no "null" (opaque origin), no
 * path, query, fragment or trailing '/', no userinfo, no whitespace,
 * control bytes, NUL, comma (header lists) or non-ASCII, nothing longer
 * than EPC_ORIGIN_MAX_LEN. Scheme and host are compared case-insensitively
 * (stored lower case), the port exactly after dropping the scheme's default
 * port (RFC 6454 sec 4: "https://a.example:443" is "https://a.example").
 * A numeric host must be a canonical dotted-quad IPv4 address; an IPv6
 * literal is stored in its RFC 5952 text form in brackets. A host with a
 * trailing dot is refused (no WWSF serves its WIC from such a name).
 *
 * No allocation, no globals, no locale.
 */

#ifndef EPC_ORIGIN_H
#define EPC_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"

/** Longest Origin value accepted (bytes). */
#define EPC_ORIGIN_MAX_LEN 300
#define EPC_ORIGIN_SCHEME_MAX 32
/** DNS name limit; also holds a bracketed IPv6 literal. */
#define EPC_ORIGIN_HOST_MAX 253
/** Buffer size that always holds epc_origin_format()'s output + NUL. */
#define EPC_ORIGIN_FMT_MAX \
	(EPC_ORIGIN_SCHEME_MAX + 3 + 2 + EPC_ORIGIN_HOST_MAX + 6 + 1)

enum
{
	EPC_ORIGIN_OK = 0,
	EPC_ORIGIN_E_EMPTY = -1,	/**< empty value */
	EPC_ORIGIN_E_NULL = -2,		/**< "null": opaque origin (RFC 6454 6.2) */
	EPC_ORIGIN_E_TOOLONG = -3,	/**< longer than EPC_ORIGIN_MAX_LEN */
	EPC_ORIGIN_E_CHAR = -4,		/**< whitespace, control, NUL, non-ASCII, ',' */
	EPC_ORIGIN_E_SCHEME = -5,	/**< missing or invalid scheme / "://" */
	EPC_ORIGIN_E_HOST = -6,		/**< missing or invalid host */
	EPC_ORIGIN_E_PORT = -7,		/**< invalid port */
	EPC_ORIGIN_E_PATH = -8,		/**< path, query or fragment (or '/') */
	EPC_ORIGIN_E_USERINFO = -9, /**< user[:password]@ */
	EPC_ORIGIN_E_WILDCARD = -10 /**< misplaced or too broad '*' */
};

enum
{
	EPC_ORIGIN_HOST_NAME = 0,
	EPC_ORIGIN_HOST_IPV4 = 1,
	EPC_ORIGIN_HOST_IPV6 = 2
};

/** A parsed, normalised origin or origin pattern. */
typedef struct epc_origin
{
	char scheme[EPC_ORIGIN_SCHEME_MAX + 1]; /**< lower case, NUL-terminated */
	size_t scheme_len;
	char host[EPC_ORIGIN_HOST_MAX + 1]; /**< lower case, NUL-terminated;
											for a wildcard: the domain after
											"*." */
	size_t host_len;
	/** port; 0 = the scheme's default port (or none given for a scheme
	 * without a default) */
	uint16_t port;
	uint8_t host_type; /**< EPC_ORIGIN_HOST_* */
	uint8_t wildcard;  /**< patterns only: "*." + host */
} epc_origin_t;

/**
 * Parse an Origin header value (already stripped of surrounding OWS).
 * @param in borrowed bytes, not NUL-terminated
 * @param out filled on success only
 * @return EPC_ORIGIN_OK or a negative EPC_ORIGIN_E_* code
 */
int epc_origin_parse(epc_span_t in, epc_origin_t *out);

/**
 * Parse an allow-list pattern: an origin, or one whose host is "*." followed
 * by a domain name of at least two labels (e.g. "*.operator.example" after
 * the "https://").
 * The wildcard matches one or more labels in front of the domain, never
 * the domain itself. IP literals cannot be wildcarded.
 */
int epc_origin_parse_pattern(epc_span_t in, epc_origin_t *out);

/** 1 if origin o is matched by pattern p (or equal to it), else 0. */
int epc_origin_match(const epc_origin_t *p, const epc_origin_t *o);

/** 1 if a and b are the same origin or the same pattern, else 0. */
int epc_origin_equal(const epc_origin_t *a, const epc_origin_t *b);

/**
 * Serialise (canonical form, patterns with their "*.").
 * @param buf written with a NUL-terminated string
 * @return its length, or -1 if size is too small (buf then holds "")
 */
int epc_origin_format(const epc_origin_t *o, char *buf, size_t size);

/** The default port of a (lower-case) scheme: 443 https/wss, 80 http/ws,
 * 0 for any other. */
uint16_t epc_origin_default_port(epc_span_t scheme);

/** Short English text for an EPC_ORIGIN_* code. */
const char *epc_origin_strerror(int rc);

#endif /* EPC_ORIGIN_H */
