/*
 * client-floor: what a plain-TCP login+join costs the simplest possible client on this machine, for Scripts/bench's
 * machine calibration (the generator's budget in issue 5 is 50 µs of its own CPU per login+join).
 *
 *   client-floor PORT CLIENTS [DOMAIN MUC]
 *
 * One client at a time on 127.0.0.1:PORT, blocking sockets, no XML parser (it looks for fixed markers): stream
 * header (RFC 6120 §4.2), SASL ANONYMOUS (RFC 4505), stream restart, resource binding (RFC 6120 §7), then a MUC join
 * into rooms of 10 (XEP-0045 §7.2), done at the self-presence (status 110). Every client stays connected until the
 * last has joined, as in `parley load join`. Prints one JSON object with this process's user and system CPU per
 * login+join: nearly all of it is the kernel's work for the dozen loopback segments, which is a floor for any
 * generator, whatever language it is written in.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static char buffer[1 << 16];

static void fail(const char *what, long client) {
    fprintf(stderr, "client-floor: client %ld: %s\n", client, what);
    exit(1);
}

static void send_all(int fd, const char *text, long client) {
    size_t length = strlen(text), sent = 0;
    while (sent < length) {
        ssize_t n = send(fd, text + sent, length - sent, 0);
        if (n <= 0) fail("send", client);
        sent += (size_t)n;
    }
}

/* Reads until `marker` has arrived; what follows it in the same read is dropped (the server sends nothing the
 * client has not asked for at each step, except other occupants' presences, which are not needed). */
static void read_until(int fd, const char *marker, long client) {
    size_t used = 0, keep = strlen(marker);
    for (;;) {
        if (used >= sizeof buffer - 1) {
            /* keep the tail, in case the marker straddles two reads */
            memmove(buffer, buffer + used - keep, keep);
            used = keep;
        }
        ssize_t n = recv(fd, buffer + used, sizeof buffer - 1 - used, 0);
        if (n <= 0) fail(marker, client);
        used += (size_t)n;
        buffer[used] = 0;
        if (strstr(buffer, marker)) return;
    }
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec * 1e-6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec * 1e-6;
}

static double user_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec * 1e-6;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: client-floor PORT CLIENTS [DOMAIN MUC]\n");
        return 2;
    }
    long port = strtol(argv[1], NULL, 10), clients = strtol(argv[2], NULL, 10);
    const char *domain = argc > 3 ? argv[3] : "meet.jitsi", *muc = argc > 4 ? argv[4] : "muc.meet.jitsi";
    if (port < 1 || port > 65535 || clients < 1 || clients > 20000) {
        fprintf(stderr, "client-floor: PORT 1–65535, CLIENTS 1–20,000\n");
        return 2;
    }
    int *fds = calloc((size_t)clients, sizeof *fds);
    if (!fds) return 1;
    char header[512], join[512];
    snprintf(header, sizeof header,
             "<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
             "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
             domain);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    long run = (long)getpid();

    double cpu0 = cpu_seconds(), user0 = user_seconds();
    for (long i = 0; i < clients; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) fail("socket", i);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect", i);
        send_all(fd, header, i);
        read_until(fd, "</stream:features>", i);
        send_all(fd, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>", i);
        read_until(fd, "<success", i);
        send_all(fd, header, i);
        read_until(fd, "</stream:features>", i);
        send_all(fd, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>", i);
        read_until(fd, "</iq>", i);
        snprintf(join, sizeof join,
                 "<presence to='floor%ld-%ld@%s/n%ld'><x xmlns='http://jabber.org/protocol/muc'/></presence>", run,
                 i / 10, muc, i);
        send_all(fd, join, i);
        read_until(fd, "code='110'", i);
        fds[i] = fd;
    }
    double cpu = cpu_seconds() - cpu0, user = user_seconds() - user0;
    for (long i = 0; i < clients; i++) close(fds[i]);
    printf("{\"clients\": %ld, \"us_per_login_join\": %.1f, \"user_us_per_login_join\": %.1f}\n", clients,
           cpu / (double)clients * 1e6, user / (double)clients * 1e6);
    return 0;
}
