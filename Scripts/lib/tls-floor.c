/*
 * tls-floor: what the system's OpenSSL alone costs a server per TLS connection on this machine, for
 * Scripts/bench's machine calibration.
 *
 *   tls-floor CERT.pem KEY.pem [HANDSHAKES]
 *
 * A server and a client SSL in one thread, joined by memory BIOs (no sockets, no kernel), run HANDSHAKES full
 * TLS 1.3 handshakes (RFC 8446 §2) with the settings Parley's server contexts use (ParleyTLS/TLSContext.swift):
 * no tickets, no session cache, TLS_AES_128_GCM_SHA256 first, the configured chain only. Only the server's calls
 * are timed, in the thread's CPU time: SSL_new and its BIOs, every SSL_do_handshake step, SSL_free; then, separately,
 * 300-byte records written and 200-byte records read by the server. Prints one JSON object with the medians over ten
 * blocks of handshakes.
 *
 * The figure is a floor for a STARTTLS connection: a server built on this OpenSSL cannot spend less on TLS per
 * connection than this, whatever it does around it.
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* This thread's CPU time: unlike a wall clock it leaves out time the VM's host took the core away (steal). */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* What one bracket (two clock reads) costs, to be taken off each measured interval. */
static double bracket_cost(void) {
    double start = now();
    for (int i = 0; i < 10000; i++) (void)now();
    return (now() - start) / 10000.0;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Moves whatever one side wrote to the other side's input. */
static int pump(BIO *from, BIO *to) {
    char buffer[16384];
    int n;
    while ((n = BIO_read(from, buffer, sizeof buffer)) > 0) {
        if (BIO_write(to, buffer, n) != n) return 0;
    }
    return 1;
}

static void fail(const char *what) {
    fprintf(stderr, "tls-floor: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: tls-floor CERT.pem KEY.pem [HANDSHAKES]\n");
        return 2;
    }
    long handshakes = argc > 3 ? strtol(argv[3], NULL, 10) : 2000;
    if (handshakes < 1 || handshakes > 1000000) fail("HANDSHAKES must be 1 to 1,000,000");
    const long warmup = 100;

    SSL_CTX *server = SSL_CTX_new(TLS_server_method());
    SSL_CTX *client = SSL_CTX_new(TLS_client_method());
    if (!server || !client) fail("SSL_CTX_new");
    if (SSL_CTX_use_certificate_chain_file(server, argv[1]) != 1) fail("certificate");
    if (SSL_CTX_use_PrivateKey_file(server, argv[2], SSL_FILETYPE_PEM) != 1) fail("key");
    SSL_CTX_set_min_proto_version(server, TLS1_2_VERSION);
    SSL_CTX_set_options(server, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(server, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_num_tickets(server, 0);
    SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_ciphersuites(server, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384") != 1)
        fail("ciphersuites");
    SSL_CTX_set_verify(client, SSL_VERIFY_NONE, NULL);

    /* The figures are medians over blocks of handshakes, so a burst of interference decides one block at most. */
    enum { blocks = 10 };
    double block_handshake[blocks] = {0}, block_record[blocks] = {0};
    long block_size = handshakes / blocks > 0 ? handshakes / blocks : 1;
    handshakes = block_size * blocks;
    const double bracket = bracket_cost();
    char version[32] = "", cipher[64] = "";
    char payload[512];
    memset(payload, 'x', sizeof payload);

    for (long i = 0; i < warmup + handshakes; i++) {
        int measured = i >= warmup;
        double t0 = now();
        SSL *s = SSL_new(server);
        BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
        if (!s || !s_in || !s_out) fail("SSL_new");
        SSL_set_bio(s, s_in, s_out);
        SSL_set_accept_state(s);
        double spent = now() - t0;

        SSL *c = SSL_new(client);
        BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
        if (!c || !c_in || !c_out) fail("SSL_new (client)");
        SSL_set_bio(c, c_in, c_out);
        SSL_set_connect_state(c);

        int server_done = 0, client_done = 0, brackets = 2;
        for (int step = 0; step < 10 && !(server_done && client_done); step++) {
            if (!client_done && SSL_do_handshake(c) == 1) client_done = 1;
            if (!pump(c_out, s_in)) fail("pump");
            t0 = now();
            if (!server_done && SSL_do_handshake(s) == 1) server_done = 1;
            spent += now() - t0;
            brackets += 1;
            if (!pump(s_out, c_in)) fail("pump");
        }
        if (!(server_done && client_done)) fail("handshake did not complete");
        if (i == warmup) {
            snprintf(version, sizeof version, "%s", SSL_get_version(s));
            snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(s));
        }

        double record = 0;
        for (int k = 0; k < 3; k++) {
            t0 = now();
            if (SSL_write(s, payload, 300) != 300) fail("SSL_write");
            record += now() - t0;
            if (!pump(s_out, c_in)) fail("pump");
            if (SSL_read(c, payload, sizeof payload) != 300) fail("SSL_read (client)");
            if (SSL_write(c, payload, 200) != 200) fail("SSL_write (client)");
            if (!pump(c_out, s_in)) fail("pump");
            t0 = now();
            if (SSL_read(s, payload, sizeof payload) != 200) fail("SSL_read");
            record += now() - t0;
        }
        SSL_free(c);
        t0 = now();
        SSL_free(s);
        spent += now() - t0;
        if (measured) {
            long block = (i - warmup) / block_size;
            block_handshake[block] += spent - brackets * bracket;
            block_record[block] += record - 6 * bracket;
        }
    }
    qsort(block_handshake, blocks, sizeof(double), compare_doubles);
    qsort(block_record, blocks, sizeof(double), compare_doubles);
    double handshake_us = (block_handshake[blocks / 2 - 1] + block_handshake[blocks / 2]) / 2 / (double)block_size * 1e6;
    double record_us = (block_record[blocks / 2 - 1] + block_record[blocks / 2]) / 2 / (double)(block_size * 6) * 1e6;
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    printf("{\"handshakes\": %ld, \"server_us_per_handshake\": %.1f, \"server_us_per_record\": %.2f, "
           "\"version\": \"%s\", \"cipher\": \"%s\", \"openssl\": \"%s\"}\n",
           handshakes, handshake_us, record_us, version, cipher, OpenSSL_version(OPENSSL_VERSION));
    return 0;
}
