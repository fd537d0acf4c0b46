#ifndef PARLEY_COPENSSL_SHIM_H
#define PARLEY_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>

// Macros Swift cannot import, as static inline functions.
static inline long COpenSSL_BIO_pending(BIO *b) { return BIO_pending(b); }
static inline int COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) {
    return (int)SSL_CTX_set_min_proto_version(ctx, v);
}
static inline int COpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) {
    return (int)SSL_CTX_set_max_proto_version(ctx, v);
}
static inline long COpenSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long COpenSSL_SSL_CTX_set_options(SSL_CTX *ctx, long op) { return (long)SSL_CTX_set_options(ctx, op); }
static inline long COpenSSL_SSL_set_tlsext_host_name(SSL *s, const char *name) {
    return SSL_set_tlsext_host_name(s, name);
}
static inline void COpenSSL_BIO_set_retry_read(BIO *b) { BIO_set_retry_read(b); }
static inline void COpenSSL_BIO_clear_retry_flags(BIO *b) { BIO_clear_retry_flags(b); }
static inline int COpenSSL_BIO_TYPE_SOURCE_SINK(void) { return BIO_TYPE_SOURCE_SINK; }
static inline int COpenSSL_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline int COpenSSL_TLS1_3_VERSION(void) { return TLS1_3_VERSION; }
static inline long COpenSSL_SSL_OP_NO_RENEGOTIATION(void) { return (long)SSL_OP_NO_RENEGOTIATION; }
static inline long COpenSSL_SSL_OP_NO_COMPRESSION(void) { return (long)SSL_OP_NO_COMPRESSION; }
static inline long COpenSSL_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline long COpenSSL_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long COpenSSL_SSL_MODE_ENABLE_PARTIAL_WRITE(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE; }
static inline long COpenSSL_SSL_OP_NO_TICKET(void) { return (long)SSL_OP_NO_TICKET; }
static inline long COpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return (long)SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline long COpenSSL_SSL_MODE_NO_AUTO_CHAIN(void) { return SSL_MODE_NO_AUTO_CHAIN; }
static inline long COpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long COpenSSL_SSL_SESS_CACHE_OFF(void) { return SSL_SESS_CACHE_OFF; }
static inline long COpenSSL_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *x509) {
    return SSL_CTX_add1_chain_cert(ctx, x509);
}
#endif
