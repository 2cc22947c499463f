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
 * IMS identities: normalisation for comparison (which identities a WWSF may
 * allocate is the registry's epc_wwsf_identity_allowed()).
 *
 * Normal forms (RFC 3261 sec 19.1.4, RFC 3966 sec 3, TS 23.003 for the NAI):
 *  - sip:/sips: URI: lower-case scheme, user part with %HH escapes of
 *    non-reserved characters decoded (case kept), "@", lower-case host;
 *    port, parameters and headers dropped (an IMPU names a user at a
 *    domain, TS 23.003 sec 13.4); a password in the user-info is refused;
 *  - tel: URI: "tel:" and the number without visual separators (- . ( )),
 *    lower-case, parameters dropped;
 *  - IMPI (NAI, no scheme): user "@" lower-case realm.
 * Any byte below 0x21, DEL, '"', '\\', '<' or '>' is refused everywhere, so a
 * normalised identity is safe inside a quoted-string and a header. This is
 * the form lib/epc_wwsf_registry.h's epc_wwsf_identity_allowed() expects.
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
 * sec 5.2.2.1 does without an ISIM (TS 23.003 sec 13.3 form).
 * @return 0 and *len, -1 for a tel: URI, an NAI or cap too small.
 */
int wwsf_ident_impi_from_impu(
		epc_span_t norm, char *out, size_t cap, size_t *len);

#endif /* WWSF_IDENT_H */
