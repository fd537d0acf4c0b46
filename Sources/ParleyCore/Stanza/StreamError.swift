import ParleyXML

/// A stream error (RFC 6120 §4.9): fatal to the stream; the server sends it, then `</stream:stream>`,
/// then closes the connection.
///
/// ```
/// <stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
///   <text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>XML not well-formed: …</text></stream:error>
/// ```
public struct StreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// RFC 6120 §4.9.3.
    public enum Condition: String, Sendable, Hashable {
        case badFormat = "bad-format"
        case badNamespacePrefix = "bad-namespace-prefix"
        case conflict
        case connectionTimeout = "connection-timeout"
        case hostGone = "host-gone"
        case hostUnknown = "host-unknown"
        case improperAddressing = "improper-addressing"
        case internalServerError = "internal-server-error"
        case invalidFrom = "invalid-from"
        case invalidNamespace = "invalid-namespace"
        case invalidXML = "invalid-xml"
        case notAuthorized = "not-authorized"
        case notWellFormed = "not-well-formed"
        case policyViolation = "policy-violation"
        case remoteConnectionFailed = "remote-connection-failed"
        case reset
        case resourceConstraint = "resource-constraint"
        case restrictedXML = "restricted-xml"
        case seeOtherHost = "see-other-host"
        case systemShutdown = "system-shutdown"
        case undefinedCondition = "undefined-condition"
        case unsupportedEncoding = "unsupported-encoding"
        case unsupportedFeature = "unsupported-feature"
        case unsupportedStanzaType = "unsupported-stanza-type"
        case unsupportedVersion = "unsupported-version"
    }

    public var condition: Condition
    public var text: String?

    public init(_ condition: Condition, text: String? = nil) {
        self.condition = condition
        self.text = text
    }

    public var description: String { self.text.map { "\(self.condition.rawValue): \($0)" } ?? self.condition.rawValue }

    /// The `<stream:error/>` element.
    public var element: XMLElement {
        var error = XMLElement(name: "error", namespace: Namespace.streams)
        error.append(XMLElement(name: self.condition.rawValue, namespace: Namespace.streamErrors))
        if let text = self.text {
            var t = XMLElement(name: "text", namespace: Namespace.streamErrors)
            t.append(text: text)
            error.append(t)
        }
        return error
    }

    /// The stream error RFC 6120 names for a parser refusal.
    public init(_ parserError: XMLStreamError) {
        switch parserError.kind {
        case .notWellFormed: self.init(.notWellFormed, text: parserError.message)
        case .restrictedXML: self.init(.restrictedXML, text: parserError.message)
        case .stanzaTooLarge, .tooDeep: self.init(.policyViolation, text: parserError.message)
        }
    }
}
