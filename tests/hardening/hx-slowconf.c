/* SPDX-License-Identifier: MIT */
/*
 * libhx-slowconf.so - a stand-in for kashim's config plugin
 * (kashim/libkashim-conf.so) whose kashim_conffile_load() can be held:
 * it opens the config path with a plain blocking open(), so a FIFO keeps
 * the calling thread inside kashim's initialisation until a test opens the
 * FIFO's other end. The real plugin refuses to block on a FIFO; this one
 * exists only so that fork() can be tested in the middle of initialisation.
 * It applies "idle = N" and "interval = N" when the file has them, and
 * with "rules = 1" its kashim_conffile_load_rules() adds one destination
 * rule (port 1, which no test connects to), so that the program has rules.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../config/conffile.h"
#include "../../config/rules.h"

/* "NAME = N" in @text into *@out; false when absent. */
static int number_after(const char *text, const char *name, int *out)
{
	const char *at = strstr(text, name);

	return at && sscanf(at + strlen(name), " = %d", out) == 1;
}

static enum kashim_conf_result load(const char *path, struct kashim_settings *s, struct kashim_ruleset **rules)
{
	char text[128] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), value;
	ssize_t n, got = 0;

	if (fd < 0)
		return KASHIM_CONF_MISSING;
	while ((n = read(fd, text + got, sizeof text - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	if (number_after(text, "idle", &value))
		s->idle = value;
	if (number_after(text, "interval", &value))
		s->interval = value;
	if (rules && number_after(text, "rules", &value) && value &&
	    (*rules = calloc(1, sizeof **rules + sizeof(struct kashim_rule)))) {
		struct kashim_rule *r = &(*rules)->rule[0];

		(*rules)->n = 1;
		r->kind = KASHIM_RULE_DESTINATION;
		r->spec.nports = 1;
		r->spec.ports[0].lo = r->spec.ports[0].hi = 1;
		r->settings = *s;
		r->settings.idle = 11;
		snprintf(r->settings.rule, sizeof r->settings.rule, "destination \"*:1\"");
	}
	return KASHIM_CONF_APPLIED;
}

__attribute__((visibility("default"))) enum kashim_conf_result
kashim_conffile_load(const char *path, const char *exe_name, const char *argv0_name,
		     struct kashim_settings *s, const struct kashim_logger *log)
{
	(void)exe_name, (void)argv0_name, (void)log;
	return load(path, s, NULL);
}

__attribute__((visibility("default"))) enum kashim_conf_result
kashim_conffile_load_rules(const char *path, const char *exe_name, const char *argv0_name,
			   struct kashim_settings *s, struct kashim_ruleset **rules, const struct kashim_logger *log)
{
	(void)exe_name, (void)argv0_name, (void)log;
	return load(path, s, rules);
}
