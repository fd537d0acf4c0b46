import ParleyCore
import Testing

@Suite("Seeded identifiers (parley serve --seed)")
struct SeededIdentifiersTests {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    @Test("the same seed draws the same sequence per purpose; another seed another")
    func repeatable() {
        let a = SeededIdentifiers(seed: 7)
        let b = SeededIdentifiers(seed: 7)
        let c = SeededIdentifiers(seed: 8)
        let first = (0..<5).map { _ in a.string("anonymous", count: 16, alphabet: self.alphabet) }
        #expect(first == (0..<5).map { _ in b.string("anonymous", count: 16, alphabet: self.alphabet) })
        #expect(Set(first).count == 5)
        #expect(first[0] != c.string("anonymous", count: 16, alphabet: self.alphabet))
        #expect(first.allSatisfy { $0.utf8.count == 16 && $0.utf8.allSatisfy(self.alphabet.contains) })
    }

    @Test("purposes draw independently: a room's meeting id does not depend on logins in between")
    func independentPurposes() {
        let a = SeededIdentifiers(seed: 1)
        let b = SeededIdentifiers(seed: 1)
        _ = (0..<3).map { _ in b.string("stream", count: 16, alphabet: self.alphabet) }
        #expect(a.uuid("meeting:x@muc.meet.jitsi") == b.uuid("meeting:x@muc.meet.jitsi"))
        #expect(a.uuid("meeting:x@muc.meet.jitsi") != a.uuid("meeting:x@muc.meet.jitsi"))
        #expect(a.bytes("secret", count: 32) == b.bytes("secret", count: 32))
    }

    @Test("meeting ids have the UUID form Jicofo and lib-jitsi-meet expect")
    func uuidForm() {
        let id = SeededIdentifiers(seed: 3).uuid("meeting:abc@muc.meet.jitsi")
        #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil)
    }
}
