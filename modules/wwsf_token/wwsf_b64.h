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
 * Strict base64url decoding for JWS compact serialisation (RFC 7515 sec 2,
 * RFC 4648 sec 5): URL-safe alphabet only, no padding, no whitespace, and
 * the unused low bits of the last character must be zero, so that every
 * byte string has exactly one accepted encoding.
 */

#ifndef WWSF_B64_H
#define WWSF_B64_H

#include <stddef.h>

#include "epc_span.h"

/** Decoded size of n base64url characters (an upper bound for bad input). */
#define WWSF_B64_DECODED_MAX(n) (((n) / 4) * 3 + 2)

/**
 * Decode in into out (capacity cap).
 * @return 0 and *outlen, or -1 on a character outside the alphabet, a
 *         length of 4k+1, non-zero trailing bits or cap too small.
 */
int wwsf_b64url_decode(
		epc_span_t in, unsigned char *out, size_t cap, size_t *outlen);

#endif /* WWSF_B64_H */
