internal import COpenSSL

/// A failure reported by OpenSSL: a handshake or record error (RFC 8446 §6), or a configuration error.
///
/// `reasons` is OpenSSL's error queue at the moment of failure, oldest first, for example
/// `error:0A00010B:SSL routines::wrong version number`. The queue is per thread and NIO event loops are threads,
/// so it is drained (and so emptied) every time an error is built: one connection's errors never reach another's.
public struct OpenSSLError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The OpenSSL call or step that failed, such as `SSL_do_handshake` or `PEM_read_bio_X509`.
    public let operation: String

    /// The readable reasons, oldest first. Never empty: an empty queue is reported as such.
    public let reasons: [String]

    public init(operation: String, reasons: [String]) {
        self.operation = operation
        self.reasons = reasons.isEmpty ? ["no reason reported by OpenSSL"] : reasons
    }

    public var description: String {
        "\(self.operation) failed: \(self.reasons.joined(separator: "; "))"
    }

    /// Empties this thread's OpenSSL error queue into an error for `operation`.
    ///
    /// - Parameter extra: reasons known outside the queue, such as the certificate verification result.
    static func drain(operation: String, extra: [String] = []) -> OpenSSLError {
        var reasons: [String] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 {
                break
            }
            var reason = Self.string(for: code)
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                reason += " (\(String(cString: data)))"
            }
            reasons.append(reason)
        }
        return OpenSSLError(operation: operation, reasons: reasons + extra)
    }

    /// Discards whatever this thread's error queue holds. Call before each SSL operation: `SSL_get_error` reads
    /// the queue, so a stale entry would be taken for this connection's failure.
    ///
    /// The queue is nearly always empty already (every failure drains it), and `ERR_peek_error` only looks at its
    /// ends where `ERR_clear_error` resets all 16 slots: peeking first makes the common case several times cheaper.
    static func clearQueue() {
        if ERR_peek_error() != 0 {
            ERR_clear_error()
        }
    }

    private static func string(for code: UInt) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { pointer -> String in
            guard let base = pointer.baseAddress else {
                return "OpenSSL error \(code)"
            }
            ERR_error_string_n(code, base, pointer.count)
            return String(cString: base)
        }
    }
}
