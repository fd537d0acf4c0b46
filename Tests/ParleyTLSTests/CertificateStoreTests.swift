import ParleyTLS
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("CertificateStore")
struct CertificateStoreTests {
    @Test("the first call makes and writes a pair (key 0600); the second loads the same PEM")
    func loadOrCreate() throws {
        let temporary = try TemporaryDirectory()
        let directory = temporary.path + "/data/tls"  // nested and missing: created on demand
        let first = try CertificateStore.loadOrCreate(directory: directory, hosts: ["meet.jitsi"])

        #expect(temporary.mode(of: directory + "/parley-key.pem") == 0o600)
        #expect(temporary.mode(of: directory) == 0o700)
        #expect(temporary.mode(of: directory + "/parley-cert.pem") != nil)
        #expect(temporary.mode(of: directory + "/parley-key.pem.tmp") == nil)

        let second = try CertificateStore.loadOrCreate(directory: directory, hosts: ["meet.jitsi"])
        #expect(second.certificatePEM == first.certificatePEM)
        #expect(second.privateKeyPEM == first.privateKeyPEM)
        _ = try TLSContext.server(certificateChainPEM: second.certificatePEM, privateKeyPEM: second.privateKeyPEM)
    }

    @Test("load reports a key that does not match the certificate")
    func mismatchedKey() throws {
        let temporary = try TemporaryDirectory()
        let one = try CertificateStore.loadOrCreate(directory: temporary.path + "/one", hosts: ["meet.jitsi"])
        let two = try CertificateStore.loadOrCreate(directory: temporary.path + "/two", hosts: ["meet.jitsi"])
        #expect(one.privateKeyPEM != two.privateKeyPEM)

        let certificatePath = temporary.path + "/one/parley-cert.pem"
        let keyPath = temporary.path + "/two/parley-key.pem"
        #expect(throws: CertificateError.keyMismatch(certificatePath: certificatePath, keyPath: keyPath)) {
            try CertificateStore.load(certificatePath: certificatePath, keyPath: keyPath)
        }
    }

    @Test("load reports a missing file and a file that is not PEM")
    func missingAndNotPEM() throws {
        let temporary = try TemporaryDirectory()
        _ = try CertificateStore.loadOrCreate(directory: temporary.path, hosts: ["meet.jitsi"])
        let certificatePath = temporary.path + "/parley-cert.pem"
        let keyPath = temporary.path + "/parley-key.pem"

        #expect(throws: CertificateError.fileMissing(path: temporary.path + "/absent.pem")) {
            try CertificateStore.load(certificatePath: temporary.path + "/absent.pem", keyPath: keyPath)
        }
        let error = #expect(throws: CertificateError.self) {
            // The key file is PEM, but not a certificate.
            try CertificateStore.load(certificatePath: keyPath, keyPath: keyPath)
        }
        guard case .notPEM(let path, let expected, _) = error else {
            Issue.record("expected .notPEM, got \(String(describing: error))")
            return
        }
        #expect(path == keyPath && expected == "certificate")
        #expect(throws: CertificateError.self) {
            try CertificateStore.load(certificatePath: certificatePath, keyPath: certificatePath)
        }
        #expect(try CertificateStore.load(certificatePath: certificatePath, keyPath: keyPath).certificatePEM.count > 0)
    }
}

/// A fresh directory under /tmp, removed with everything in it when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/parley-tls-tests-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let made = mkdtemp(base) else {
                return nil
            }
            return String(cString: made)
        }
        self.path = try #require(created)
    }

    deinit {
        Self.remove(self.path)
    }

    /// The permission bits of `path`, or `nil` if it does not exist.
    func mode(of path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return nil
        }
        return status.st_mode & 0o777
    }

    private static func remove(_ path: String) {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                    tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                        String(cString: $0)
                    }
                }
                if name != "." && name != ".." {
                    Self.remove(path + "/" + name)
                }
            }
            closedir(directory)
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
