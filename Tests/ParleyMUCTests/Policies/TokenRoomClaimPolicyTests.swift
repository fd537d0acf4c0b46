import ParleyCore
import Testing

@testable import ParleyMUC

/// The token's room claim (Jitsi's `mod_token_verification` without domain verification).
@Suite struct TokenRoomClaimPolicyTests {
    static let mismatch = JoinVerdict.refuse(StanzaError(.notAllowed, type: .cancel, text: "Room and token mismatched"))

    @Test func theClaimedRoomOnly() {
        #expect(TokenRoomClaimPolicy.verdict(room: "retro", tokenRoom: "retro", isAdmin: false) == .admit)
        // Room nodes are prepared (lower case); the claim is compared in lower case, as Jitsi's string.lower.
        #expect(TokenRoomClaimPolicy.verdict(room: "retro", tokenRoom: "Retro", isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "other", tokenRoom: "retro", isAdmin: false) == Self.mismatch)
        #expect(TokenRoomClaimPolicy.verdict(room: "[acme]retro", tokenRoom: "retro", isAdmin: false) == Self.mismatch)
    }

    @Test func whoIsNotRestricted() {
        #expect(TokenRoomClaimPolicy.verdict(room: "anything", tokenRoom: "*", isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "anything", tokenRoom: nil, isAdmin: false) == .admit)
        #expect(TokenRoomClaimPolicy.verdict(room: "anything", tokenRoom: "retro", isAdmin: true) == .admit)
    }
}
