import NIOCore
import ParleyTLS

#if canImport(Glibc)
import Glibc
#endif

/// Why a client connection failed, as a metric label: the network's own endings (a reset, a broken pipe, a
/// timeout) are a client going away and are counted and logged at debug; TLS failures carry OpenSSL's reason;
/// anything else is `other` and logged at info.
enum ConnectionErrorKind: Hashable, Sendable {
    case reset
    case brokenPipe
    case timeout
    /// OpenSSL's reason, as a label (`wrong_version_number`, `unexpected_eof_while_reading`…).
    case tls(String)
    case other

    init(_ error: any Error) {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNRESET, ECONNABORTED: self = .reset
            case EPIPE: self = .brokenPipe
            case ETIMEDOUT: self = .timeout
            default: self = .other
            }
        } else if let tls = error as? OpenSSLError {
            self = .tls(ConnectionErrorKind.label(forReason: tls.reasons.first ?? ""))
        } else {
            self = .other
        }
    }

    /// The client went away: not worth an info line per client (a join storm's resets would flood the log).
    var isClientGoingAway: Bool {
        switch self {
        case .reset, .brokenPipe, .timeout: true
        case .tls, .other: false
        }
    }

    var label: String {
        switch self {
        case .reset: "reset"
        case .brokenPipe: "broken_pipe"
        case .timeout: "timeout"
        case .tls(let reason): reason
        case .other: "other"
        }
    }

    /// `error:0A00010B:SSL routines::wrong version number` → `wrong_version_number`: OpenSSL's reason text,
    /// a fixed set, so the label's values stay few. At most 64 characters of `a-z`, `0-9` and `_`.
    static func label(forReason reason: String) -> String {
        var text = Substring(reason)
        if let paren = text.firstIndex(of: "(") { text = text[..<paren] }
        if let colon = text.lastIndex(of: ":") { text = text[text.index(after: colon)...] }
        var label = ""
        for scalar in text.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                label.unicodeScalars.append(scalar)
            } else if !label.isEmpty, label.last != "_" {
                label.append("_")
            }
            if label.count >= 64 { break }
        }
        while label.last == "_" { label.removeLast() }
        return label.isEmpty ? "unknown" : label
    }
}
