import ParleyCore
import Yams

/// Walks a YAML node tree into a `ServerConfiguration`, recording every issue instead of stopping at the first.
///
/// Each reader returns nil after recording an error, and the caller then keeps the default, so one mistake
/// does not hide the next. A parser is used for one parse, on one thread.
final class ConfigurationParser {
    /// The file name issues carry.
    let path: String
    /// Decides `password_env` warnings.
    let environment: [String: String]
    private(set) var issues: [ConfigurationIssue] = []

    init(path: String, environment: [String: String]) {
        self.path = path
        self.environment = environment
    }

    /// Issues in file order (those without a location first); equal positions keep the order they were found in.
    var sortedIssues: [ConfigurationIssue] {
        self.issues.enumerated().sorted { lhs, rhs in
            let left = (lhs.element.line ?? 0, lhs.element.column ?? 0, lhs.offset)
            let right = (rhs.element.line ?? 0, rhs.element.column ?? 0, rhs.offset)
            return left < right
        }.map(\.element)
    }

    /// The configuration in `yaml`. An empty document is the preset; after a syntax error, too (with the error).
    func parse(yaml: String) -> ServerConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, .default, .default, .utf8)
        } catch {
            self.reportSyntaxError(error, yaml: yaml)
            return .jitsiPreset
        }
        guard let root else {
            let preset = ServerConfiguration.jitsiPreset
            self.checkDefaultAccounts(preset.accounts, hosts: preset.hosts, hostsNode: nil)
            return preset
        }
        return self.parseRoot(root)
    }

    // MARK: - Reporting

    func error(_ message: String, at node: Node?, keyPath: String) {
        self.report(.error, message, at: node?.mark.map { ($0.line, $0.column) }, keyPath: keyPath)
    }

    func warning(_ message: String, at node: Node?, keyPath: String) {
        self.report(.warning, message, at: node?.mark.map { ($0.line, $0.column) }, keyPath: keyPath)
    }

    private func report(
        _ severity: ConfigurationIssue.Severity,
        _ message: String,
        at location: (line: Int, column: Int)?,
        keyPath: String
    ) {
        self.issues.append(
            ConfigurationIssue(
                severity: severity,
                path: self.path,
                line: location?.line,
                column: location?.column,
                keyPath: keyPath,
                message: message
            )
        )
    }

    private func reportSyntaxError(_ error: any Error, yaml: String) {
        guard let yamlError = error as? YamlError else {
            self.report(.error, "invalid YAML: \(error)", at: nil, keyPath: "")
            return
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            self.report(.error, message, at: (mark.line, mark.column), keyPath: "")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            self.report(
                .error,
                "invalid YAML: duplicate key \(keys) in this mapping",
                at: (context.mark.line, context.mark.column),
                keyPath: ""
            )
        case .reader(let problem, let offset, _, _):
            let location = offset.map { Self.location(atCharacterOffset: $0, in: yaml) }
            self.report(.error, "invalid YAML: \(problem)", at: location, keyPath: "")
        default:
            self.report(.error, "invalid YAML: \(yamlError)", at: nil, keyPath: "")
        }
    }

    private static func location(atCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }

    // MARK: - Mappings

    /// The keys of one mapping that the schema knows, with the key path they are under.
    struct Fields {
        let keyPath: String
        let node: Node
        let values: [String: Node]

        subscript(key: String) -> Node? { self.values[key] }

        func path(_ key: String) -> String { ConfigurationParser.join(self.keyPath, key) }
    }

    static func join(_ keyPath: String, _ key: String) -> String {
        keyPath.isEmpty ? key : "\(keyPath).\(key)"
    }

    /// The known keys of a mapping node; unknown keys are errors with a suggestion. A null node (an empty
    /// section such as `tls:`) has no keys. Nil, with an error, when the node is not a mapping.
    func fields(of node: Node, keyPath: String, allowed: [String]) -> Fields? {
        if self.isNull(node) {
            return Fields(keyPath: keyPath, node: node, values: [:])
        }
        guard case .mapping(let mapping) = node else {
            self.error(
                "expected a mapping (key: value lines), found \(self.describe(node))",
                at: node,
                keyPath: keyPath
            )
            return nil
        }
        var values: [String: Node] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode, !self.isNull(keyNode) else {
                self.error("keys must be plain names, found \(self.describe(keyNode))", at: keyNode, keyPath: keyPath)
                continue
            }
            let key = scalar.string
            if allowed.contains(key) {
                values[key] = valueNode
            } else {
                var message = "unknown key"
                if let suggestion = KeySuggestion.nearest(to: key, in: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else if let section = Self.section(containing: key, besides: keyPath) {
                    message += "; '\(key)' belongs under '\(section)'"
                }
                self.error(message, at: keyNode, keyPath: Self.join(keyPath, key))
            }
        }
        return Fields(keyPath: keyPath, node: node, values: values)
    }

    /// Stores the value `read` makes of `fields[key]` into `target`; leaves `target` (the default) when the key
    /// is missing or its value is wrong.
    func assign<T>(_ fields: Fields, _ key: String, to target: inout T, _ read: (Node, String) -> T?) {
        guard let node = fields[key], let value = read(node, fields.path(key)) else { return }
        target = value
    }

    // MARK: - Scalars

    func isNull(_ node: Node) -> Bool {
        node.null != nil
    }

    /// How a wrong value looks in a message.
    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if self.isNull(node) { return "nothing (null)" }
            let text = scalar.string
            return text.count > 40 ? "'\(text.prefix(40))…'" : "'\(text)'"
        }
    }

    func bool(_ node: Node, _ keyPath: String) -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            self.error("expected true or false, found \(self.describe(node))", at: node, keyPath: keyPath)
            return nil
        }
        return value
    }

    func integer(_ node: Node, _ keyPath: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar = node, let value = node.int else {
            self.error("expected a whole number, found \(self.describe(node))", at: node, keyPath: keyPath)
            return nil
        }
        guard range.contains(value) else {
            self.error(
                "\(value) is out of range (\(range.lowerBound) to \(range.upperBound))",
                at: node,
                keyPath: keyPath
            )
            return nil
        }
        return value
    }

    func port(_ node: Node, _ keyPath: String) -> Int? {
        guard case .scalar = node, let value = node.int else {
            self.error("expected a port number, found \(self.describe(node))", at: node, keyPath: keyPath)
            return nil
        }
        guard (0...65535).contains(value) else {
            self.error("\(value) is not a port (0 to 65535)", at: node, keyPath: keyPath)
            return nil
        }
        return value
    }

    /// A positive number of seconds, whole or not, up to `maximum`.
    func seconds(_ node: Node, _ keyPath: String, maximum: Double) -> Duration? {
        let value: Double?
        if case .scalar = node {
            value = node.int.map(Double.init) ?? node.float
        } else {
            value = nil
        }
        guard let value, value.isFinite else {
            self.error("expected a number of seconds, found \(self.describe(node))", at: node, keyPath: keyPath)
            return nil
        }
        guard value > 0, value <= maximum else {
            self.error(
                "\(node.scalar?.string ?? "\(value)") is out of range (more than 0, at most \(Int(maximum)) seconds)",
                at: node,
                keyPath: keyPath
            )
            return nil
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// A non-empty string. Numbers and booleans written in the file are taken as their text.
    func string(_ node: Node, _ keyPath: String) -> String? {
        guard case .scalar(let scalar) = node, !self.isNull(node) else {
            self.error("expected a string, found \(self.describe(node))", at: node, keyPath: keyPath)
            return nil
        }
        guard !scalar.string.isEmpty else {
            self.error("must not be empty", at: node, keyPath: keyPath)
            return nil
        }
        return scalar.string
    }

    /// A string or null; nil (with an error) when it is neither, `.some(nil)` for null.
    func nullableString(_ node: Node, _ keyPath: String) -> String?? {
        if self.isNull(node) { return .some(nil) }
        return self.string(node, keyPath).map { .some($0) }
    }

    /// One of the raw values of `T`, with a suggestion when the spelling is close to one.
    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ keyPath: String, what: String) -> T?
    where T.RawValue == String {
        guard let text = self.string(node, keyPath) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        var message = "unknown \(what) '\(text)'"
        if let suggestion = KeySuggestion.nearest(to: text, in: names) {
            message += "; did you mean '\(suggestion)'?"
        } else {
            message += " (expected one of: \(names.joined(separator: ", ")))"
        }
        self.error(message, at: node, keyPath: keyPath)
        return nil
    }

    /// The items of a list; null is the empty list. Nil, with an error, for anything else.
    func list(_ node: Node, _ keyPath: String) -> [Node]? {
        if self.isNull(node) { return [] }
        guard case .sequence(let sequence) = node else {
            self.error("expected a list, found \(self.describe(node))", at: node, keyPath: keyPath)
            return nil
        }
        return Array(sequence)
    }

    /// A bare JID (`user@domain`), validated and prepared by `JID`.
    func bareJID(_ node: Node, _ keyPath: String) -> JID? {
        guard let text = self.string(node, keyPath) else { return nil }
        let jid: JID
        do {
            jid = try JID(text)
        } catch {
            self.error("'\(text)' is not a valid JID: \(error)", at: node, keyPath: keyPath)
            return nil
        }
        guard jid.localpart != nil, jid.resourcepart == nil else {
            self.error("'\(text)' is not a bare JID of the form user@domain", at: node, keyPath: keyPath)
            return nil
        }
        return jid
    }

    /// A domain, validated and prepared as a JID domainpart.
    func domain(_ node: Node, _ keyPath: String) -> String? {
        guard let text = self.string(node, keyPath) else { return nil }
        do {
            return try JID(localpart: nil, domainpart: text, resourcepart: nil).domainpart
        } catch {
            self.error("'\(text)' is not a valid domain: \(error)", at: node, keyPath: keyPath)
            return nil
        }
    }

    /// An IP address or a host name to bind to.
    func address(_ node: Node, _ keyPath: String) -> String? {
        guard let text = self.string(node, keyPath) else { return nil }
        let isIPv6 = text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" }
        let isNameOrIPv4 =
            !text.hasPrefix("-") && !text.hasPrefix(".")
            && text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." }
        guard isIPv6 || isNameOrIPv4 else {
            self.error("'\(text)' is not an IP address or host name", at: node, keyPath: keyPath)
            return nil
        }
        return text
    }
}
