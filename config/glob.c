/* SPDX-License-Identifier: MIT */
/*
 * glob.c - fnmatch(pattern, name, 0) without libc: see glob.h.
 *
 * One star is remembered at a time (the classic backtracking matcher):
 * with flags 0 a `*` matches any byte, so going back to the last star
 * and letting it take one byte more finds every match fnmatch finds, in
 * O(pattern x name) steps and constant stack.
 */
#include "glob.h"

#include <stddef.h>

/* Outcome of one bracket expression against one byte. */
enum bracket { BRACKET_NO, BRACKET_YES, BRACKET_LITERAL, BRACKET_ERROR };

/* 1 when @c is in the class @name (@len bytes), 0 when not, -1 when
 * there is no such class. The C locale's classes. */
static int in_class(const char *name, size_t len, unsigned char c)
{
	static const struct {
		const char *name;
		unsigned char lo[3], hi[3];
		const char *extra;
	} classes[] = {
		{ "alpha", { 'a', 'A' }, { 'z', 'Z' }, "" },
		{ "digit", { '0' }, { '9' }, "" },
		{ "alnum", { 'a', 'A', '0' }, { 'z', 'Z', '9' }, "" },
		{ "upper", { 'A' }, { 'Z' }, "" },
		{ "lower", { 'a' }, { 'z' }, "" },
		{ "xdigit", { '0', 'a', 'A' }, { '9', 'f', 'F' }, "" },
		{ "space", { '\t' }, { '\r' }, " " },
		{ "blank", { '\t' }, { '\t' }, " " },
		{ "punct", { '!', ':', '[' }, { '/', '@', '`' }, "{|}~" },
		{ "print", { ' ' }, { '~' }, "" },
		{ "graph", { '!' }, { '~' }, "" },
		{ "cntrl", { 0 }, { 31 }, "\177" },
	};

	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		const char *n = classes[i].name;
		size_t k = 0;

		while (k < len && n[k] && n[k] == name[k])
			k++;
		if (k != len || n[k])
			continue;
		for (int r = 0; r < 3 && (r == 0 || classes[i].hi[r]); r++)
			if (c >= classes[i].lo[r] && c <= classes[i].hi[r])
				return 1;
		for (const char *e = classes[i].extra; *e; e++)
			if (c == (unsigned char)*e)
				return 1;
		return 0;
	}
	return -1;
}

/* "[:name:]" at @p: true, its name and *@end past it. As glibc, a name
 * is lower-case letters a..y; anything else makes the '[' an ordinary
 * member of the set. */
static bool class_at(const char *p, const char **end, const char **name, size_t *len)
{
	const char *q = p + 2;

	while (*q >= 'a' && *q < 'z')
		q++;
	if (!(q[0] == ':' && q[1] == ']'))
		return false;
	*name = p + 2;
	*len = (size_t)(q - (p + 2));
	*end = q + 2;
	return true;
}

/* One member at *@pp (a character, maybe quoted, or a one-character
 * collating symbol [.c.] or equivalence class [=c=], which in the C locale
 * are that character): returns it and moves past it. A quote at the end of
 * the pattern, or any other [., gives -1 (an error); any other [= is an
 * ordinary '['. */
static int member(const char **pp)
{
	const char *p = *pp;

	if (p[0] == '[' && (p[1] == '.' || p[1] == '=') && !(p[2] && p[3] == p[1] && p[4] == ']')) {
		if (p[1] == '.')
			return -1; /* not a one-character symbol: an error */
	} else if (p[0] == '[' && (p[1] == '.' || p[1] == '=')) {
		*pp = p + 5;
		return (unsigned char)p[2];
	}
	if (*p == '\\') {
		if (!p[1])
			return -1;
		*pp = p + 2;
		return (unsigned char)p[1];
	}
	*pp = p + 1;
	return (unsigned char)*p;
}

/* The bracket expression at @p ('[') against @c; *@end past its ']'. */
static enum bracket bracket(const char *p, unsigned char c, const char **end)
{
	bool negate = p[1] == '!' || p[1] == '^', hit = false, error = false;
	const char *q = p + 1 + negate;
	bool first = true;

	for (; *q && (first || *q != ']'); first = false) {
		const char *cend, *cname;
		size_t clen;
		int lo, hi;

		if (q[0] == '[' && q[1] == ':' && class_at(q, &cend, &cname, &clen)) {
			int in = in_class(cname, clen, c);

			error |= in < 0;
			hit |= in > 0;
			q = cend;
			continue;
		}
		if ((lo = member(&q)) < 0)
			return BRACKET_ERROR;
		hi = lo;
		if (q[0] == '-' && q[1] && q[1] != ']') {
			q++;
			if ((hi = member(&q)) < 0)
				return BRACKET_ERROR;
		}
		hit |= c >= lo && c <= hi;
	}
	if (!*q)
		return BRACKET_LITERAL;
	*end = q + 1;
	if (error)
		return BRACKET_ERROR;
	return hit != negate ? BRACKET_YES : BRACKET_NO;
}

/* Does the pattern element at *@pp match @c? Moves *@pp past it. -1: the
 * pattern is malformed (matches nothing). */
static int element(const char **pp, unsigned char c)
{
	const char *p = *pp, *end;

	switch (*p) {
	case '?':
		*pp = p + 1;
		return c != '\0';
	case '[':
		switch (bracket(p, c, &end)) {
		case BRACKET_YES:
			*pp = end;
			return c != '\0';
		case BRACKET_NO:
			*pp = end;
			return 0;
		case BRACKET_ERROR:
			return -1;
		case BRACKET_LITERAL:
			*pp = p + 1;
			return c == '[';
		}
		return -1;
	default:
		if (*p == '\\' && !*++p)
			return -1;
		*pp = p + 1;
		return c == (unsigned char)*p && c != '\0';
	}
}

bool kashim_glob_match(const char *pattern, const char *name)
{
	const char *p = pattern, *n = name, *star_p = NULL, *star_n = NULL;

	for (;;) {
		int m;

		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_n = n;
			continue;
		}
		if (!*p) {
			if (!*n)
				return true;
			m = 0;
		} else {
			m = element(&p, (unsigned char)*n);
			if (m < 0)
				return false;
		}
		if (m) {
			n++;
			continue;
		}
		if (!star_p || !*star_n)
			return false;
		p = star_p;
		n = ++star_n;
	}
}
