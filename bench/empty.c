/* SPDX-License-Identifier: MIT */
/*
 * empty.c - libempty.so, a preloadable library that does nothing: what
 * LD_PRELOAD costs a process before the preloaded code does any work
 * (opening, mapping and relocating one more object). The "empty" variant of
 * `make bench` and the floor for the spawn workload.
 */

/* ISO C forbids an empty translation unit; this symbol is never used. */
int kabench_empty_library;
