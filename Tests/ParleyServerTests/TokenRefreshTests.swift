import ParleyCore
import Testing

@testable import ParleyServer

/// A refreshed token must still cover what the old one admitted before a session resumes with it.
@Suite struct TokenRefreshTests {
    static func claims(room: String?, sub: String? = nil) -> TokenClaims {
        var all: [String: JSONValue] = [:]
        if let room { all["room"] = .string(room) }
        if let sub { all["sub"] = .string(sub) }
        return TokenClaims(all)
    }

    @Test func theSameRoomOrAnyRoom() {
        #expect(TokenRefresh.refusal(oldRoom: "retro", oldSubject: nil, new: Self.claims(room: "retro")) == nil)
        #expect(TokenRefresh.refusal(oldRoom: "retro", oldSubject: nil, new: Self.claims(room: "RETRO")) == nil)
        #expect(TokenRefresh.refusal(oldRoom: "retro", oldSubject: nil, new: Self.claims(room: "*")) == nil)
        #expect(TokenRefresh.refusal(oldRoom: "retro", oldSubject: nil, new: Self.claims(room: "other")) != nil)
        #expect(TokenRefresh.refusal(oldRoom: "retro", oldSubject: nil, new: Self.claims(room: nil)) != nil)
        // A token for any room narrowed to one: the session may be in another, so it starts again.
        #expect(TokenRefresh.refusal(oldRoom: "*", oldSubject: nil, new: Self.claims(room: "retro")) != nil)
    }

    @Test func theSameSubject() {
        #expect(TokenRefresh.refusal(oldRoom: "*", oldSubject: "acme", new: Self.claims(room: "*", sub: "acme")) == nil)
        #expect(TokenRefresh.refusal(oldRoom: "*", oldSubject: "acme", new: Self.claims(room: "*", sub: "*")) == nil)
        #expect(
            TokenRefresh.refusal(oldRoom: "*", oldSubject: "acme", new: Self.claims(room: "*", sub: "globex")) != nil
        )
    }

    @Test func nothingToCompare() {
        #expect(TokenRefresh.refusal(oldRoom: nil, oldSubject: nil, new: Self.claims(room: "retro")) == nil)
        #expect(TokenRefresh.refusal(oldRoom: "retro", oldSubject: "acme", new: nil) == nil)
    }
}
