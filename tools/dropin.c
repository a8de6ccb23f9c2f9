/* SPDX-License-Identifier: MIT */
/*
 * dropin.c - ka-run --systemd-dropin UNIT: a drop-in for
 * /etc/systemd/system/UNIT.service.d/kashim.conf that preloads kashim into
 * the service with ka-run's options as Environment= lines.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "ka-run.h"

/* Unit types that are not services: Environment= is a [Service] setting. */
static const char *const not_services[] = {".socket", ".target", ".timer", ".path", ".mount",
					   ".automount", ".swap", ".slice", ".scope", ".device"};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

void karun_check_unit(const char *unit, char *out, size_t len)
{
	const char *at = strchr(unit, '@');

	if (!*unit || strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.@\\-") !=
			      strlen(unit))
		karun_die("--systemd-dropin: '%s' is not a unit name (letters, digits and : _ . @ \\ - only)",
			  unit);
	if (unit[0] == '.' || unit[0] == '@' || (at && strchr(at + 1, '@')))
		karun_die("--systemd-dropin: '%s' is not a unit name", unit);
	for (size_t i = 0; !ends_with(unit, ".service") && i < sizeof not_services / sizeof not_services[0]; i++) {
		if (ends_with(unit, not_services[i]))
			karun_die("--systemd-dropin: %s is not a service; give the .service it starts (Environment= is a [Service] setting)",
				  unit);
	}
	snprintf(out, len, "%s%s", unit, ends_with(unit, ".service") ? "" : ".service");
	if (strlen(out) > 255)
		karun_die("--systemd-dropin: unit names are at most 255 characters");
	if (!strcmp(out, ".service"))
		karun_die("--systemd-dropin: '%s' is not a unit name", out);
}

/* One Environment= line. '%' starts a specifier in unit files, and a value
 * with blanks, quotes or backslashes must be double-quoted. */
static void environment_line(const char *var, const char *value)
{
	bool plain = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._,:=@+-") ==
		     strlen(value);

	printf(plain ? "Environment=%s=" : "Environment=\"%s=", var);
	for (const char *p = value; *p; p++) {
		if (*p == '%')
			fputs("%%", stdout);
		else if (!plain && (*p == '\\' || *p == '"'))
			printf("\\%c", *p);
		else
			putchar(*p);
	}
	puts(plain ? "" : "\"");
}

void karun_print_dropin(const struct karun *k, const char *unit)
{
	printf("# kashim drop-in for %s, made by ka-run %s: TCP keepalive on\n"
	       "# every TCP socket of the service, through LD_PRELOAD.\n"
	       "# 1. Save it as /etc/systemd/system/%s.d/kashim.conf:\n"
	       "#      mkdir -p /etc/systemd/system/%s.d\n"
	       "#      ka-run --systemd-dropin %s [options] > /etc/systemd/system/%s.d/kashim.conf\n"
	       "# 2. systemctl daemon-reload\n"
	       "# 3. systemctl restart %s\n"
	       "# Confirm on the live sockets: ka-status $(systemctl show -p MainPID --value %s)\n"
	       "# This LD_PRELOAD replaces one the unit sets itself: if it has one, add its\n"
	       "# libraries to the line below. The service's user must be able to read the\n"
	       "# library (and the config file, if one is named).\n"
	       "[Service]\n",
	       unit, KASHIM_VERSION, unit, unit, unit, unit, unit, unit);
	environment_line("LD_PRELOAD", k->lib);
	for (int v = 0; v < KARUN_NVARS; v++) {
		if (k->value[v][0])
			environment_line(karun_var_name(v), k->value[v]);
	}
}
