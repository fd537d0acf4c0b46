/// The outcome of one step on a `TLSConnection`, from `SSL_get_error` (compare NIOSSL's `AsyncOperationResult`).
enum TLSResult<Value> {
    /// The step finished.
    case complete(Value)
    /// OpenSSL needs more ciphertext from the peer (`SSL_ERROR_WANT_READ`).
    case incomplete
    /// The peer sent close_notify (`SSL_ERROR_ZERO_RETURN`, RFC 8446 §6.1).
    case closed
    /// A fatal handshake or record error; the connection must not be used again.
    case failed(OpenSSLError)
}
