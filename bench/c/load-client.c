/*
 * The load generator for `npm run bench:server` and the yardstick for
 * `npm run bench:fleet`: a small single-threaded epoll client that verifies
 * nothing (it counts echoed bytes in whole messages), so what it costs is the
 * floor of what driving a connection costs. Every server in a bench run is
 * driven by this one program, so their numbers differ by the server alone.
 *
 *   load-client rate  --port P --connections N --rate R --size S [--warmup W] [--duration D] [--watch-pid PID]
 *       open loop: the fleet's sends are laid on one even schedule (N*R per second, connection
 *       i, i+1, ... in turn), so each connection sends every 1/R s; latency runs from the
 *       scheduled send time, not from when the client got round to it (no coordinated omission)
 *   load-client flood --port P --connections N --size S [--pipeline K] [--warmup W] [--duration D] [--watch-pid PID]
 *       closed loop: K messages in flight per connection, a new one sent per echo, as fast as it goes
 *   load-client idle  --port P --connections N
 *       connects, says so, and holds the connections until stdin closes
 *
 * Wake-ups follow the schedule with the kernel's default 50 us timer slack: exact
 * (1 ns) slack was measured to cost this client twice the CPU at 50k sends/s for
 * latencies 50 us finer than the figures it reports (milliseconds).
 *
 * Stdout carries JSON lines: {"event":"connected",...}, {"event":"window-start"},
 * {"event":"window-end"} and last {"event":"result",...}. Echoes, latency, the client's
 * own CPU (getrusage) and the watched process's CPU (/proc/PID/stat, all threads) are
 * counted between the same two instants, the window's edges, so no clock skew between
 * processes enters the per-echo figures.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { RING = 64, MAX_EVENTS = 1024, READ_SIZE = 64 * 1024, MAX_SIZE = 64 * 1024 };
enum mode { MODE_RATE, MODE_FLOOD, MODE_IDLE };

struct options {
    enum mode mode;
    int port;
    int connections;
    double rate;
    int size;
    int pipeline;
    double warmup;
    double duration;
    int watch_pid;
};

/* One connection: bytes still owed to the socket (short writes), the partial echo being
 * read, and the scheduled send times of the messages in flight (a ring, oldest first). */
struct conn {
    int fd;
    int dead;
    int pending_flush;
    uint32_t owed;
    uint32_t rx_partial;
    uint32_t head;
    uint32_t count;
    uint64_t sched[RING];
};

struct counters {
    int in_window;
    uint64_t sent;
    uint64_t echoes;
    uint64_t skipped; /* a send due while RING messages were still unanswered: not sent */
    uint64_t errors;
};

/* Log-linear latency histogram in microseconds: exact below 64, then 32 sub-buckets per
 * power of two (about 3% resolution), enough for p50/p99 and fixed in size. */
enum { HIST_LINEAR = 64, HIST_SUB = 32, HIST_BUCKETS = HIST_LINEAR + 40 * HIST_SUB };
static uint64_t hist[HIST_BUCKETS];
static uint64_t hist_count, hist_max;

static char zeros[MAX_SIZE];
static char rx_buf[READ_SIZE];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int hist_index(uint64_t us) {
    if (us < HIST_LINEAR) return (int)us;
    int e = 63 - __builtin_clzll(us); /* >= 6 */
    int sub = (int)((us >> (e - 5)) & (HIST_SUB - 1));
    int i = HIST_LINEAR + (e - 6) * HIST_SUB + sub;
    return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The upper edge of bucket i: a percentile is reported as "at most this". */
static uint64_t hist_value(int i) {
    if (i < HIST_LINEAR) return (uint64_t)i;
    int e = (i - HIST_LINEAR) / HIST_SUB + 6;
    int sub = (i - HIST_LINEAR) % HIST_SUB;
    return ((uint64_t)(HIST_SUB + sub + 1) << (e - 5)) - 1;
}

static void hist_record(uint64_t us) {
    hist[hist_index(us)]++;
    hist_count++;
    if (us > hist_max) hist_max = us;
}

static uint64_t hist_percentile(double p) {
    if (hist_count == 0) return 0;
    uint64_t rank = (uint64_t)(p * (double)hist_count + 0.999999);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += hist[i];
        if (seen >= rank) return hist_value(i) < hist_max ? hist_value(i) : hist_max;
    }
    return hist_max;
}

