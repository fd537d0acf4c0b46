import Foundation
import ParleyCore
import Testing

@testable import ParleyServer

/// The TURN REST scheme (draft-uberti-behave-turn-rest-00 §2.2) against values computed elsewhere: Python's
/// `hmac` module and `openssl dgst -sha1 -hmac north -binary | base64`.
@Suite struct TURNRESTCredentialTests {
    @Test func usernameIsTheExpiryAndPasswordItsHMAC() {
        let credential = TURNRESTCredential(secret: Array("north".utf8), expiry: 1_735_689_600)
        #expect(credential.username == "1735689600")
        #expect(credential.password == "vK3VkdJkUwA4MxbPUZFTbu9UJhk=")
        #expect(credential.expiry == 1_735_689_600)
    }

    @Test func aNamedUserFollowsTheExpiry() {
        // Prosody's item `username` (docker's TURN_USERNAME with TURN_CREDENTIALS): `<expiry>:<user>`.
        let credential = TURNRESTCredential(secret: Array("north".utf8), expiry: 1_735_689_600, user: "alice")
        #expect(credential.username == "1735689600:alice")
        #expect(credential.password == "HbvWA6hGDtdv3wflBolXLhvzs0w=")
    }

    @Test func theHMACIsRFC2202s() {
        // RFC 2202 §3, test case 2: the HMAC-SHA1 underneath.
        let mac = HashAlgorithm.sha1.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test func anotherSecretGivesAnotherPassword() {
        let right = TURNRESTCredential(secret: Array("north".utf8), expiry: 1_735_689_600)
        let wrong = TURNRESTCredential(secret: Array("south".utf8), expiry: 1_735_689_600)
        #expect(right.username == wrong.username && right.password != wrong.password)
    }

    @Test func itsDescriptionHidesThePassword() {
        let credential = TURNRESTCredential(secret: Array("north".utf8), expiry: 1_735_689_600)
        #expect(!"\(credential)".contains(credential.password))
    }
}
