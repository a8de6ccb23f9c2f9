/* SPDX-License-Identifier: MIT */
/*
 * libhx-slowconf.so - a stand-in for kashim's config plugin
 * (kashim/libkashim-conf.so) whose kashim_conffile_load() can be held:
 * it opens the config path with a plain blocking open(), so a FIFO keeps
 * the calling thread inside kashim's initialisation until a test opens the
 * FIFO's other end. The real plugin refuses to block on a FIFO; this one
 * exists only so that fork() can be tested in the middle of initialisation.
 * It applies "idle = N" when the file has it, and nothing else.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../../config/conffile.h"

__attribute__((visibility("default"))) enum kashim_conf_result
kashim_conffile_load(const char *path, const char *exe_name, const char *argv0_name,
		     struct kashim_settings *s, const struct kashim_logger *log)
{
	char text[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), idle;
	ssize_t n;

	(void)exe_name, (void)argv0_name, (void)log;
	if (fd < 0)
		return KASHIM_CONF_MISSING;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (sscanf(text, "idle = %d", &idle) == 1)
		s->idle = idle;
	return KASHIM_CONF_APPLIED;
}
