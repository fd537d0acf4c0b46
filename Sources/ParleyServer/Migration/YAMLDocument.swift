/// A small ordered YAML tree that `parley import prosody` writes: block mappings with a comment per key, flow
/// lists of scalars, block lists of mappings. Scalars are quoted unless they are plainly safe, so a Prosody
/// value can never change meaning (`no`, `1e3`, `*`) when Yams reads it back.
indirect enum YAMLDocument: Sendable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case null
    case list([YAMLDocument])
    case mapping([Entry])

    struct Entry: Sendable {
        var key: String
        var value: YAMLDocument
        var comment: String?
    }

    /// The document as text, ending with a newline.
    func render() -> String {
        var lines: [String] = []
        self.render(into: &lines, indent: 0)
        return lines.joined(separator: "\n") + "\n"
    }

    private func render(into lines: inout [String], indent: Int) {
        guard case .mapping(let entries) = self else {
            lines.append(String(repeating: " ", count: indent) + self.inline)
            return
        }
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            let comment = entry.comment.map { "  # \($0)" } ?? ""
            switch entry.value {
            case .mapping(let children) where !children.isEmpty:
                lines.append("\(pad)\(entry.key):\(comment)")
                entry.value.render(into: &lines, indent: indent + 2)
            case .list(let items) where items.contains(where: \.isMapping):
                lines.append("\(pad)\(entry.key):\(comment)")
                for item in items {
                    var itemLines: [String] = []
                    item.render(into: &itemLines, indent: indent + 4)
                    for (index, line) in itemLines.enumerated() {
                        lines.append(index == 0 ? "\(pad)  - " + line.dropFirst(indent + 4) : line)
                    }
                }
            default:
                lines.append("\(pad)\(entry.key): \(entry.value.inline)\(comment)")
            }
        }
    }

    private var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }

    /// The value on one line (a flow list, `{}` for an empty mapping).
    private var inline: String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .integer(let number): return String(number)
        case .boolean(let value): return value ? "true" : "false"
        case .null: return "null"
        case .list(let items): return "[" + items.map(\.inline).joined(separator: ", ") + "]"
        case .mapping(let entries):
            return "{" + entries.map { "\($0.key): \($0.value.inline)" }.joined(separator: ", ") + "}"
        }
    }

    /// Plain when only letters, digits and `_ . @ / -` (not first) and not a YAML 1.1 keyword or number;
    /// otherwise double-quoted with JSON escapes, which YAML's double-quoted style accepts.
    static func quote(_ text: String) -> String {
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"]
        let safe = text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || "_.@/-".unicodeScalars.contains(scalar))
        }
        if safe, let first = text.unicodeScalars.first, first != "-", first != ".",
            !("0"..."9").contains(first), !reserved.contains(text.lowercased())
        {
            return text
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
