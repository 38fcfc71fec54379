/*
 * The C reference for `npm run bench:server`: a minimal single-threaded epoll
 * echo server, the kind anyone writes in an afternoon. Raw echo (no framing):
 * whatever a read returns is written straight back. One shared 16 KiB buffer,
 * level-triggered, no per-connection state beyond the descriptor, so its memory
 * is the floor any server can be held against.
 *
 * A short write is handled simply: the rest is written blocking-free in a
 * retry loop that waits for EPOLLOUT on that one descriptor only. Under the
 * bench's loads (64-byte echoes, or a pipeline of a few 1000-byte messages)
 * the kernel send buffer is never the limit, so the slow path is for
 * correctness, not speed.
 *
 *   echo-server [--port N]     prints {"port":N,"pid":P} on stdout once listening
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF_SIZE = 16 * 1024, MAX_EVENTS = 512 };

static char buffer[BUF_SIZE];

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4096) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    return ntohs(addr.sin_port);
}

/* Writes all of buf, waiting (poll on this descriptor alone) when the socket is full. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 1000) <= 0) return -1;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    return 0;
}

static void accept_all(int listener, int ep) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return; /* EAGAIN: backlog drained; EMFILE etc.: retried on the next event */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) close(fd);
    }
}

static void echo_once(int fd) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
        if (write_all(fd, buffer, (size_t)n) == 0) return;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    close(fd); /* EOF, error or a peer that stopped reading: closing also drops it from epoll */
}

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr, "echo-server: unknown argument %s (usage: echo-server [--port N])\n", argv[i]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    int listener = listen_on(port);
    if (listener < 0) {
        perror("echo-server: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
    printf("{\"port\":%d,\"pid\":%d}\n", bound_port(listener), (int)getpid());
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0 && errno != EINTR) {
            perror("echo-server: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                accept_all(listener, ep);
            } else {
                echo_once(fd);
            }
        }
    }
}
