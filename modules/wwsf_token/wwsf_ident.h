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
 * IMS identities: normalisation for comparison and the patterns that say
 * which identities a WWSF may allocate.
 *
 * Normal forms (RFC 3261 sec 19.1.4, RFC 3966 sec 3, TS 23.003 for the NAI):
 *  - sip:/sips: URI: lower-case scheme, user part with %HH escapes of
 *    non-reserved characters decoded (case kept), "@", lower-case host,
 *    ":port" if present; parameters and headers dropped; a password in the
 *    user-info is refused;
 *  - tel: URI: "tel:" and the number without visual separators (- . ( )),
 *    lower-case, parameters dropped;
 *  - IMPI (NAI, no scheme): user "@" lower-case realm.
 * Any byte below 0x21, DEL, '"', '\\', '<' or '>' is refused everywhere, so a
 * normalised identity is safe inside a quoted-string and a header.
 */

#ifndef WWSF_IDENT_H
#define WWSF_IDENT_H

#include <stddef.h>

#include "epc_span.h"

#define WWSF_IDENT_MAX 256

/**
 * Normalise a SIP/SIPS/tel URI or an NAI into out.
 * @return 0 and *len, -1 if it is none of them or too long for cap.
 */
int wwsf_ident_norm(epc_span_t in, char *out, size_t cap, size_t *len);

/** 1 if norm (a normalised identity) is a URI (sip:, sips:, tel:). */
int wwsf_ident_is_uri(epc_span_t norm);

/**
 * IMPI derived from a normalised sip:/sips: IMPU (user@host), as TS 24.229
 * sec 5.2.2.1 does without an ISIM.
 * @return 0 and *len, -1 for a tel: URI, an NAI or cap too small.
 */
int wwsf_ident_impi_from_impu(
		epc_span_t norm, char *out, size_t cap, size_t *len);

/**
 * An allocation pattern: a normalised identity in which '*' stands for any
 * run of characters other than '@' ("sip:*@ims.example",
 * "tel:+3312345*", "*@ims.example" for IMPIs and IMPUs of a domain), or a
 * bare domain "ims.example" that allows sip:, sips: and NAI identities in
 * exactly that domain.
 */
typedef struct wwsf_pattern
{
	int domain; /* bare domain form */
	size_t len;
	char pat[WWSF_IDENT_MAX];
} wwsf_pattern_t;

/** Compile a pattern. @return 0, -1 if invalid. */
int wwsf_pattern_compile(epc_span_t in, wwsf_pattern_t *p);

/** 1 if the normalised identity matches p. */
int wwsf_pattern_match(const wwsf_pattern_t *p, epc_span_t norm);

/** 1 if norm matches any of the n patterns. */
int wwsf_pattern_match_any(const wwsf_pattern_t *p, size_t n, epc_span_t norm);

#endif /* WWSF_IDENT_H */