static double own_cpu_sec(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of every thread of pid (fields 14 and 15 of /proc/PID/stat, after the comm's ')'). */
static double proc_cpu_sec(int pid) {
    if (pid <= 0) return -1;
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *p = strrchr(text, ')');
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    /* after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void usage_error(const char *msg, const char *arg) {
    fprintf(stderr, "load-client: %s%s\n", msg, arg ? arg : "");
    fprintf(stderr, "usage: load-client rate|flood|idle --port P --connections N [--rate R] [--size S] [--pipeline K]\n"
                    "                   [--warmup SEC] [--duration SEC] [--watch-pid PID]\n");
    exit(2);
}

static struct options parse_options(int argc, char **argv) {
    struct options o = {.mode = MODE_RATE, .port = 0, .connections = 100, .rate = 10, .size = 64,
                        .pipeline = 4, .warmup = 1, .duration = 5, .watch_pid = 0};
    if (argc < 2) usage_error("missing mode", NULL);
    if (strcmp(argv[1], "rate") == 0) o.mode = MODE_RATE;
    else if (strcmp(argv[1], "flood") == 0) o.mode = MODE_FLOOD;
    else if (strcmp(argv[1], "idle") == 0) o.mode = MODE_IDLE;
    else usage_error("unknown mode ", argv[1]);
    for (int i = 2; i < argc; i += 2) {
        const char *flag = argv[i];
        if (i + 1 >= argc) usage_error("missing value for ", flag);
        const char *v = argv[i + 1];
        if (strcmp(flag, "--port") == 0) o.port = atoi(v);
        else if (strcmp(flag, "--connections") == 0) o.connections = atoi(v);
        else if (strcmp(flag, "--rate") == 0) o.rate = atof(v);
        else if (strcmp(flag, "--size") == 0) o.size = atoi(v);
        else if (strcmp(flag, "--pipeline") == 0) o.pipeline = atoi(v);
        else if (strcmp(flag, "--warmup") == 0) o.warmup = atof(v);
        else if (strcmp(flag, "--duration") == 0) o.duration = atof(v);
        else if (strcmp(flag, "--watch-pid") == 0) o.watch_pid = atoi(v);
        else usage_error("unknown flag ", flag);
    }
    if (o.port <= 0 || o.port > 65535) usage_error("--port must be 1..65535", NULL);
    if (o.connections < 1) usage_error("--connections must be >= 1", NULL);
    if (o.size < 1 || o.size > MAX_SIZE) usage_error("--size must be 1..65536", NULL);
    if (o.rate <= 0) usage_error("--rate must be > 0", NULL);
    if (o.pipeline < 1 || o.pipeline > RING) usage_error("--pipeline must be 1..64", NULL);
    if (o.warmup < 0 || o.duration <= 0) usage_error("--warmup must be >= 0 and --duration > 0", NULL);
    return o;
}

/* The open-files limit up to the hard limit: N connections need N descriptors. */
static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Blocking connects one after another: on loopback each completes in microseconds, and
 * one at a time never overflows the server's accept queue (a dropped SYN costs 1 s). */
static int connect_all(struct conn *conns, const struct options *o, int ep) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)o->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int connected = 0;
    for (int i = 0; i < o->connections; i++) {
        struct conn *c = &conns[i];
        c->dead = 1;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0) continue;
        if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            close(c->fd);
            c->fd = -1;
            continue;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int fl = fcntl(c->fd, F_GETFL);
        if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) continue;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) continue;
        c->dead = 0;
        connected++;
    }
    return connected;
}

static void mark_dead(struct conn *c, struct counters *k) {
    if (c->dead) return;
    c->dead = 1;
    k->errors++;
    close(c->fd); /* also drops it from epoll */
}

/* Writes what the connection owes, as far as the socket takes it now; the rest waits for
 * the connection's next send or echo (loopback with small messages almost never gets here). */
