/*
 * What the C floors share (mintrace.c, minnotify.c): the -a allowlist of path prefixes, and
 * reading a string from another process. Header-only: each floor is built by one gcc command.
 */
#ifndef FLOOR_H
#define FLOOR_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#define MAX_PREFIX 64
static const char *prefixes[MAX_PREFIX];
static size_t prefix_len[MAX_PREFIX];
static int nprefix;

/* Read a NUL-terminated string from the tracee, never crossing into a page
 * that is not readable.  Returns length, or -1 (errno set). */
static ssize_t read_str(pid_t pid, uintptr_t addr, char *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        size_t page_left = 4096 - ((addr + got) & 4095);
        size_t want = size - got < page_left ? size - got : page_left;
        struct iovec local = { buf + got, want };
        struct iovec remote = { (void *)(addr + got), want };
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) { if (n == 0) errno = EFAULT; return -1; }
        char *nul = memchr(buf + got, 0, (size_t)n);
        if (nul) return nul - buf;
        got += (size_t)n;
    }
    errno = ENAMETOOLONG;
    return -1;
}

/* Lexically normalise an absolute path in place: collapse '//', '.', '..'. */
static void normalise(char *p)
{
    char *out = p, *in = p;
    while (*in) {
        while (*in == '/') in++;
        if (!*in) break;
        char *seg = in;
        while (*in && *in != '/') in++;
        size_t len = (size_t)(in - seg);
        if (len == 1 && seg[0] == '.') continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > p && *--out != '/') ;
            continue;
        }
        *out++ = '/';
        memmove(out, seg, len);
        out += len;
    }
    if (out == p) *out++ = '/';
    *out = 0;
}

/* -a PREFIX: an absolute path, normalised; `prog` names the floor in a complaint. */
static void add_prefix(const char *prog, const char *arg)
{
    if (nprefix == MAX_PREFIX) { fprintf(stderr, "%s: too many -a\n", prog); exit(125); }
    char *p = strdup(arg);
    if (!p) { perror(prog); exit(125); }
    if (p[0] != '/') { fprintf(stderr, "%s: -a needs an absolute path\n", prog); exit(125); }
    normalise(p);
    prefixes[nprefix] = p;
    prefix_len[nprefix++] = strlen(p);
}

/* Is `path` (absolute, normalised) one of the prefixes or under one (component-wise: -a /usr
 * allows /usr and /usr/x, not /usrx)? */
static int allowed(const char *path)
{
    for (int i = 0; i < nprefix; i++) {
        size_t l = prefix_len[i];
        if (l == 1 && prefixes[i][0] == '/') return 1;           /* "/" */
        if (strncmp(path, prefixes[i], l) == 0 && (path[l] == 0 || path[l] == '/'))
            return 1;
    }
    return 0;
}
#endif
