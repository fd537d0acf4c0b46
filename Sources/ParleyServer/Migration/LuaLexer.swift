/// One token of Lua source (Lua 5.4 manual §3.1), with the line it starts on.
struct LuaToken: Sendable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case name(String)
        case keyword(String)
        case string(String)
        case number(Double)
        case symbol(String)
        case end
    }

    var kind: Kind
    var line: Int

    var description: String {
        switch self.kind {
        case .name(let name): "'\(name)'"
        case .keyword(let word): "'\(word)'"
        case .string(let text): "the string \"\(text.prefix(30))\""
        case .number(let number): "the number \(number)"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "the end of the file"
        }
    }
}

/// Splits Lua source into tokens. Every index is checked, so any input ends in a token or a `LuaLexer.Failure`.
struct LuaLexer {
    struct Failure: Error {
        var line: Int
        var message: String
    }

    static let keywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in", "local", "nil",
        "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    /// Operators: they make an expression, which the subset does not evaluate.
    static let operators: Set<String> = [
        "..", "+", "-", "*", "/", "//", "%", "^", "#", "==", "~=", "<=", ">=", "<", ">", "&", "|", "~", "<<", ">>",
    ]

    /// One-character punctuation of Lua.
    private static let singleSymbols = Set("=(){}[];,.:+-*/%^#<>~&|".utf8)

    private let bytes: [UInt8]
    private var index = 0
    private(set) var line = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func byte(at offset: Int = 0) -> UInt8? {
        let position = self.index + offset
        return position >= 0 && position < self.bytes.count ? self.bytes[position] : nil
    }

    /// Whether the next non-blank characters after the current name are `=` but not `==`: a table field
    /// `name = value` rather than a positional value.
    func peekIsAssignment() -> Bool {
        var position = self.index
        while position < self.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(self.bytes[position]) { position += 1 }
        guard position < self.bytes.count, self.bytes[position] == UInt8(ascii: "=") else { return false }
        return position + 1 >= self.bytes.count || self.bytes[position + 1] != UInt8(ascii: "=")
    }

