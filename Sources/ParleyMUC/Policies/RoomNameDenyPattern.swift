import Foundation

/// One of the operator's `deny_patterns`, compiled once.
///
/// ICU regular expressions (`NSRegularExpression`, which is `Sendable`; Swift's `Regex` is not), matched
/// case-insensitively and partially: `^emp[0-9]{6}$` refuses `emp123456` only, `acme` refuses every name that
/// contains it.
struct RoomNameDenyPattern: Sendable {
    /// The pattern as configured; shown by `parley check-room`.
    let source: String
    /// Nil when the pattern does not compile. The configuration loader refuses such a pattern; a policy built in
    /// code with one anyway fails closed: the pattern matches every name.
    private let expression: NSRegularExpression?

    init(_ source: String) {
        self.source = source
        self.expression = try? Self.compile(source)
    }

    func matches(_ name: String) -> Bool {
        guard let expression = self.expression else { return true }
        let range = NSRange(name.startIndex..<name.endIndex, in: name)
        return expression.firstMatch(in: name, options: [], range: range) != nil
    }

    static func compile(_ source: String) throws -> NSRegularExpression {
        try NSRegularExpression(pattern: source, options: [.caseInsensitive])
    }

    /// Why `source` does not compile, or nil. ICU only says "invalid"; Swift's parser, whose syntax is close,
    /// usually says where, so its message is added when it fails too.
    static func error(in source: String) -> String? {
        do {
            _ = try Self.compile(source)
            return nil
        } catch {
            do {
                _ = try Regex(source)
                return "not a valid regular expression"
            } catch {
                return "not a valid regular expression: \(error)"
            }
        }
    }
}
