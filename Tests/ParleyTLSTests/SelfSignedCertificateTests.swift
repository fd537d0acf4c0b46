import Testing

@testable import ParleyTLS

@Suite("SelfSignedCertificate")
struct SelfSignedCertificateTests {
    @Test("CN is the first host; the SAN lists every host and its wildcard")
    func namesInCertificate() throws {
        let hosts = ["meet.jitsi", "auth.meet.jitsi", "localhost"]
        let (certificatePEM, keyPEM) = try SelfSignedCertificate.make(hosts: hosts)
        #expect(certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))

        let certificate = try #require(try X509Certificate.readAll(pem: certificatePEM).first)
        #expect(certificate.commonName == "meet.jitsi")
        #expect(
            certificate.dnsNames == [
                "meet.jitsi", "*.meet.jitsi", "auth.meet.jitsi", "*.auth.meet.jitsi", "localhost", "*.localhost",
            ]
        )
        #expect(certificate.matches(try PrivateKey(pem: keyPEM)))
    }

    @Test("IP literals become iPAddress entries, not DNS names")
    func ipAddresses() throws {
        let (certificatePEM, _) = try SelfSignedCertificate.make(hosts: ["localhost", "127.0.0.1", "::1"])
        let certificate = try #require(try X509Certificate.readAll(pem: certificatePEM).first)
        #expect(certificate.dnsNames == ["localhost", "*.localhost"])
    }

    @Test("each certificate gets its own key and serial")
    func fresh() throws {
        let first = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        let second = try SelfSignedCertificate.make(hosts: ["meet.jitsi"])
        #expect(first.certificatePEM != second.certificatePEM)
        #expect(first.privateKeyPEM != second.privateKeyPEM)
    }

    @Test("bad arguments are refused with a clear error")
    func badArguments() throws {
        #expect(throws: CertificateError.noHosts) { try SelfSignedCertificate.make(hosts: []) }
        #expect(throws: CertificateError.invalidHost("a,DNS:evil.example")) {
            try SelfSignedCertificate.make(hosts: ["a,DNS:evil.example"])
        }
        #expect(throws: CertificateError.invalidHost("")) { try SelfSignedCertificate.make(hosts: [""]) }
        #expect(throws: CertificateError.invalidValidity(days: 0)) {
            try SelfSignedCertificate.make(hosts: ["meet.jitsi"], validDays: 0)
        }
    }
}
