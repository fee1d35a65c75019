/*
 * Network destinations the profile does not allow, by every route to one.
 *
 *   net sendto HOST PORT                 one UDP datagram, the destination in sendto (no connect)
 *   net sendmsg HOST PORT                ... in sendmsg's msg_name
 *   net sendmmsg HOST1 PORT1 HOST2 PORT2 two datagrams in one sendmmsg: the first allowed, the second not
 *   net connect HOST PORT                TCP connect; HOST with ':' is IPv6 (::ffff:a.b.c.d too)
 *   net tfo HOST PORT                    TCP Fast Open: sendto(MSG_FASTOPEN) connects and sends
 *   net packet                           AF_PACKET raw socket, one frame sent on lo (sockaddr_ll)
 *   net netlink                          AF_NETLINK NETLINK_ROUTE socket, an RTM_GETLINK dump
 *   net dns HOST PORT                    a DNS query for A and AAAA in one sendmmsg (as glibc does), wait for an answer
 *   net abstract NAME                    connect to the abstract UNIX socket "\0NAME" (its exact length, then NUL-padded
 *                                        to sun_path's size: Node.js 26 and 20 bind it each way)
 *   net autobind                         bind(AF_UNIX, sa_family only): the kernel picks an abstract name
 *   net sink OK NO FILE DRAIN_MS         (helper, outside the sandbox) two AF_UNIX datagram sockets bound to the
 *                                        abstract names @OK and @NO: every datagram to @NO is logged to FILE
 *                                        ("no N bytes"); @OK is left full until DRAIN_MS after its first datagram,
 *                                        then drained (toctou sendmmsg-block)
 *
 * Every datagram carries "escape-corpus"; success is the kernel accepting the
 * send / the connection (the test also counts what its listeners received).
 */
#include "escape.h"
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static const char MSG[] = "escape-corpus";

/* HOST PORT -> a sockaddr (IPv4 or IPv6 by the host text). */
static socklen_t addr_of(const char *host, const char *port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (strchr(host, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)atoi(port));
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) error("bad IPv6 %s", host);
    return sizeof *a;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(port));
  if (inet_pton(AF_INET, host, &a->sin_addr) != 1) error("bad IPv4 %s", host);
  return sizeof *a;
}

static int udp(const struct sockaddr_storage *ss) {
  int s = socket(ss->ss_family, SOCK_DGRAM, 0);
  if (s < 0) error("socket(SOCK_DGRAM)");
  return s;
}

/* A DNS query (RFC 1035) for NAME, type QTYPE, id ID. */
static size_t dns_query(unsigned char *q, uint16_t id, const char *name, uint16_t qtype) {
  size_t n = 0;
  q[n++] = id >> 8; q[n++] = id & 0xff;
  q[n++] = 0x01; q[n++] = 0x00;            /* RD */
  q[n++] = 0; q[n++] = 1;                  /* QDCOUNT 1 */
  memset(q + n, 0, 6); n += 6;
  for (const char *p = name; *p;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    q[n++] = (unsigned char)len;
    memcpy(q + n, p, len); n += len;
    p += len + (dot ? 1 : 0);
  }
  q[n++] = 0;
  q[n++] = qtype >> 8; q[n++] = qtype & 0xff;
  q[n++] = 0; q[n++] = 1;                  /* IN */
  return n;
}

