/// Where a configuration's statements and table entries are written, for the "file:line" of the importer's notes.
///
/// Lua tells the line an assignment ran at (`lua_getinfo` on the running chunk); for a statement over several
/// lines that is the line the value ends on (the store instruction's line). The notes name the line where
/// `name =` is written, and where each entry of its table is: this type finds them in the file's text, between
/// the end of the statement before and the line Lua gave. It reads no values (those come from Lua) and only
/// blanks comments, so a commented-out `name =` is not taken. When the text does not say (a computed key or
/// value), the line Lua gave stands.
struct LuaSourceLines {
    /// Each line's bytes, comments blanked.
    private let lines: [[UInt8]]

    /// Tables with more entries than this are not searched (their entries take the statement's line).
    static let maximumSearchedEntries = 2000

    init(text: String) {
        self.lines = Self.blankingComments(Array(text.utf8))
    }

    var count: Int { self.lines.count }

    /// The first line in `from...through` (1-based) where `name` is assigned: `name =` or `["name"] =`.
    func firstAssignment(of name: String, from: Int, through: Int) -> Int? {
        let name = Array(name.utf8)
        let quoted = [Array("[\"".utf8) + name + Array("\"]".utf8), Array("['".utf8) + name + Array("']".utf8)]
        return self.firstLine(from: from, through: through) { line in
            Self.occurrences(of: name, in: line).contains { start in
                (start == 0 || !Self.isIdentifier(line[start - 1]))
                    && Self.isAssignment(line, after: start + name.count)
            }
                || quoted.contains { key in
                    Self.occurrences(of: key, in: line).contains { Self.isAssignment(line, after: $0 + key.count) }
                }
        }
    }

    /// The first line in `from...through` with `text` in double or single quotes or `[[ ]]`.
    func firstQuote(of text: String, from: Int, through: Int) -> Int? {
        let bytes = Array(text.utf8)
        let forms = [
            Array("\"".utf8) + bytes + Array("\"".utf8), Array("'".utf8) + bytes + Array("'".utf8),
            Array("[[".utf8) + bytes + Array("]]".utf8),
        ]
        return self.firstLine(from: from, through: through) { line in
            forms.contains { !Self.occurrences(of: $0, in: line).isEmpty }
        }
    }

    /// `value` with the line of each table entry: a named field where its key is assigned, a string item where
    /// it is quoted (in order), anything else at the line before it; then in line order.
    func locate(_ value: LuaValue, from: Int, through: Int) -> LuaValue {
        guard case .table(let table) = value else { return value }
        let search = table.entries.count <= Self.maximumSearchedEntries
        var cursor = from
        var entries: [LuaTable.Entry] = []
        for var entry in table.entries {
            if let key = entry.key {
                entry.line = (search ? self.firstAssignment(of: key, from: from, through: through) : nil) ?? from
            } else {
                let found =
                    search
                    ? entry.value.string.flatMap { self.firstQuote(of: $0, from: cursor, through: through) } : nil
                entry.line = found ?? cursor
                cursor = entry.line
            }
            entry.value = self.locate(entry.value, from: entry.line, through: through)
            entries.append(entry)
        }
        let ordered = entries.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
        return .table(LuaTable(entries: ordered.map(\.element)))
    }

    // MARK: - Matching

    private func firstLine(from: Int, through: Int, _ matches: ([UInt8]) -> Bool) -> Int? {
        let first = max(from, 1)
        let last = min(through, self.lines.count)
        guard first <= last else { return nil }
        for number in first...last where matches(self.lines[number - 1]) {
            return number
        }
        return nil
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "_")
    }

    /// Spaces, then `=` not followed by `=`, from `index`; the name must end there.
    private static func isAssignment(_ line: [UInt8], after index: Int) -> Bool {
        var position = index
        if position < line.count, isIdentifier(line[position]) { return false }
        while position < line.count, line[position] == UInt8(ascii: " ") || line[position] == UInt8(ascii: "\t") {
            position += 1
        }
        guard position < line.count, line[position] == UInt8(ascii: "=") else { return false }
        return position + 1 >= line.count || line[position + 1] != UInt8(ascii: "=")
    }

    private static func occurrences(of needle: [UInt8], in line: [UInt8]) -> [Int] {
        guard !needle.isEmpty, needle.count <= line.count else { return [] }
        var found: [Int] = []
        for start in 0...(line.count - needle.count) where line[start] == needle[0] {
            if line[start..<(start + needle.count)].elementsEqual(needle) { found.append(start) }
        }
        return found
    }

    // MARK: - Comments

    /// Splits `text` into lines, replacing comments (`-- …` and `--[[ … ]]`, `--[==[ … ]==]`) with spaces;
    /// quoted strings and long strings are kept, so `--` inside them is no comment.
    private static func blankingComments(_ text: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = 0
        var quote: UInt8? = nil
        var longLevel: Int? = nil  // inside a long string or comment, with its level
        var inLongComment = false
        var inLineComment = false
        func longBracketLevel(at start: Int) -> Int? {
            guard start < text.count, text[start] == UInt8(ascii: "[") else { return nil }
            var position = start + 1
            while position < text.count, text[position] == UInt8(ascii: "=") { position += 1 }
            guard position < text.count, text[position] == UInt8(ascii: "[") else { return nil }
            return position - start - 1
        }
        func closesLong(at start: Int, level: Int) -> Bool {
            guard start + level + 1 < text.count, text[start] == UInt8(ascii: "]") else { return false }
            for offset in 1...(level + 1) {
                let expected = offset <= level ? UInt8(ascii: "=") : UInt8(ascii: "]")
                if text[start + offset] != expected { return false }
            }
            return true
        }
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "\n") {
                lines.append(line)
                line = []
                inLineComment = false
                if quote != nil { quote = nil }  // an unfinished short string; Lua refused it already
                index += 1
                continue
            }
            if inLineComment {
                line.append(UInt8(ascii: " "))
            } else if let level = longLevel {
                if closesLong(at: index, level: level) {
                    let width = level + 2
                    line +=
                        inLongComment
                        ? Array(repeating: UInt8(ascii: " "), count: width) : Array(text[index..<(index + width)])
                    index += width
                    longLevel = nil
                    inLongComment = false
                    continue
                }
                line.append(inLongComment ? UInt8(ascii: " ") : byte)
            } else if let open = quote {
                line.append(byte)
                if byte == UInt8(ascii: "\\"), index + 1 < text.count, text[index + 1] != UInt8(ascii: "\n") {
                    line.append(text[index + 1])
                    index += 2
                    continue
                }
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "-"), index + 1 < text.count, text[index + 1] == UInt8(ascii: "-") {
                if let level = longBracketLevel(at: index + 2) {
                    longLevel = level
                    inLongComment = true
                    line += Array(repeating: UInt8(ascii: " "), count: level + 4)
                    index += level + 4
                    continue
                }
                inLineComment = true
                line.append(UInt8(ascii: " "))
            } else if let level = longBracketLevel(at: index) {
                longLevel = level
                line += Array(text[index..<(index + level + 2)])
                index += level + 2
                continue
            } else {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { quote = byte }
                line.append(byte)
            }
            index += 1
        }
        lines.append(line)
        return lines
    }
}
