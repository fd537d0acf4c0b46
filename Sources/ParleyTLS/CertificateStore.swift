/// Where the server's certificate and key come from: operator-provided PEM files, or a self-signed pair made once
/// and kept in the data folder (the Jitsi preset's first start, like Prosody's `prosodyctl cert generate`).
public enum CertificateStore {
    public static let certificateFileName = "parley-cert.pem"
    public static let keyFileName = "parley-key.pem"

    /// Loads `directory/parley-cert.pem` and `directory/parley-key.pem`, or, if either is missing, makes a
    /// self-signed pair for `hosts` (see `SelfSignedCertificate`), writes it there and returns it.
    ///
    /// The directory is created (mode 0700) if needed and the key is written with mode 0600. An existing pair is
    /// returned as it is even if `hosts` has changed since it was made: delete the two files to make a new one.
    ///
    /// - Throws: `CertificateError` for file and PEM problems, `OpenSSLError` if OpenSSL fails.
    public static func loadOrCreate(
        directory: String,
        hosts: [String]
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let certificatePath = base + Self.certificateFileName
        let keyPath = base + Self.keyFileName
        if POSIXFile.exists(certificatePath) && POSIXFile.exists(keyPath) {
            return try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        }
        let made = try SelfSignedCertificate.make(hosts: hosts)
        try POSIXFile.makeDirectories(directory)
        // The key first: a certificate on disk then always has its key beside it.
        try POSIXFile.writeAtomically(made.privateKeyPEM, to: keyPath, mode: 0o600)
        try POSIXFile.writeAtomically(made.certificatePEM, to: certificatePath, mode: 0o644)
        return made
    }

    /// Loads an operator's PEM files: the certificate chain (leaf first) and its unencrypted private key.
    ///
    /// - Throws: `CertificateError.fileMissing`, `.unreadable`, `.notPEM` (also for an encrypted key) or
    ///   `.keyMismatch` when the key is not the certificate's.
    public static func load(
        certificatePath: String,
        keyPath: String
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let certificatePEM = try POSIXFile.readText(certificatePath)
        let keyPEM = try POSIXFile.readText(keyPath)
        let leaf: X509Certificate
        do {
            guard let first = try X509Certificate.readAll(pem: certificatePEM).first else {
                throw OpenSSLError(operation: "PEM_read_bio_X509", reasons: ["no certificate"])
            }
            leaf = first
        } catch {
            throw CertificateError.notPEM(path: certificatePath, expected: "certificate", reason: Self.reason(error))
        }
        let key: PrivateKey
        do {
            key = try PrivateKey(pem: keyPEM)
        } catch {
            throw CertificateError.notPEM(path: keyPath, expected: "private key", reason: Self.reason(error))
        }
        guard leaf.matches(key) else {
            throw CertificateError.keyMismatch(certificatePath: certificatePath, keyPath: keyPath)
        }
        return (certificatePEM, keyPEM)
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? OpenSSLError else {
            return "\(error)"
        }
        return error.reasons.joined(separator: "; ")
    }
}
