import ParleyCore
import Testing

@testable import ParleyMUC

/// The token's room claim and, with domain verification, its subject (Jitsi's `mod_token_verification`).
@Suite struct TokenRoomClaimPolicyTests {
    static let mismatch = JoinVerdict.refuse(StanzaError(.notAllowed, type: .cancel, text: "Room and token mismatched"))

    @Test func theClaimedRoomOnly() {
        #expect(TokenRoomClaimPolicy.verdict(room: "retro", tokenRoom: "retro", isAdmin: false) == .admit)
        // Room nodes are prepared (lower case); the claim is compared in lower case, as Jitsi's string.lower.
        #expect(TokenRoomClaimPolicy.verdict(room: "retro", tokenRoom: "Retro", isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "other", tokenRoom: "retro", isAdmin: false) == Self.mismatch)
        // Tenant-aware: a tenant's room is judged by its room part.
        #expect(TokenRoomClaimPolicy.verdict(room: "[acme]retro", tokenRoom: "retro", isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "[acme]other", tokenRoom: "retro", isAdmin: false) == Self.mismatch)
        // Brackets that do not make a tenant are part of the name.
        #expect(TokenRoomClaimPolicy.verdict(room: "[]retro", tokenRoom: "retro", isAdmin: false) == Self.mismatch)
        #expect(TokenRoomClaimPolicy.verdict(room: "[acme]", tokenRoom: "acme", isAdmin: false) == Self.mismatch)
    }

    /// `verify_subject` (docker's `JWT_ENABLE_DOMAIN_VERIFICATION`): `sub` selects the tenant, or the main domain.
    @Test func theSubjectNamesTheTenantOrTheDomain() {
        func verdict(_ room: String, room claim: String? = "*", sub: String?) -> JoinVerdict {
            TokenRoomClaimPolicy.verdict(
                room: room,
                service: "muc.meet.jitsi",
                claim: .init(room: claim, subject: sub),
                isAdmin: false
            )
        }
        #expect(verdict("[acme]retro", sub: "acme") == .admit)
        #expect(verdict("[acme]retro", sub: "ACME") == .admit)
        #expect(verdict("[acme]retro", sub: "globex") == Self.mismatch)
        #expect(verdict("[acme]retro", sub: "meet.jitsi") == Self.mismatch)
        #expect(verdict("retro", sub: "meet.jitsi") == .admit)
        #expect(verdict("retro", sub: "acme") == Self.mismatch)
        #expect(verdict("[acme]retro", sub: "*") == .admit)
        #expect(verdict("retro", sub: "*") == .admit)
        // Both claims hold together.
        #expect(verdict("[acme]retro", room: "retro", sub: "acme") == .admit)
        #expect(verdict("[acme]other", room: "retro", sub: "acme") == Self.mismatch)
        // Without domain verification the subject is not passed on, and any tenant is fine.
        #expect(verdict("[globex]retro", room: "retro", sub: nil) == .admit)
    }

    @Test func whoIsNotRestricted() {
        #expect(TokenRoomClaimPolicy.verdict(room: "anything", tokenRoom: "*", isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "anything", tokenRoom: nil, isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "anything", tokenRoom: "retro", isAdmin: true) == .admit)
    }
}
