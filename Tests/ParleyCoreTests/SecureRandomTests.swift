import ParleyCore
import Testing

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("strings have the asked length and only the alphabet's characters")
    func stringsOverAlphabets() {
        for alphabet in [SecureRandom.lowercaseAlphanumerics, SecureRandom.identifierAlphabet, Array("a".utf8)] {
            let letters = Set(String(decoding: alphabet, as: UTF8.self))
            for count in [0, 1, 16, 300] {
                let string = SecureRandom.string(count: count, alphabet: alphabet)
                #expect(string.count == count && string.utf8.count == count)
                #expect(string.allSatisfy { letters.contains($0) })
            }
        }
        let wide: [Character] = Array("äöü€x")
        let string = SecureRandom.string(count: 40, alphabet: wide)
        #expect(string.count == 40 && string.allSatisfy { wide.contains($0) })
    }

    @Test("identifiers drawn past many pool refills, on several threads at once, are all different")
    func identifiersAcrossPoolRefills() async {
        // 16 letters use ~32 pool bytes: 2,000 identifiers go through the 4 KiB pool about sixteen times per task.
        let sets = await withTaskGroup(of: Set<String>.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    Set(
                        (0..<2_000).map { _ in
                            SecureRandom.string(count: 16, alphabet: SecureRandom.lowercaseAlphanumerics)
                        }
                    )
                }
            }
            return await group.reduce(into: [Set<String>]()) { $0.append($1) }
        }
        #expect(sets.allSatisfy { $0.count == 2_000 })
        #expect(sets.reduce(into: Set<String>()) { $0.formUnion($1) }.count == 8_000)
    }

    @Test("every letter of the alphabet turns up")
    func coversTheAlphabet() {
        let string = SecureRandom.string(count: 2_000, alphabet: SecureRandom.identifierAlphabet)
        #expect(Set(string.utf8) == Set(SecureRandom.identifierAlphabet))
    }
}
