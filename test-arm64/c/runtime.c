/*
 * runtime — a minimal Lambda custom runtime, static aarch64, for test-arm64/invoke.mjs: HTTP/1.1
 * over a raw TCP socket to AWS_LAMBDA_RUNTIME_API (IPv4 host:port), one connection per request
 * ("Connection: close"). For each event: GET .../invocation/next, then POST {"echo":EVENT} to
 * .../invocation/ID/response. An event containing "secret" first tries to read /etc/shadow (the
 * profile's violation). Same protocol as test/fixtures/profiles/static-runtime.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in api;

static void die(const char *what) {
  fprintf(stderr, "runtime: %s: %s\n", what, strerror(errno));
  exit(2);
}

/* One request; the whole response (until the server closes) in *out. */
static void roundtrip(const char *head, const char *body, size_t blen, char **out) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&api, sizeof api) < 0) die("connect");
  size_t hlen = strlen(head);
  if (write(fd, head, hlen) != (ssize_t)hlen) die("write head");
  if (blen && write(fd, body, blen) != (ssize_t)blen) die("write body");
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (len == cap) buf = realloc(buf, (cap *= 2) + 1);
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) { if (errno == EINTR) continue; die("read"); }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  *out = buf;
}

/* The value of header NAME in the response head, into v. */
static int header(const char *resp, const char *name, char *v, size_t vlen) {
  const char *end = strstr(resp, "\r\n\r\n");
  size_t nl = strlen(name);
  for (const char *p = strstr(resp, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
      const char *s = p + 3 + nl, *e = strstr(s, "\r\n");
      while (*s == ' ') s++;
      size_t n = (size_t)(e - s) < vlen - 1 ? (size_t)(e - s) : vlen - 1;
      memcpy(v, s, n);
      v[n] = 0;
      return 1;
    }
  }
  return 0;
}

int main(void) {
  const char *hp = getenv("AWS_LAMBDA_RUNTIME_API");
  if (!hp) { fprintf(stderr, "runtime: AWS_LAMBDA_RUNTIME_API is not set\n"); return 2; }
  char host[64];
  const char *colon = strrchr(hp, ':');
  if (!colon || (size_t)(colon - hp) >= sizeof host) { fprintf(stderr, "runtime: bad address %s\n", hp); return 2; }
  memcpy(host, hp, (size_t)(colon - hp));
  host[colon - hp] = 0;
  api.sin_family = AF_INET;
  api.sin_port = htons((unsigned short)atoi(colon + 1));
  if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &api.sin_addr) != 1) {
    fprintf(stderr, "runtime: not an IPv4 address: %s\n", host);
    return 2;
  }
  char head[512];
  snprintf(head, sizeof head, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", hp);
  char *next_req = strdup(head);
  for (;;) {
    char *resp;
    roundtrip(next_req, NULL, 0, &resp);
    char id[128];
    if (!header(resp, "Lambda-Runtime-Aws-Request-Id", id, sizeof id)) { fprintf(stderr, "runtime: no request id\n"); return 2; }
    char *event = strstr(resp, "\r\n\r\n") + 4;
    size_t elen = strlen(event);
    if (strstr(event, "secret")) {
      int fd = open("/etc/shadow", O_RDONLY);
      if (fd >= 0) close(fd);
    }
    size_t blen = elen + 9; /* {"echo":EVENT} */
    char *body = malloc(blen + 1);
    snprintf(body, blen + 1, "{\"echo\":%s}", event);
    snprintf(head, sizeof head,
             "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n", id, hp, blen);
    char *ack;
    roundtrip(head, body, blen, &ack);
    if (strncmp(ack, "HTTP/1.1 202", 12) != 0) { fprintf(stderr, "runtime: response not accepted: %.40s\n", ack); return 2; }
    free(ack); free(body); free(resp);
  }
}