static void flush(struct conn *c, struct counters *k) {
    while (c->owed > 0 && !c->dead) {
        size_t chunk = c->owed < sizeof zeros ? c->owed : sizeof zeros;
        ssize_t n = write(c->fd, zeros, chunk);
        if (n > 0) {
            c->owed -= (uint32_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        } else {
            mark_dead(c, k);
        }
    }
}

/* Queues one message scheduled at `due` (ns) on c: its send time enters the ring. */
static void send_message(struct conn *c, uint64_t due, int size, struct counters *k) {
    if (c->dead) return;
    if (c->count == RING) {
        k->skipped++;
        return;
    }
    c->sched[(c->head + c->count) % RING] = due;
    c->count++;
    c->owed += (uint32_t)size;
    if (k->in_window) k->sent++;
}

/* Reads what arrived on c and retires each whole echoed message: its latency is now minus
 * its scheduled send time. Returns how many messages completed. */
static int receive(struct conn *c, int size, uint64_t now, struct counters *k) {
    ssize_t n = read(c->fd, rx_buf, sizeof rx_buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        mark_dead(c, k);
        return 0;
    }
    uint64_t bytes = (uint64_t)c->rx_partial + (uint64_t)n;
    int done = (int)(bytes / (uint64_t)size);
    c->rx_partial = (uint32_t)(bytes % (uint64_t)size);
    for (int i = 0; i < done && c->count > 0; i++) {
        uint64_t sent_at = c->sched[c->head];
        c->head = (c->head + 1) % RING;
        c->count--;
        if (k->in_window) {
            k->echoes++;
            hist_record(now > sent_at ? (now - sent_at) / 1000 : 0);
        }
    }
    return done;
}

struct window {
    double client_cpu;
    double watch_cpu;
    uint64_t at_ns;
};

static struct window window_edge(const struct options *o, const char *event) {
    struct window w = {.client_cpu = own_cpu_sec(), .watch_cpu = proc_cpu_sec(o->watch_pid), .at_ns = now_ns()};
    printf("{\"event\":\"%s\"}\n", event);
    fflush(stdout);
    return w;
}

/* Waits for socket events until `deadline` (ns, monotonic) at the latest. */
static int wait_events(int ep, struct epoll_event *events, uint64_t deadline) {
    uint64_t now = now_ns();
    struct timespec ts = {0, 0};
    if (deadline > now) {
        uint64_t d = deadline - now;
        ts.tv_sec = (time_t)(d / 1000000000u);
        ts.tv_nsec = (long)(d % 1000000000u);
    }
    int n = epoll_pwait2(ep, events, MAX_EVENTS, &ts, NULL);
    return n < 0 ? 0 : n;
}

/* Runs the load until the window closes: rate mode sends on the fleet-wide schedule,
 * flood mode answers every echo with a new message. */
static void run_load(struct conn *conns, const struct options *o, int ep, struct counters *k, struct window *start,
                     struct window *end) {
    const uint64_t t0 = now_ns() + 1000000; /* 1 ms from now: the first sends are not already late */
    const uint64_t window_open = t0 + (uint64_t)(o->warmup * 1e9);
    const uint64_t window_close = window_open + (uint64_t)(o->duration * 1e9);
    const double interval_ns = 1e9 / ((double)o->connections * o->rate);
    struct epoll_event events[MAX_EVENTS];
    uint64_t seq = 0;

    struct conn **to_flush = calloc((size_t)o->connections, sizeof *to_flush);
    int flush_count = 0;
    if (o->mode == MODE_FLOOD) {
        for (int i = 0; i < o->connections; i++) {
            for (int j = 0; j < o->pipeline; j++) send_message(&conns[i], t0, o->size, k);
            flush(&conns[i], k);
        }
    }
    for (;;) {
        uint64_t now = now_ns();
        if (!k->in_window && now >= window_open) {
            *start = window_edge(o, "window-start");
            k->in_window = 1;
        }
        if (now >= window_close) break;
        uint64_t next_wake = window_close;
        if (o->mode == MODE_RATE) {
            /* every send due by now, in schedule order; a client that fell behind catches up
             * here and its lateness shows in the latency, as an open loop must */
            for (;;) {
                uint64_t due = t0 + (uint64_t)((double)seq * interval_ns);
                if (due > now) {
                    if (due < next_wake) next_wake = due;
                    break;
                }
                struct conn *c = &conns[seq % (uint64_t)o->connections];
                send_message(c, due, o->size, k);
                seq++;
                /* one write per connection per pass: a connection due twice (the client fell
                 * a whole period behind) sends both messages in one write */
                if (c->owed > 0 && !c->pending_flush) {
                    c->pending_flush = 1;
                    to_flush[flush_count++] = c;
                }
            }
            for (int i = 0; i < flush_count; i++) {
                to_flush[i]->pending_flush = 0;
                flush(to_flush[i], k);
            }
            flush_count = 0;
        }
        if (!k->in_window && window_open < next_wake) next_wake = window_open;
        int n = wait_events(ep, events, next_wake);
        now = now_ns();
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->dead) continue;
            int done = receive(c, o->size, now, k);
            if (o->mode == MODE_FLOOD)
                for (int j = 0; j < done; j++) send_message(c, now, o->size, k);
            if (c->owed > 0) flush(c, k);
        }
    }
    *end = window_edge(o, "window-end");
    free(to_flush);
}

