internal import COpenSSL

/// The TLS versions Parley speaks: 1.2 (RFC 5246) and 1.3 (RFC 8446). Nothing older is ever negotiated.
public enum TLSVersion: Sendable, Hashable, CaseIterable {
    case tls1_2
    case tls1_3

    var openSSLValue: Int32 {
        switch self {
        case .tls1_2: COpenSSL_TLS1_2_VERSION()
        case .tls1_3: COpenSSL_TLS1_3_VERSION()
        }
    }
}
