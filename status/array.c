/* SPDX-License-Identifier: MIT */
/*
 * array.c - the one growable array of ka-status (processes, sockets, table
 * cells): an array of items of one size, doubled when full.
 */
#include <stdlib.h>
#include <string.h>

#include "ka_status.h"

/* Contract: see ka_status.h. */
int ka_array_push(void *arrayp, size_t *n, size_t *cap, const void *item, size_t size)
{
	void **array = arrayp;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *grown = realloc(*array, ncap * size);

		if (!grown)
			return -1;
		*array = grown;
		*cap = ncap;
	}
	memcpy((char *)*array + *n * size, item, size);
	(*n)++;
	return 0;
}