static void print_result(const struct options *o, int connected, const struct counters *k, const struct window *s,
                         const struct window *e) {
    static const char *names[] = {"rate", "flood", "idle"};
    double window_sec = (double)(e->at_ns - s->at_ns) / 1e9;
    printf("{\"event\":\"result\",\"mode\":\"%s\",\"connections\":%d,\"connected\":%d,\"size\":%d,", names[o->mode],
           o->connections, connected, o->size);
    if (o->mode == MODE_RATE) printf("\"rate\":%g,", o->rate);
    if (o->mode == MODE_FLOOD) printf("\"pipeline\":%d,", o->pipeline);
    printf("\"windowSec\":%.6f,\"sent\":%llu,\"echoes\":%llu,\"skipped\":%llu,\"errors\":%llu,", window_sec,
           (unsigned long long)k->sent, (unsigned long long)k->echoes, (unsigned long long)k->skipped,
           (unsigned long long)k->errors);
    printf("\"latencyUs\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu,\"count\":%llu},",
           (unsigned long long)hist_percentile(0.50), (unsigned long long)hist_percentile(0.90),
           (unsigned long long)hist_percentile(0.99), (unsigned long long)hist_percentile(0.999),
           (unsigned long long)hist_max, (unsigned long long)hist_count);
    printf("\"clientCpuSec\":%.4f,", e->client_cpu - s->client_cpu);
    if (o->watch_pid > 0 && s->watch_cpu >= 0 && e->watch_cpu >= 0)
        printf("\"watchPid\":%d,\"watchCpuSec\":%.4f}\n", o->watch_pid, e->watch_cpu - s->watch_cpu);
    else
        printf("\"watchPid\":null,\"watchCpuSec\":null}\n");
    fflush(stdout);
}

/* Idle mode: hold the connections until the harness closes our stdin (it has sampled the
 * server's memory by then). */
static void hold_until_stdin_closes(void) {
    char b[256];
    while (read(STDIN_FILENO, b, sizeof b) > 0) {
    }
}

int main(int argc, char **argv) {
    struct options o = parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();

    struct conn *conns = calloc((size_t)o.connections, sizeof *conns);
    int ep = epoll_create1(0);
    if (!conns || ep < 0) {
        perror("load-client");
        return 1;
    }
    int connected = connect_all(conns, &o, ep);
    printf("{\"event\":\"connected\",\"connections\":%d,\"connected\":%d}\n", o.connections, connected);
    fflush(stdout);
    if (connected == 0) {
        fprintf(stderr, "load-client: no connection to 127.0.0.1:%d succeeded\n", o.port);
        return 1;
    }
    if (o.mode == MODE_IDLE) {
        hold_until_stdin_closes();
        return 0;
    }
    struct counters k = {0};
    struct window start = {0}, end = {0};
    run_load(conns, &o, ep, &k, &start, &end);
    print_result(&o, connected, &k, &start, &end);
    return 0;
}
