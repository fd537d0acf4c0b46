internal import COpenSSL
import NIOCore

/// One TLS session: an `SSL*` over a `ByteBufferBIO`, with no I/O of its own.
///
/// Ciphertext from the network goes in with `receive(_:)`; plaintext comes out of `readPlaintext(into:)`; plaintext
/// goes in with `write(_:)`; ciphertext for the network comes out of `takeCiphertext()`.
///
/// Each operation empties the thread's OpenSSL error queue first: `SSL_get_error` consults that queue, and an event
/// loop thread serves many connections.
final class TLSConnection {
    /// Kept so that the `SSL_CTX` (and the ALPN list its callback reads) outlives the `SSL`.
    let context: TLSContext
    private let ssl: OpaquePointer
    /// Ciphertext both ways. Its `BIO` is owned by `ssl`, which is freed first (`deinit`).
    private let bio: ByteBufferBIO

    /// - Parameter serverHostname: client side only: sent as SNI (RFC 6066 §3) unless it is an IP literal, and
    ///   checked against the certificate when the context verifies peers. Ignored on the server side.
    init(context: TLSContext, serverHostname: String?) throws {
        let bio = try ByteBufferBIO()
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(context.pointer) else {
            let error = OpenSSLError.drain(operation: "SSL_new")
            BIO_free(bio.pointer)
            throw error
        }
        SSL_set_bio(ssl, bio.pointer, bio.pointer)  // one BIO both ways: the SSL takes its one reference
        self.context = context
        self.ssl = ssl
        self.bio = bio

        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverHostname {
                try self.configure(serverHostname: serverHostname)
            }
        }
    }

    deinit {
        SSL_free(self.ssl)
    }

    private func configure(serverHostname: String) throws {
        let isIPAddress = X509Certificate.isIPAddress(serverHostname)
        if !isIPAddress, COpenSSL_SSL_set_tlsext_host_name(self.ssl, serverHostname) != 1 {
            throw OpenSSLError.drain(operation: "SSL_set_tlsext_host_name")
        }
        guard self.context.verifiesPeer else {
            return
        }
        let accepted =
            isIPAddress
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(self.ssl), serverHostname)
            : SSL_set1_host(self.ssl, serverHostname)
        guard accepted == 1 else {
            throw OpenSSLError.drain(operation: "SSL_set1_host")
        }
    }

    /// Hands ciphertext from the network to OpenSSL's next reads.
    func receive(_ buffer: ByteBuffer) {
        self.bio.receive(buffer)
    }

    /// Lets go of the network's buffer once OpenSSL has read what it can (see `ByteBufferBIO.compactInbound()`).
    func finishReceiving() {
        self.bio.compactInbound()
    }

    /// Advances the handshake (RFC 8446 §4) as far as the ciphertext received so far allows.
    func handshake() -> TLSResult<TLSHandshakeCompleted> {
        OpenSSLError.clearQueue()
        let result = SSL_do_handshake(self.ssl)
        guard result == 1 else {
            return self.failure(result, operation: "SSL_do_handshake")
        }
        return .complete(self.handshakeSummary())
    }

    /// Whether `readPlaintext(into:)` could produce anything: ciphertext is waiting, or OpenSSL holds decrypted
    /// bytes not yet read.
    var hasInput: Bool {
        self.bio.inboundBytes > 0 || SSL_has_pending(self.ssl) != 0
    }

    /// Decrypts every complete record received so far and appends the plaintext to `buffer`.
    ///
    /// Returns `.incomplete` once nothing more can be decrypted yet (the usual outcome), `.closed` at the peer's
    /// close_notify and `.failed` on a bad record; plaintext decrypted before either is in `buffer` all the same.
    /// A record's plaintext is never longer than its ciphertext (RFC 8446 §5.2), so reserving what is pending
    /// makes one allocation do for the whole call.
    func readPlaintext(into buffer: inout ByteBuffer) -> TLSResult<Void> {
        while self.hasInput {
            let pending = self.bio.inboundBytes + Int(SSL_pending(self.ssl))
            var result: Int32 = 0
            OpenSSLError.clearQueue()
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: max(pending, 256)) { raw in
                var count = 0
                result = SSL_read_ex(self.ssl, raw.baseAddress, raw.count, &count)
                return result == 1 ? count : 0
            }
            guard result == 1 else {
                return self.failure(result, operation: "SSL_read")
            }
        }
        return .incomplete
    }

    /// Encrypts all of `buffer`. The `ByteBufferBIO` never blocks, so this writes everything or fails.
    func write(_ buffer: ByteBuffer) -> TLSResult<Void> {
        guard buffer.readableBytes > 0 else {
            return .complete(())
        }
        var result: Int32 = 0
        var written = 0
        OpenSSLError.clearQueue()
        buffer.withUnsafeReadableBytes { raw in
            result = SSL_write_ex(self.ssl, raw.baseAddress, raw.count, &written)
        }
        guard result == 1 else {
            return self.failure(result, operation: "SSL_write")
        }
        return .complete(())
    }

    /// Queues our close_notify alert (RFC 8446 §6.1). We do not wait for the peer's: §6.1 allows closing at once.
    func shutdown() {
        OpenSSLError.clearQueue()
        _ = SSL_shutdown(self.ssl)
        OpenSSLError.clearQueue()
    }

    /// Sizes the buffer the next ciphertext goes into, when the caller knows roughly how much is coming.
    func reserveCiphertext(_ bytes: Int) {
        self.bio.reserveOutput(bytes)
    }

    /// Every byte of ciphertext OpenSSL has produced since the last call, in one buffer; `nil` if none.
    func takeCiphertext() -> ByteBuffer? {
        self.bio.takeOutput()
    }

    private func handshakeSummary() -> TLSHandshakeCompleted {
        let version = SSL_get_version(self.ssl).map { String(cString: $0) } ?? "unknown"
        let cipher = SSL_get_current_cipher(self.ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) }
        var selected: UnsafePointer<UInt8>? = nil
        var selectedLength: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &selected, &selectedLength)
        let applicationProtocol = selected.flatMap { bytes -> String? in
            guard selectedLength > 0 else {
                return nil
            }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(selectedLength)), as: UTF8.self)
        }
        return TLSHandshakeCompleted(
            protocolVersion: version,
            cipher: cipher ?? "unknown",
            applicationProtocol: applicationProtocol
        )
    }

    /// Maps a failed call's `SSL_get_error` to a result, draining the error queue for fatal errors.
    private func failure<Value>(_ result: Int32, operation: String) -> TLSResult<Value> {
        switch SSL_get_error(self.ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .incomplete
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            var extra: [String] = []
            let verification = SSL_get_verify_result(self.ssl)
            if verification != X509_V_OK, let reason = X509_verify_cert_error_string(verification) {
                extra.append("certificate verification: \(String(cString: reason))")
            }
            return .failed(OpenSSLError.drain(operation: operation, extra: extra))
        }
    }
}

@available(*, unavailable)
extension TLSConnection: Sendable {}