    mutating func next() throws(Failure) -> LuaToken {
        try self.skipBlanksAndComments()
        let line = self.line
        guard let first = self.byte() else { return LuaToken(kind: .end, line: line) }
        if Self.isNameStart(first) {
            let start = self.index
            while let byte = self.byte(), Self.isNameStart(byte) || Self.isDigit(byte) { self.index += 1 }
            let name = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
            return LuaToken(kind: Self.keywords.contains(name) ? .keyword(name) : .name(name), line: line)
        }
        if Self.isDigit(first) || (first == UInt8(ascii: ".") && self.byte(at: 1).map(Self.isDigit) == true) {
            return LuaToken(kind: .number(try self.number()), line: line)
        }
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            return LuaToken(kind: .string(try self.shortString(quote: first)), line: line)
        }
        if first == UInt8(ascii: "["), let level = self.longBracketLevel() {
            return LuaToken(kind: .string(try self.longString(level: level)), line: line)
        }
        for length in [3, 2] {
            let end = min(self.index + length, self.bytes.count)
            let candidate = String(decoding: self.bytes[self.index..<end], as: UTF8.self)
            if Self.operators.contains(candidate) || candidate == "..." || candidate == "::" {
                self.index = end
                return LuaToken(kind: .symbol(candidate), line: line)
            }
        }
        self.index += 1
        let symbol = String(decoding: [first], as: UTF8.self)
        guard Self.singleSymbols.contains(first) else {
            throw Failure(line: line, message: "unexpected character '\(symbol)' (byte \(first))")
        }
        return LuaToken(kind: .symbol(symbol), line: line)
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }

    private mutating func skipBlanksAndComments() throws(Failure) {
        while let byte = self.byte() {
            switch byte {
            case 0x0A:
                self.line += 1
                self.index += 1
            case 0x20, 0x09, 0x0D, 0x0B, 0x0C:
                self.index += 1
            case UInt8(ascii: "-") where self.byte(at: 1) == UInt8(ascii: "-"):
                self.index += 2
                if self.byte() == UInt8(ascii: "["), let level = self.longBracketLevel() {
                    _ = try self.longString(level: level)
                } else {
                    while let byte = self.byte(), byte != 0x0A { self.index += 1 }
                }
            case UInt8(ascii: "#") where self.index == 0 && self.byte(at: 1) == UInt8(ascii: "!"):
                while let byte = self.byte(), byte != 0x0A { self.index += 1 }  // a shebang line
            default:
                return
            }
        }
    }

    /// The level of a long bracket `[==[` at the current index (the count of `=`), or nil when there is none.
    private func longBracketLevel() -> Int? {
        var offset = 1
        while self.byte(at: offset) == UInt8(ascii: "=") { offset += 1 }
        return self.byte(at: offset) == UInt8(ascii: "[") ? offset - 1 : nil
    }

    /// A long string or comment body, from its opening bracket to the matching close.
    private mutating func longString(level: Int) throws(Failure) -> String {
        let startLine = self.line
        self.index += level + 2
        if self.byte() == 0x0D { self.index += 1 }
        if self.byte() == 0x0A {  // a newline right after the opening bracket is skipped (§3.1)
            self.line += 1
            self.index += 1
        }
        let start = self.index
        while let byte = self.byte() {
            if byte == UInt8(ascii: "]") {
                var offset = 1
                while self.byte(at: offset) == UInt8(ascii: "=") { offset += 1 }
                if offset - 1 == level, self.byte(at: offset) == UInt8(ascii: "]") {
                    let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
                    self.index += offset + 1
                    return text
                }
            }
            if byte == 0x0A { self.line += 1 }
            self.index += 1
        }
        throw Failure(line: startLine, message: "the long string or comment opened here is not closed")
    }

    private mutating func shortString(quote: UInt8) throws(Failure) -> String {
        let startLine = self.line
        self.index += 1
        var out: [UInt8] = []
        while let byte = self.byte() {
            self.index += 1
            switch byte {
            case quote:
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw Failure(line: startLine, message: "the string is not UTF-8 text")
                }
                return text
            case 0x0A:
                throw Failure(line: startLine, message: "the string is not closed on its line")
            case UInt8(ascii: "\\"):
                try self.escape(into: &out)
            default:
                out.append(byte)
            }
        }
        throw Failure(line: startLine, message: "the string is not closed")
    }

    /// One escape sequence after its backslash (§3.1).
    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        guard let byte = self.byte() else { throw Failure(line: self.line, message: "the string is not closed") }
        self.index += 1
        switch byte {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "a"): out.append(0x07)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "v"): out.append(0x0B)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(byte)
        case 0x0A:
            out.append(0x0A)
            self.line += 1
        case UInt8(ascii: "z"):
            while let next = self.byte(), [0x20, 0x09, 0x0A, 0x0D].contains(next) {
                if next == 0x0A { self.line += 1 }
                self.index += 1
            }
        case UInt8(ascii: "x"):
            guard let high = self.byte().flatMap(Self.hexValue), let low = self.byte(at: 1).flatMap(Self.hexValue)
            else {
                throw Failure(line: self.line, message: "\\x needs two hexadecimal digits")
            }
            self.index += 2
            out.append(UInt8(high * 16 + low))
        case UInt8(ascii: "u"):
            guard self.byte() == UInt8(ascii: "{") else { throw Failure(line: self.line, message: "\\u needs {…}") }
            self.index += 1
            var value = 0
            while let digit = self.byte().flatMap(Self.hexValue), value <= 0x10FFFF {
                value = value * 16 + digit
                self.index += 1
            }
            guard self.byte() == UInt8(ascii: "}"), let scalar = Unicode.Scalar(value) else {
                throw Failure(line: self.line, message: "\\u{…} is not a Unicode scalar value")
            }
            self.index += 1
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        case 0x30...0x39:
            var value = Int(byte - 0x30)
            for _ in 0..<2 {
                guard let digit = self.byte(), Self.isDigit(digit) else { break }
                value = value * 10 + Int(digit - 0x30)
                self.index += 1
            }
            guard value <= 255 else { throw Failure(line: self.line, message: "\\\(value) is not a byte") }
            out.append(UInt8(value))
        default:
            throw Failure(line: self.line, message: "unknown escape '\\\(String(decoding: [byte], as: UTF8.self))'")
        }
    }

    private mutating func number() throws(Failure) -> Double {
        let start = self.index
        if self.byte() == UInt8(ascii: "0"), let x = self.byte(at: 1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X")
        {
            self.index += 2
            var value = 0.0
            var digits = 0
            while let digit = self.byte().flatMap(Self.hexValue) {
                value = value * 16 + Double(digit)
                digits += 1
                self.index += 1
            }
            guard digits > 0 else { throw Failure(line: self.line, message: "malformed number") }
            return value
        }
        while let byte = self.byte(),
            Self.isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || ((byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+"))
                    && (self.byte(at: -1) == UInt8(ascii: "e") || self.byte(at: -1) == UInt8(ascii: "E")))
        {
            self.index += 1
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw Failure(line: self.line, message: "malformed number '\(text)'")
        }
        return value
    }
}
