/* SPDX-License-Identifier: MIT */
/*
 * table.c - aligned text tables for operators. Widths are computed from the
 * cells themselves, so long IPv6 addresses or command names never break the
 * columns, and short listings stay compact.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ka_status.h"

/* Contract: never returns on allocation failure (see ka_table_cell). */
static void out_of_memory(void)
{
	fputs("ka-status: out of memory\n", stderr);
	exit(1);
}

/* Contract: see ka_status.h. */
void ka_table_init(struct ka_table *t, const char *const *headers, const char *align)
{
	memset(t, 0, sizeof *t);
	while (t->ncols < KA_TABLE_MAX_COLS && headers[t->ncols]) {
		t->headers[t->ncols] = headers[t->ncols];
		t->right[t->ncols] = align[t->ncols] == 'r';
		t->ncols++;
	}
}

/* Contract: see ka_status.h. */
void ka_table_cell(struct ka_table *t, const char *fmt, ...)
{
	va_list ap;
	char *cell;

	va_start(ap, fmt);
	if (vasprintf(&cell, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	if (ka_array_push(&t->cells, &t->ncells, &t->cap, &cell, sizeof cell) < 0)
		out_of_memory();
}

/* Contract: prints @text padded to @width, aligned right or left; the last
 * column is not padded on the left-aligned side (no trailing blanks). */
static void print_cell(const char *text, size_t width, bool right, bool last)
{
	int pad = (int)(width - strlen(text));

	if (right)
		printf("%*s%s", pad, "", text);
	else if (last)
		fputs(text, stdout);
	else
		printf("%s%*s", text, pad, "");
	fputs(last ? "\n" : "  ", stdout);
}

/* Contract: see ka_status.h. */
void ka_table_print(struct ka_table *t)
{
	size_t width[KA_TABLE_MAX_COLS];
	size_t c, i;

	for (c = 0; c < t->ncols; c++)
		width[c] = strlen(t->headers[c]);
	for (i = 0; i < t->ncells; i++) {
		size_t len = strlen(t->cells[i]);
		if (len > width[i % t->ncols])
			width[i % t->ncols] = len;
	}
	for (c = 0; c < t->ncols; c++)
		print_cell(t->headers[c], width[c], t->right[c], c + 1 == t->ncols);
	for (i = 0; i < t->ncells; i++)
		print_cell(t->cells[i], width[i % t->ncols], t->right[i % t->ncols],
			   i % t->ncols + 1 == t->ncols);
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}
