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
 * SIP credentials and challenges around the token (RFC 3261 sec 22/25,
 * RFC 7235 sec 2.1, RFC 8898, RFC 6750 sec 2.1 / 3):
 *  - classify one Authorization / Proxy-Authorization header field value:
 *    Bearer with the RFC 6750 token68 form or the TS 24.371 A.3.2
 *    `access_token="..."` form, Digest (username, integrity-protected),
 *    anything else;
 *  - remove an auth-param (integrity-protected) from a credentials value;
 *  - build the TNA Digest skeleton (TS 24.229 sec 7.2A.2, TS 33.203 U) and
 *    the Bearer challenge (RFC 8898 sec 2.2/4).
 */

#ifndef WWSF_AUTHZ_H
#define WWSF_AUTHZ_H

#include <stddef.h>

#include "epc_span.h"

enum wwsf_cred_scheme
{
	WWSF_CRED_OTHER = 0,
	WWSF_CRED_BEARER,
	WWSF_CRED_DIGEST
};

typedef struct wwsf_cred
{
	int scheme;
	epc_span_t token;	 /* Bearer: the access token */
	epc_span_t username; /* Digest: raw quoted-string content (may be empty) */
	int has_username;
	int username_escaped; /* contains quoted-pairs */
	int has_integrity;	  /* Digest: an integrity-protected auth-param */
} wwsf_cred_t;

/**
 * Parse one credentials value (the header field body).
 * @return 0, or -1 when the value does not follow the credentials grammar
 *         (for Bearer: neither a token68 nor auth-params with exactly one
 *         access_token).
 */
int wwsf_cred_parse(epc_span_t body, wwsf_cred_t *c);

/**
 * Copy credentials value body to out without every auth-param called name
 * (case-insensitive), keeping the rest byte for byte.
 * @return the number of params removed (0: out is a copy), -1 if body is
 *         not valid auth-param credentials or out is too small.
 */
int wwsf_cred_strip_param(
		epc_span_t body, epc_span_t name, char *out, size_t cap, size_t *len);

/**
 * Decode a quoted-string content (quoted-pairs) into out.
 * @return 0 and *len, -1 if cap is too small.
 */
int wwsf_unquote(epc_span_t raw, char *out, size_t cap, size_t *len);

/**
 * The TNA credentials for the REGISTER toward the I-CSCF/S-CSCF:
 * Digest username="<impi>", realm="<realm>", uri="<uri>", nonce="",
 * response="", integrity-protected="auth-done" (quoted as in the 3GPP
 * examples; unquoted when quote == 0).
 * @return 0 and *len, -1 if a value needs escaping or out is too small.
 */
int wwsf_tna_credentials(epc_span_t impi, epc_span_t realm, epc_span_t uri,
		int quote, char *out, size_t cap, size_t *len);

/**
 * Bearer realm="<realm>"[, authz_server="<url>"][, error="<error>"]
 * (a WWW-Authenticate value; empty url / error are left out).
 * @return 0 and *len, -1 if a value needs escaping or out is too small.
 */
int wwsf_bearer_challenge(epc_span_t realm, epc_span_t authz_server,
		epc_span_t error, char *out, size_t cap, size_t *len);

/** 1 if s can go inside a quoted-string without escaping. */
int wwsf_quotable(epc_span_t s);

#endif /* WWSF_AUTHZ_H */
