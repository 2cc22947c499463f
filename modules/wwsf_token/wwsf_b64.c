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

#include "wwsf_b64.h"

/* clang-format off */
/* value + 1 of each base64url character; 0 = not in the alphabet */
static const unsigned char b64url_val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
	['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};
/* clang-format on */

static int b64_val(unsigned char c)
{
	return (int)b64url_val[c] - 1;
}

int wwsf_b64url_decode(
		epc_span_t in, unsigned char *out, size_t cap, size_t *outlen)
{
	size_t i, o = 0, full = in.len / 4 * 4, rest = in.len % 4;
	const unsigned char *p = (const unsigned char *)in.s;
	int v[4];

	if(rest == 1)
		return -1;
	if(full / 4 * 3 + (rest ? rest - 1 : 0) > cap)
		return -1;
	for(i = 0; i < full; i += 4) {
		v[0] = b64_val(p[i]);
		v[1] = b64_val(p[i + 1]);
		v[2] = b64_val(p[i + 2]);
		v[3] = b64_val(p[i + 3]);
		if((v[0] | v[1] | v[2] | v[3]) < 0)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
		out[o++] = (unsigned char)((v[2] & 0x03) << 6 | v[3]);
	}
	if(rest) {
		v[0] = b64_val(p[i]);
		v[1] = b64_val(p[i + 1]);
		v[2] = rest == 3 ? b64_val(p[i + 2]) : 0;
		if((v[0] | v[1] | v[2]) < 0)
			return -1;
		/* RFC 4648 sec 3.5: non-zero pad bits make a second encoding */
		if(rest == 2 ? (v[1] & 0x0f) : (v[2] & 0x03))
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if(rest == 3)
			out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
	}
	*outlen = o;
	return 0;
}
