import Testing

@testable import ParleyCore

/// `JSONValue.text` writes what `JSONEncoder` writes (sorted keys, unescaped slashes), now without it.
@Suite struct JSONWriterTests {
    private func written(_ value: JSONValue) -> String? {
        var writer = JSONWriter()
        return writer.write(value) ? writer.text : nil
    }

    @Test func jitsiBodiesMatchJSONEncoder() {
        let bodies: [JSONValue] = [
            .object(["type": .string("conference_duration"), "created_timestamp": .number(1_765_100_000_123)]),
            .object([
                "type": .string("room_metadata"),
                "metadata": .object([
                    "whiteboard": .object(["collabDetails": .object(["roomId": .string("a/b"), "roomKey": .null])]),
                    "permissions": .object(["groupChatRestricted": .bool(false)]),
                    "participantsSoundTrack": .array([]),
                ]),
            ]),
            .object([
                "B": .number(1), "Z": .number(-2), "_": .number(0), "a10": .null, "a9": .bool(true), "é": .array([]),
            ]),
            .string("\u{1}\u{1f}\"\\/\n\t\r\u{8}\u{c}\u{7f}é\u{2028}😀"),
            .number(-0.0), .number(8_999_999_999_999_999), .array([.array([.object([:])])]),
        ]
        for body in bodies {
            #expect(self.written(body) == JSONValue.encoderText(body))
            #expect(JSONValue.text(body) == JSONValue.encoderText(body))
        }
    }

    @Test func fractionsAndNonFiniteNumbersAreLeftToJSONEncoder() {
        for number in [1.5, 0.1, 1e20, -1e-7, .infinity, .nan] {
            let value = JSONValue.object(["n": .number(number)])
            #expect(self.written(value) == nil)
            #expect(JSONValue.text(value) == JSONValue.encoderText(value))
        }
    }

    /// 2,000 random values (a fixed-seed generator), each compared with `JSONEncoder`'s text.
    @Test func randomValuesMatchJSONEncoder() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet: [Character] = ["a", "Z", "_", "0", "9", "\"", "\\", "/", "\n", "\u{1}", "\u{7f}", "é", "😀", " "]
        func string() -> String { String((0..<next(6)).map { _ in alphabet[next(alphabet.count)] }) }
        func value(_ depth: Int) -> JSONValue {
            switch next(depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(next(2) == 0)
            case 2: return .number(Double(next(2_000_001) - 1_000_000))
            case 3: return .string(string())
            case 4: return .array((0..<next(4)).map { _ in value(depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<next(5) { members[string()] = value(depth + 1) }
                return .object(members)
            }
        }
        for _ in 0..<2_000 {
            let sample = value(0)
            #expect(self.written(sample) == JSONValue.encoderText(sample))
        }
    }
}
