/// Why a certificate could not be made, read or stored. Paths are the operator's own, so they are shown in full.
public enum CertificateError: Error, CustomStringConvertible, Sendable, Hashable {
    /// `SelfSignedCertificate.make` was given no host names.
    case noHosts
    /// A host name that cannot go into a certificate (empty, or characters outside letters, digits, `-`, `.`,
    /// `_`, `*`; internationalised names must be given in their `xn--` form).
    case invalidHost(String)
    /// The validity period is not between 1 and 36,500 days.
    case invalidValidity(days: Int)
    case fileMissing(path: String)
    case unreadable(path: String, reason: String)
    /// The file holds no PEM block of the expected kind (or an encrypted key, which Parley does not read).
    case notPEM(path: String, expected: String, reason: String)
    /// The private key is not the one the certificate was issued for.
    case keyMismatch(certificatePath: String, keyPath: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .noHosts:
            "a certificate needs at least one host name"
        case .invalidHost(let host):
            "\"\(host)\" is not a host name that can go into a certificate"
        case .invalidValidity(let days):
            "a certificate must be valid for 1 to 36500 days, not \(days)"
        case .fileMissing(let path):
            "\(path): no such file"
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .notPEM(let path, let expected, let reason):
            "\(path): not a PEM \(expected) (\(reason))"
        case .keyMismatch(let certificatePath, let keyPath):
            "\(keyPath) is not the private key of the certificate in \(certificatePath)"
        case .writeFailed(let path, let reason):
            "\(path): cannot write: \(reason)"
        }
    }
}
