/* egressloop VARIANT N HOST PORT ADDR [GAP_US]: N lookups and/or TCP connections, each timed.
 *
 *   lookup  getaddrinfo(HOST, PORT) + freeaddrinfo, N times
 *   name    getaddrinfo(HOST, PORT), then a connection to its first address, N times
 *   addr    one getaddrinfo(HOST, PORT) first (untimed), then a connection to the literal
 *           ADDR:PORT (IPv4 or IPv6), N times, with no lookup
 *
 * A connection is socket + connect + close. SO_LINGER {1, 0} makes the close reset the connection
 * (RST) rather than leave it in TIME_WAIT: a run of thousands of connections to one ADDR:PORT would
 * otherwise use up the ephemeral ports. getaddrinfo asks for AF_UNSPEC, SOCK_STREAM (an A and an
 * AAAA question per lookup through glibc's DNS resolver), as most programs do.
 * GAP_US > 0: nanosleep that long before each iteration (not timed).
 *
 * Prints one line per iteration to stdout once the loop is over: "LOOKUP_NS CONNECT_NS", the
 * CLOCK_MONOTONIC time (vDSO, no syscall) of each part, "-" for a part the variant does not do.
 * Exits 1 at the first lookup or connection that fails, with the reason on stderr; 2 on bad usage. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct addrinfo *lookup(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int e = getaddrinfo(host, port, &hints, &res);
    if (e != 0) {
        fprintf(stderr, "egressloop: getaddrinfo %s: %s\n", host, e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
        exit(1);
    }
    return res;
}

static void connection(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("egressloop: socket");
        exit(1);
    }
    struct linger l = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    if (connect(fd, sa, len) != 0) {
        perror("egressloop: connect");
        exit(1);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: egressloop lookup|name|addr N HOST PORT ADDR [GAP_US]\n");
        return 2;
    }
    const char *variant = argv[1];
    long n = atol(argv[2]);
    const char *host = argv[3], *port = argv[4], *addr = argv[5];
    long gap = argc > 6 ? atol(argv[6]) : 0;
    int v = !strcmp(variant, "lookup") ? 0 : !strcmp(variant, "name") ? 1 : !strcmp(variant, "addr") ? 2 : -1;
    if (v < 0 || n < 1 || gap < 0) {
        fprintf(stderr, "egressloop: bad arguments (VARIANT lookup|name|addr, N >= 1, GAP_US >= 0)\n");
        return 2;
    }

    struct sockaddr_storage literal;
    socklen_t literal_len = 0;
    memset(&literal, 0, sizeof literal);
    if (v == 2) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&literal;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&literal;
        if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
            s4->sin_family = AF_INET;
            s4->sin_port = htons((unsigned short)atoi(port));
            literal_len = sizeof *s4;
        } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons((unsigned short)atoi(port));
            literal_len = sizeof *s6;
        } else {
            fprintf(stderr, "egressloop: not an address: %s\n", addr);
            return 2;
        }
        freeaddrinfo(lookup(host, port));
    }

    long long *times = calloc((size_t)n * 2, sizeof *times);
    if (!times) {
        perror("egressloop: calloc");
        return 2;
    }
    struct timespec nap = { gap / 1000000, (gap % 1000000) * 1000 };
    for (long i = 0; i < n; i++) {
        if (gap > 0) nanosleep(&nap, NULL);
        long long t0 = now_ns(), t1 = t0, t2;
        struct addrinfo *res = NULL;
        if (v != 2) {
            res = lookup(host, port);
            t1 = now_ns();
        }
        if (v == 1) connection(res->ai_addr, res->ai_addrlen);
        else if (v == 2) connection((struct sockaddr *)&literal, literal_len);
        t2 = now_ns();
        if (res) freeaddrinfo(res);
        times[2 * i] = v == 2 ? -1 : t1 - t0;
        times[2 * i + 1] = v == 0 ? -1 : t2 - t1;
    }
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            if (times[2 * i + k] < 0) fputs("-", stdout);
            else printf("%lld", times[2 * i + k]);
            fputc(k ? '\n' : ' ', stdout);
        }
    }
    free(times);
    return 0;
}