int main(int argc, char **argv) {
  ARGS(2, "MODE ARGS...");
  struct sockaddr_storage ss;
  if (MODE("sendto")) {
    ARGS(4, "sendto HOST PORT");
    socklen_t len = addr_of(argv[2], argv[3], &ss);
    int s = udp(&ss);
    ssize_t n = sendto(s, MSG, sizeof MSG, 0, (struct sockaddr *)&ss, len);
    if (n < 0) blocked(errno, "sendto %s:%s", argv[2], argv[3]);
    escaped("sendto %s:%s sent %zd bytes", argv[2], argv[3], n);
  }
  if (MODE("sendmsg")) {
    ARGS(4, "sendmsg HOST PORT");
    socklen_t len = addr_of(argv[2], argv[3], &ss);
    int s = udp(&ss);
    struct iovec iov = { (void *)MSG, sizeof MSG };
    struct msghdr m = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = sendmsg(s, &m, 0);
    if (n < 0) blocked(errno, "sendmsg %s:%s", argv[2], argv[3]);
    escaped("sendmsg %s:%s sent %zd bytes", argv[2], argv[3], n);
  }
  if (MODE("sendmmsg")) {
    ARGS(6, "sendmmsg HOST1 PORT1 HOST2 PORT2");
    struct sockaddr_storage ss2;
    socklen_t l1 = addr_of(argv[2], argv[3], &ss), l2 = addr_of(argv[4], argv[5], &ss2);
    int s = udp(&ss);
    struct iovec iov = { (void *)MSG, sizeof MSG };
    struct mmsghdr v[2] = {
      { .msg_hdr = { .msg_name = &ss, .msg_namelen = l1, .msg_iov = &iov, .msg_iovlen = 1 } },
      { .msg_hdr = { .msg_name = &ss2, .msg_namelen = l2, .msg_iov = &iov, .msg_iovlen = 1 } },
    };
    int n = sendmmsg(s, v, 2, 0);
    if (n < 0) blocked(errno, "sendmmsg %s:%s + %s:%s", argv[2], argv[3], argv[4], argv[5]);
    if (n < 2) blocked_because("sendmmsg sent only %d of 2 messages", n);
    escaped("sendmmsg sent both messages, the second to %s:%s", argv[4], argv[5]);
  }
  if (MODE("connect") || MODE("tfo")) {
    ARGS(4, "connect|tfo HOST PORT");
    socklen_t len = addr_of(argv[2], argv[3], &ss);
    int s = socket(ss.ss_family, SOCK_STREAM, 0);
    if (s < 0) error("socket(SOCK_STREAM)");
    if (MODE("connect")) {
      if (connect(s, (struct sockaddr *)&ss, len) < 0) blocked(errno, "connect %s:%s", argv[2], argv[3]);
      escaped("connected to %s:%s", argv[2], argv[3]);
    }
    ssize_t n = sendto(s, MSG, sizeof MSG, MSG_FASTOPEN, (struct sockaddr *)&ss, len);
    if (n < 0) blocked(errno, "sendto(MSG_FASTOPEN) %s:%s", argv[2], argv[3]);
    escaped("TCP Fast Open sendto %s:%s connected and sent %zd bytes", argv[2], argv[3], n);
  }
  if (MODE("packet")) {
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (s < 0) blocked(errno, "socket(AF_PACKET, SOCK_RAW)");
    struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(0x88b5), .sll_ifindex = (int)if_nametoindex("lo"), .sll_halen = 6 };
    unsigned char frame[64] = { 0 };
    frame[12] = 0x88; frame[13] = 0xb5; /* IEEE 802 local experimental ethertype */
    memcpy(frame + 14, MSG, sizeof MSG);
    ssize_t n = sendto(s, frame, sizeof frame, 0, (struct sockaddr *)&ll, sizeof ll);
    if (n < 0) blocked(errno, "sendto(AF_PACKET) on lo");
    escaped("AF_PACKET raw frame of %zd bytes sent on lo", n);
  }
  if (MODE("netlink")) {
    int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    if (s < 0) blocked(errno, "socket(AF_NETLINK, NETLINK_ROUTE)");
    struct { struct nlmsghdr h; struct ifinfomsg i; } req = {
      .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
      .i = { .ifi_family = AF_UNSPEC },
    };
    struct sockaddr_nl k = { .nl_family = AF_NETLINK };
    if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&k, sizeof k) < 0) blocked(errno, "sendto(AF_NETLINK)");
    char buf[16384];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 0) blocked(errno, "recv(AF_NETLINK)");
    escaped("NETLINK_ROUTE dump answered with %zd bytes", n);
  }
  if (MODE("dns")) {
    ARGS(4, "dns HOST PORT");
    socklen_t len = addr_of(argv[2], argv[3], &ss);
    int s = udp(&ss);
    unsigned char qa[512], qaaaa[512];
    size_t la = dns_query(qa, 0x1234, "exfil.escape-corpus.invalid", 1), l6 = dns_query(qaaaa, 0x1235, "exfil.escape-corpus.invalid", 28);
    struct iovec ia = { qa, la }, i6 = { qaaaa, l6 };
    struct mmsghdr v[2] = {
      { .msg_hdr = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &ia, .msg_iovlen = 1 } },
      { .msg_hdr = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &i6, .msg_iovlen = 1 } },
    };
    int n = sendmmsg(s, v, 2, 0);
    if (n < 0) blocked(errno, "sendmmsg of DNS queries to %s:%s", argv[2], argv[3]);
    struct pollfd p = { s, POLLIN, 0 };
    if (poll(&p, 1, 3000) <= 0) blocked_because("no DNS answer within 3 s (%d queries sent)", n);
    unsigned char ans[512];
    ssize_t got = recv(s, ans, sizeof ans, 0);
    if (got < 0) blocked(errno, "recv of the DNS answer");
    escaped("DNS over UDP to %s:%s: %d queries sent, a %zd-byte answer for id 0x%02x%02x", argv[2], argv[3], n, got, ans[0], ans[1]);
  }
  if (MODE("abstract") || MODE("autobind")) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0) error("socket(AF_UNIX)");
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    if (MODE("autobind")) {
      if (bind(s, (struct sockaddr *)&un, sizeof(sa_family_t)) < 0) blocked(errno, "bind(AF_UNIX) autobind");
      socklen_t l = sizeof un;
      getsockname(s, (struct sockaddr *)&un, &l);
      escaped("autobound to the abstract name @%.*s", (int)(l - sizeof(sa_family_t) - 1), un.sun_path + 1);
    }
    ARGS(3, "abstract NAME");
    /* An abstract name's length is part of it. The exact length first: how Node.js 26's libuv binds
     * "\0NAME" (and most programs); then, refused by no listener, the whole sun_path NUL-padded: how
     * Node.js 20's libuv binds it. */
    size_t n = strlen(argv[2]);
    memcpy(un.sun_path + 1, argv[2], n);
    if (connect(s, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0)
      escaped("connected to the abstract UNIX socket @%s", argv[2]);
    if (errno != ECONNREFUSED) blocked(errno, "connect to @%s", argv[2]);
    if (connect(s, (struct sockaddr *)&un, sizeof un) < 0) blocked(errno, "connect to @%s", argv[2]);
    escaped("connected to the abstract UNIX socket @%s (NUL-padded)", argv[2]);
  }
  if (MODE("sink")) {
    ARGS(6, "sink OK NO FILE DRAIN_MS");
    int fds[2];
    for (int i = 0; i < 2; i++) {
      fds[i] = socket(AF_UNIX, SOCK_DGRAM, 0);
      struct sockaddr_un un = { .sun_family = AF_UNIX };
      size_t n = strlen(argv[2 + i]);
      memcpy(un.sun_path + 1, argv[2 + i], n);
      if (bind(fds[i], (struct sockaddr *)&un, (socklen_t)(sizeof(sa_family_t) + 1 + n)) < 0) error("bind @%s", argv[2 + i]);
    }
    int log = open(argv[4], O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (log < 0) error("open %s", argv[4]);
    printf("READY\n");
    fflush(stdout);
    long drain_ms = atol(argv[5]);
    struct timespec first = { 0, 0 };
    for (;;) {
      struct pollfd p[2] = { { fds[0], 0, 0 }, { fds[1], POLLIN, 0 } };
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (first.tv_sec == 0) {
        p[0].events = POLLIN; /* peek only: notice the first datagram, leave the queue full */
      } else if ((now.tv_sec - first.tv_sec) * 1000 + (now.tv_nsec - first.tv_nsec) / 1000000 >= drain_ms) {
        p[0].events = POLLIN;
      }
      if (poll(p, 2, 20) < 0) continue;
      char buf[256];
      if (p[1].revents & POLLIN) {
        ssize_t n = recv(fds[1], buf, sizeof buf, 0);
        dprintf(log, "no %zd bytes\n", n);
      }
      if (p[0].revents & POLLIN) {
        if (first.tv_sec == 0) clock_gettime(CLOCK_MONOTONIC, &first);
        else recv(fds[0], buf, sizeof buf, 0);
      }
    }
  }
  fprintf(stderr, "net: unknown mode %s\n", argv[1]);
  return 2;
}
